import { run } from './program';

// Flush stdout before exiting: a pipe may still hold buffered output.
run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`roster: internal error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
