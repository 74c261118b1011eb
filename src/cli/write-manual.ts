// Writes the manual page to the file named (scripts/build.mjs runs it at build time).
import fs from 'node:fs';
import { manualPage } from './manual';
import { buildProgram } from './program';
import { defineAll } from './registry';

const VERSION: string = (require('../../package.json') as { version: string }).version;
fs.writeFileSync(process.argv[2]!, manualPage(defineAll(buildProgram()), VERSION));
