/** Blocks this thread for `ms` milliseconds: for a wait inside code that is synchronous by design. */
export function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
