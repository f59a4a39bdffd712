import { describe, expect, it } from 'vitest';
import { markDoBlock } from '../../../../lambda/driver/data-api/outcome-marker';

describe('Function: markDoBlock', () => {
  it('nests a committing DO block\'s body, drops the marker at its end (a failed DROP swallowed), and keeps its first line', () => {
    const sql = 'DO $body$\nBEGIN\n  COMMIT;\nEND; -- done\n$body$';
    const marked = markDoBlock(sql, 's."m"', 'sgw_1')!;
    expect(marked.sql).toBe('DO $sgw_1$BEGIN \nBEGIN\n  COMMIT;\nEND -- done\n\n;\nBEGIN DROP TABLE s."m"; EXCEPTION WHEN OTHERS THEN NULL; END;\nEND$sgw_1$');
    expect(marked.at).toBe('DO $sgw_1$'.length);
    expect(marked.shift).toBe('$sgw_1$BEGIN '.length - '$body$'.length);
  });

  it('leaves alone what it cannot mark: no COMMIT, another language, a body in a plain string', () => {
    expect(markDoBlock('DO $$ BEGIN PERFORM 1; END $$', 't', 'x')).toBeUndefined();
    expect(markDoBlock('DO LANGUAGE plperl $$ COMMIT $$', 't', 'x')).toBeUndefined();
    expect(markDoBlock("DO 'BEGIN COMMIT; END'", 't', 'x')).toBeUndefined();
    expect(markDoBlock('DO LANGUAGE plpgsql $$ BEGIN COMMIT; END $$', 't', 'x')).toBeDefined();
  });
});
