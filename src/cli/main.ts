import { run } from './program';

// `roster list | head`: when the reader goes away, stop quietly. The reader
// took what it wanted; a stack trace about EPIPE would only alarm people.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

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
