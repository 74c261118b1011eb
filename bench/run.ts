import { enrollBench } from './enroll.bench';
import { allFigures } from './harness';
import { lifecycleBench } from './lifecycle.bench';
import { exportBench } from './export.bench';
import { bcryptImportBench, importBench, xmlImportBench } from './import.bench';
import { usersBench } from './users.bench';
import { postgresBench } from './postgres.bench';
import { startupBench } from './startup.bench';

/**
 * `npm run bench`: every figure next to the raw limit measured in the same run.
 * Each suite builds its own data in a temporary directory. Pick suites with
 * `npm run bench -- <name> …`.
 */
const SUITES: Record<string, () => Promise<void>> = {
  startup: startupBench,
  lifecycle: lifecycleBench,
  enroll: enrollBench,
  import: importBench,
  'import-bcrypt': bcryptImportBench,
  'import-xml': xmlImportBench,
  export: exportBench,
  users: usersBench,
  postgres: postgresBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(SUITES);
  for (const name of names) {
    const suite = SUITES[name];
    if (!suite) throw new Error(`no bench suite "${name}"; known: ${Object.keys(SUITES).join(', ')}`);
    process.stdout.write(`\n== ${name}\n`);
    await suite();
  }
  const missed = allFigures().filter((f) => !f.pass);
  process.stdout.write(`\n${allFigures().length - missed.length} of ${allFigures().length} figures meet their goal\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
