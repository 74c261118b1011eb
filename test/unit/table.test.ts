import { displayWidth, renderTable } from '../../src/cli/table';

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
  ])('%p takes %p columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('renderTable', () => {
  it('draws a boxed table whose columns line up whatever the scripts and accents', () => {
    const text = renderTable(['Name', 'Pic'], [['Élodie', 'yes'], ['李雷', ''], ['E\u0301mile', 'no']]);
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
