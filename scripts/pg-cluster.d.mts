// Types of pg-cluster.mjs, for the bench (TypeScript).
export interface Cluster {
  url: string;
  password: string;
  bin: string;
  dir: string;
  port: number;
  stop(): void;
}
export function findServerBinaries(env?: NodeJS.ProcessEnv): string | undefined;
export function startCluster(bin?: string): Promise<Cluster>;
