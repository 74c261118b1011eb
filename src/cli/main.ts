import { run } from './program';

// `roster list | head` closes the pipe early: stop quietly, as Unix tools do.
// Output is written only after a change has been committed, so nothing is lost.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`roster: internal error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
