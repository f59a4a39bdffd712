import { describe, expect, it } from 'vitest';
import { computePlan, isRenumbered, renamedSince } from '../../../../lambda/engine/state/plan';
import { parseMigration } from '../../../../lambda/engine/files/source';
import type { AppliedMigration } from '../../../../lambda/engine/state/state';

const m = (v: number, text = `SELECT ${v};`) => parseMigration(`${v}_m${v}.sql`, text);
const applied = (v: number, checksum: string): AppliedMigration => ({
  version: v,
  name: `m${v}`,
  checksum,
  appliedAt: new Date(0),
  executionMs: 1,
  appliedBy: 'test',
});

describe('Function: computePlan', () => {
  it('classifies applied, pending, changed and unknown', () => {
    const files = [m(1), m(2, 'SELECT 22;'), m(4)];
    const plan = computePlan(files, [applied(1, files[0]!.checksum), applied(2, m(2).checksum), applied(3, 'c'.repeat(64))]);
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([
      [1, 'applied'],
      [2, 'changed'],
      [3, 'unknown'],
      [4, 'pending'],
    ]);
    expect(plan.pending.map((p) => p.version)).toEqual([4]);
    expect(plan.currentVersion).toBe(3);
    expect(plan.outOfOrder).toEqual([]);
  });

  it('marks a pending migration older than the newest applied as out of order', () => {
    const files = [m(1), m(2), m(3)];
    const plan = computePlan(files, [applied(1, files[0]!.checksum), applied(3, files[2]!.checksum)]);
    expect(plan.outOfOrder.map((p) => p.version)).toEqual([2]);
  });
});

describe('Directive: valid-checksum', () => {
  it('counts a file as applied on a database that applied an earlier text it names', () => {
    const old = m(3, 'ALTER TABLE t ALTER COLUMN c TYPE uuid;');
    const rewritten = m(3, `-- schemaguard:valid-checksum ${old.checksum}\n-- schemaguard:no-transaction\nDO $$ BEGIN NULL; END $$;`);
    const plan = computePlan([rewritten], [applied(3, old.checksum)]);
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([[3, 'applied']]);
    expect(plan.changed).toEqual([]);
    expect(plan.pending).toEqual([]);
  });

  it('still refuses a text the file does not name', () => {
    const old = m(3, 'ALTER TABLE t ALTER COLUMN c TYPE uuid;');
    const other = m(3, 'ALTER TABLE t ALTER COLUMN c TYPE text;');
    const rewritten = m(3, `-- schemaguard:valid-checksum ${old.checksum}\nSELECT 3;`);
    const plan = computePlan([rewritten], [applied(3, other.checksum)]);
    expect(plan.changed.map((e) => e.version)).toEqual([3]);
  });
});

describe('Field: ranAs (a pending file whose text an applied version has)', () => {
  it('is the applied row for a renumbered file (its version has no file now) and for a copy (its file is there too); isRenumbered tells them apart', () => {
    const seed = 'INSERT INTO seeds VALUES (1);';
    const renumbered = computePlan([m(1), m(3, seed)], [applied(1, m(1).checksum), applied(2, m(2, seed).checksum)]);
    const copied = computePlan([m(1), m(2, seed), m(4, seed)], [applied(1, m(1).checksum), applied(2, m(2, seed).checksum)]);
    const three = renumbered.entries.find((e) => e.version === 3)!;
    const four = copied.entries.find((e) => e.version === 4)!;

    expect(three.ranAs?.version).toBe(2);
    expect(isRenumbered(renumbered, three)).toBe(true);
    expect(four.ranAs?.version).toBe(2);
    expect(isRenumbered(copied, four)).toBe(false);
    expect(computePlan([m(1), m(3)], [applied(1, m(1).checksum)]).entries.map((e) => e.ranAs)).toEqual([undefined, undefined]);
  });
});

describe('Function: renamedSince', () => {
  it('is the name an applied version ran under when its file, with the same text, has another name now', () => {
    const renamed = parseMigration('2_seed_users.sql', 'SELECT 2;');
    const plan = computePlan([renamed], [{ ...applied(2, renamed.checksum), name: 'seed' }]);

    expect(plan.entries[0]!.status).toBe('applied');
    expect(renamedSince(plan.entries[0]!)).toBe('seed');
    expect(renamedSince(computePlan([m(2)], [applied(2, m(2).checksum)]).entries[0]!)).toBeUndefined();
  });
});
