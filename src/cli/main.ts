import { run } from './program';

// A reader that stops early (`roster export | head`) closes the pipe: the
// streams stop quietly, as cat does, once a command takes them (src/cli/io.ts).
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
