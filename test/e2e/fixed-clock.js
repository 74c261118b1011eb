'use strict';
/*
 * Test only: freezes the clock of one roster process at ROSTER_TEST_NOW.
 * test/e2e/helpers.ts loads it with `node --require` when a test gives that
 * variable; roster itself never reads it, so a real run keeps the real clock.
 */
const fixed = Date.parse(process.env.ROSTER_TEST_NOW ?? '');
if (Number.isNaN(fixed)) throw new Error(`ROSTER_TEST_NOW is not a date: "${process.env.ROSTER_TEST_NOW}"`);

const SystemDate = Date;
class FixedDate extends SystemDate {
  constructor(...args) {
    if (args.length === 0) super(fixed);
    else super(...args);
  }
  static now() {
    return fixed;
  }
}
globalThis.Date = FixedDate;
