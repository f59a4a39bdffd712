/** Lint test helpers: two existing tables (an applied migration) and pending files after them. */
import { lintMigrations, lintSourceFromText, type LintSource } from '../../../../lambda/checks/lint';

export const APPLIED = lintSourceFromText(
  '1_base.sql',
  `
CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, score int, price numeric(10,2), code varchar(20));
CREATE TABLE purchases (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id uuid, legacy_lead varchar(36));
`,
  true,
);

/** Lint `pending` (one text per file, named 2_pending.sql, 3_pending.sql, …) after APPLIED. */
export async function lint(...pending: string[]) {
  const sources: LintSource[] = [APPLIED, ...pending.map((text, k) => lintSourceFromText(`${k + 2}_pending.sql`, text))];
  return lintMigrations(sources);
}

/** The rules of the findings, in report order. */
export async function rules(...pending: string[]): Promise<string[]> {
  return (await lint(...pending)).findings.map((f) => f.rule);
}

/** Lint pending files (2_…, 3_…) after `existing`, an applied migration (none when undefined). */
export async function lintAfter(existing: string | undefined, ...pending: string[]) {
  const applied = existing === undefined ? [] : [lintSourceFromText('1_existing.sql', existing, true)];
  return lintMigrations([...applied, ...pending.map((text, k) => lintSourceFromText(`${k + 2}_pending.sql`, text))]);
}
