import { describe, expect, it } from 'vitest';
import { markDoBlock } from '../../../../lambda/driver/data-api/outcome-marker';

describe('Function: markDoBlock', () => {
  it("nests a committing DO block's body, drops the marker at its end (a failed DROP swallowed), and keeps its first line", () => {
    const sql = 'DO $body$\nBEGIN\n  COMMIT;\nEND; -- done\n$body$';
    const marked = markDoBlock(sql, 's."m"', 'sgw_1')!;
    expect(marked.sql).toBe(
      'DO $sgw_1$/* s."m" */ BEGIN \nBEGIN\n  COMMIT;\nEND -- done\n\n;\nBEGIN DROP TABLE s."m"; EXCEPTION WHEN OTHERS THEN NULL; END;\nEND$sgw_1$',
    );
    expect(marked.at).toBe('DO $sgw_1$'.length);
    expect(marked.shift).toBe('$sgw_1$/* s."m" */ BEGIN '.length - '$body$'.length);
  });

  // The next run finds a dead runner's block still running by the marker's name in pg_stat_activity, which shows a query's first 1 kB.
  it("names the marker on the body's first line, however long the block, and never lets a name close the comment", () => {
    const sql = `DO $$\nBEGIN\n  COMMIT;\n  ${'PERFORM 1;\n'.repeat(500)}END\n$$`;
    const head = 'DO $t$/* s.schemaguard_outcome_ab_cd */ BEGIN \nBEGIN\n  COMMIT;\n';
    expect(markDoBlock(sql, 's.schemaguard_outcome_ab_cd', 't')!.sql.slice(0, head.length)).toBe(head);
    expect(markDoBlock(sql, '"a*/b".m', 't')!.sql.slice(0, 20)).toBe('DO $t$/* "ab".m */ B');
    expect(markDoBlock(sql, '"a**//".m', 't')!.sql.slice(0, 20)).toBe('DO $t$/* "a".m */ BE');
  });

  it('leaves alone what it cannot mark: no COMMIT, another language, a body in a plain string', () => {
    expect(markDoBlock('DO $$ BEGIN PERFORM 1; END $$', 't', 'x')).toBeUndefined();
    expect(markDoBlock('DO LANGUAGE plperl $$ COMMIT $$', 't', 'x')).toBeUndefined();
    expect(markDoBlock("DO 'BEGIN COMMIT; END'", 't', 'x')).toBeUndefined();
    expect(markDoBlock('DO LANGUAGE plpgsql $$ BEGIN COMMIT; END $$', 't', 'x')).toBeDefined();
  });
});
