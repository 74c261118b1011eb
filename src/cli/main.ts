import { run } from './program';

// A reader that stops early (`roster export | head`) closes the pipe: stop quietly, as cat does.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

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
