import fs from 'node:fs';
import path from 'node:path';
import { manualPage } from '../../src/cli/manual';
import { buildProgram } from '../../src/cli/program';
import { defineAll } from '../../src/cli/registry';

/** Every source file of roster, so the test finds a variable wherever it is read. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js)$/.test(entry.name) ? [full] : [];
  });
}

describe('the manual page', () => {
  it('names in ENVIRONMENT every ROSTER_ and XDG_ variable roster reads', () => {
    const page = manualPage(defineAll(buildProgram()), '0.0.0');
    const environment = page.slice(page.indexOf('.SH ENVIRONMENT'), page.indexOf('.SH FILES'));
    const read = new Set(
      sourceFiles(path.join(__dirname, '..', '..', 'src')).flatMap((file) =>
        [...fs.readFileSync(file, 'utf8').matchAll(/env\.((?:ROSTER|XDG)_[A-Z_]+)/g)].map((m) => m[1]!),
      ),
    );
    expect(read.size).toBeGreaterThan(5);
    const missing = [...read].filter((name) => !environment.includes(name));
    expect(missing).toEqual([]);
  });

  it('names the mail templates in FILES', () => {
    const page = manualPage(defineAll(buildProgram()), '0.0.0');
    const files = page.slice(page.indexOf('.SH FILES'), page.indexOf('.SH COMPLETION'));
    expect(files).toContain('mail/<template>.<language>.txt');
    expect(files).toContain('roster.db');
  });
});
