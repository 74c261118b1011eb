// `node scripts/pg-server.mjs` starts a throwaway PostgreSQL cluster (scripts/pg-cluster.mjs), prints
// its superuser URL and keeps it until interrupted (SIGINT, SIGTERM), then removes it: for trying
// roster on PostgreSQL by hand.
import { setInterval } from 'node:timers';
import { startCluster } from './pg-cluster.mjs';

const cluster = await startCluster();
process.stdout.write(`${cluster.url}\n`);
const end = () => {
  cluster.stop();
  process.exit(0);
};
process.on('SIGINT', end);
process.on('SIGTERM', end);
setInterval(() => {}, 1 << 30);
