/**
 * The CLI's text tables: columns padded to their widest cell, and a table as
 * long as plan's statement table of a 16 MiB migration (191,004 rows) made and
 * printed without a spread of its rows (which overflowed the call stack) and
 * without holding the whole text.
 */
import { describe, expect, it } from 'vitest';
import { table, tableLines, writeLines } from '../../../bin/cli/format';

describe('Function: table', () => {
  it('pads every column but the last to its widest cell, header included', () => {
    expect(
      table(
        ['where', 'lock'],
        [
          ['a.sql:1', 'ACCESS EXCLUSIVE'],
          ['bb.sql:12', '-'],
        ],
      ),
    ).toBe(['where      lock', '---------  ----------------', 'a.sql:1    ACCESS EXCLUSIVE', 'bb.sql:12  -'].join('\n'));
  });

  it('takes 200,000 rows (a spread of that many widths overflowed the call stack)', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`f.sql:${i + 1}`, 'x']);
    expect(table(['where', 'lock'], rows).split('\n')).toHaveLength(200_002);
  });
});

describe('Function: tableLines and writeLines', () => {
  it('prints 200,000 rows in blocks of 2,000 lines, the widths taken from every row', async () => {
    const n = 200_000;
    const rows = function* (): Generator<string[]> {
      for (let i = 1; i <= n; i++) yield [`f.sql:${i}`, i === n ? 'the widest cell, last' : 'x', 'end'];
    };
    const writes: string[] = [];
    let waits = 0;
    await writeLines(
      (t) => writes.push(t),
      tableLines(['where', 'lock', 'statement'], rows),
      async () => {
        waits++;
      },
    );

    expect(writes).toHaveLength(Math.ceil((n + 2) / 2000));
    expect(waits, 'the reader is waited for after each full block').toBe(Math.floor((n + 2) / 2000));
    const lines = writes.join('\n').split('\n');
    expect(lines).toHaveLength(n + 2);
    expect(lines[0]).toBe(`${'where'.padEnd(12)}  ${'lock'.padEnd(21)}  statement`);
    expect(lines[2]).toBe(`${'f.sql:1'.padEnd(12)}  ${'x'.padEnd(21)}  end`);
    expect(lines[n + 1]).toBe('f.sql:200000  the widest cell, last  end');
  });

  it('writes nothing for no lines', async () => {
    const writes: string[] = [];
    await writeLines((t) => writes.push(t), []);
    expect(writes).toEqual([]);
  });
});
