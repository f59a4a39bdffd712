/** Rule validate-in-same-transaction: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

const ADD_FK = 'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;';
const VALIDATE_FK = 'ALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;';

describe('Rule: validate-in-same-transaction', () => {
  it('reports VALIDATE CONSTRAINT in the transactional file that added it NOT VALID, at the VALIDATE', async () => {
    const r = await lint(`${ADD_FK}\n${VALIDATE_FK}`);
    expect(r.findings).toMatchObject([{ rule: 'validate-in-same-transaction', severity: 'error', line: 2, column: 1 }]);
    expect(r.findings[0]!.message).toContain('(line 1)');
  });
  it('reports a CHECK added NOT VALID and validated in one file', async () => {
    expect(
      await rules(
        'ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\nALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;',
      ),
    ).toEqual(['validate-in-same-transaction']);
  });
  it('fix: this file without the VALIDATE, the VALIDATE in a later migration', async () => {
    const fix = (await lint(`${ADD_FK}\n${VALIDATE_FK}`)).findings[0]!.fix;
    expect(fix).toContain(`-- file 1 of 2: this file, without the statement\n${ADD_FK}\n-- file 2 of 2: a later migration\n${VALIDATE_FK}`);
  });
  it('accepts the VALIDATE in a later migration', async () => {
    expect(await rules(ADD_FK, VALIDATE_FK)).toEqual([]);
  });
  it('accepts both in a no-transaction file (each statement commits on its own)', async () => {
    expect(await rules(`-- schemaguard:no-transaction\n${ADD_FK}\n${VALIDATE_FK}`)).toEqual([]);
  });
  it('does not fire on a table created in the pending set', async () => {
    expect(await rules('CREATE TABLE t (a int);', 'ALTER TABLE t ADD CONSTRAINT t_a CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_a;')).toEqual(
      [],
    );
  });
  it('follows RENAME CONSTRAINT within the file', async () => {
    expect(
      await rules(
        `${ADD_FK}\nALTER TABLE purchases RENAME CONSTRAINT purchases_lead_fk TO purchases_lead_ref;\nALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_ref;`,
      ),
    ).toEqual(['validate-in-same-transaction']);
  });
});
