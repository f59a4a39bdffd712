/**
 * server-version-syntax's gates, each proven on a server of every supported
 * major: its example is refused (a syntax error, 42601, or an unknown
 * function, 42883, as the gate says) on every major before the
 * gate's `since`, and runs from `since` on; lint with that major reports it
 * exactly where the server refuses it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lintMigrations } from '../../../../lambda/checks/lint/index';
import { SERVER_VERSION_RULE, VERSION_GATES } from '../../../../lambda/checks/lint/server-version';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';

afterAll(dropDatabases);

/** The SQLSTATE the server answers the example with, or 'ok'. */
async function serverAnswer(url: string, gate: (typeof VERSION_GATES)[number]): Promise<string> {
  return withClient(url, async (c) => {
    if (gate.example.setup) await c.query(gate.example.setup);
    try {
      await c.query(gate.example.sql);
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  });
}

describe.each(allMajors)('server-version-syntax on $name', (target) => {
  it("each gate: the server refuses its example with 42601 before the gate's version, runs it from then on; lint reports exactly those", async () => {
    const url = await freshDatabase(target, 'gates');
    const answers: string[] = [];
    const expected: string[] = [];
    for (const gate of VERSION_GATES) {
      answers.push(`${gate.what} (${gate.since}): ${await serverAnswer(url, gate)}`);
      expected.push(`${gate.what} (${gate.since}): ${target.major < gate.since ? (gate.refusal ?? '42601') : 'ok'}`);
    }
    expect(answers).toEqual(expected);

    const sources = VERSION_GATES.map((g, k) => ({
      file: `${k + 1}_gate.sql`,
      text: `${g.example.setup ?? ''}\n${g.example.sql};\n`,
      noTransaction: !!g.example.noTransaction,
      allowances: [],
    }));
    const found = (await lintMigrations(sources, { serverMajor: target.major })).findings.filter((f) => f.rule === SERVER_VERSION_RULE.id);
    expect([...new Set(found.map((f) => f.file))]).toEqual(VERSION_GATES.flatMap((g, k) => (target.major < g.since ? [`${k + 1}_gate.sql`] : [])));
    for (const f of found) expect(f.message).toContain(`the server is PostgreSQL ${target.major}, which refuses it (`);
  });
});
