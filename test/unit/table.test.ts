import { displayWidth, renderTable, TableWriter } from '../../src/cli/table';

describe('displayWidth', () => {
  it.each([
    ['ada', 3],
    ['', 0],
    ['Élodie', 6],
    ['E\u0301lodie', 6],
    ['Ångström', 8],
    ['李雷', 4],
    ['한국', 4],
    ['ｈｉ', 4],
    ['🎓 grad', 7],
    ['\u001b[1mbold\u001b[22m', 4],
    ['\u001b[2mnever\u001b[22m', 5],
    ['tab\there', 7],
    ['☕ ✅', 5],
    ['🚀🫠', 4],
    ['👨‍👩‍👧', 2],
    ['👍🏽', 2],
    ['🇫🇷', 2],
    ['#️⃣', 2],
    ['a\u200Db\u202Ec', 3],
  ])('%p takes %p columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('renderTable', () => {
  it('draws a boxed table whose columns line up whatever the scripts and accents', () => {
    const text = renderTable(
      ['Name', 'Pic'],
      [
        ['Élodie', 'yes'],
        ['李雷', ''],
        ['E\u0301mile', 'no'],
      ],
    );
    expect(text).toBe(
      [
        '┌────────┬─────┐',
        '│ Name   │ Pic │',
        '├────────┼─────┤',
        '│ Élodie │ yes │',
        '│ 李雷   │     │',
        '│ E\u0301mile  │ no  │',
        '└────────┴─────┘',
        '',
      ].join('\n'),
    );
    const widths = text.trimEnd().split('\n').map(displayWidth);
    expect(new Set(widths).size).toBe(1);
  });

  it('keeps a row on one line and pads missing cells', () => {
    expect(renderTable(['A', 'B'], [['one\ntwo']]).split('\n')[3]).toBe('│ one two │   │');
  });

  it('paints the header and the borders only through the given style', () => {
    const text = renderTable(['H'], [['x']], { head: (t) => `<${t}>`, border: (t) => `[${t}]` });
    expect(text.split('\n')[1]).toBe('[│] <H> [│]');
    expect(text.split('\n')[0]).toBe('[┌───┐]');
  });
});

describe('TableWriter', () => {
  it('draws one table over many pages: the header once, every line the same width', () => {
    const writer = new TableWriter(['Name', 'Pic'], {}, [0, 3]);
    const text =
      writer.rows([['Ada', 'yes']]) +
      writer.rows([
        ['Bo', ''],
        ['Cy', 'yes'],
      ]) +
      writer.end();
    expect(text).toBe(
      ['┌──────┬─────┐', '│ Name │ Pic │', '├──────┼─────┤', '│ Ada  │ yes │', '│ Bo   │     │', '│ Cy   │ yes │', '└──────┴─────┘', ''].join('\n'),
    );
    expect(writer.shortened).toBe(false);
  });

  it('shortens a later value that is wider than its column, keeping alignment, and says so', () => {
    const writer = new TableWriter(['Name'], {});
    const text = writer.rows([['Ada Lovelace']]) + writer.rows([['Grace Brewster Murray Hopper'], ['李雷韩梅梅李雷']]) + writer.end();
    const lines = text.trimEnd().split('\n');
    expect(lines[4]).toBe('│ Grace Brews… │');
    expect(lines[5]).toBe('│ 李雷韩梅梅…  │');
    expect(new Set(lines.map(displayWidth)).size).toBe(1);
    expect(writer.shortened).toBe(true);
  });

  it('draws nothing at all for no rows', () => {
    const writer = new TableWriter(['Name'], {});
    expect(writer.rows([]) + writer.end()).toBe('');
  });
});

describe('TableWriter with a width to fit', () => {
  it('narrows the widest column first, never below its header or minimum, and marks what it cut', () => {
    const writer = new TableWriter(['Name', 'Email', 'Day'], {}, [0, 0, 10], 50);
    const text = writer.rows([['Ada Lovelace', 'ada.lovelace@analytical-engine.example.org', '2026-01-01']]) + writer.end();
    const lines = text.trimEnd().split('\n');
    expect(lines.every((l) => [...l].length === 50)).toBe(true);
    expect(lines[3]).toMatch(/^│ Ada Lovelace │ ada\.lovelace@anal… │ 2026-01-01 │$/);
    expect(writer.shortened).toBe(true);
  });

  it('leaves a table that fits as it is, and one that cannot fit at its floors', () => {
    const fits = new TableWriter(['A', 'B'], {}, [], 80);
    expect(fits.rows([['x', 'y']])).toBe('┌───┬───┐\n│ A │ B │\n├───┼───┤\n│ x │ y │\n');
    expect(fits.shortened).toBe(false);
    const narrow = new TableWriter(['Header', 'Other'], {}, [], 5);
    expect(narrow.rows([['a', 'b']]).split('\n')[1]).toBe('│ Header │ Other │');
  });
});
