// pgpass (the reader of ~/.pgpass that pg itself uses) ships no types.
declare module 'pgpass' {
  function pgpass(target: { host: string; port: string; database: string; user: string }, found: (password: string | undefined) => void): void;
  export default pgpass;
}
