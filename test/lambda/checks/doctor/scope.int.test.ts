/**
 * What doctor examines: objects an extension owns (pg_depend deptype 'e',
 * e.g. PostGIS's spatial_ref_sys) are skipped by every rule. PostGIS is not
 * installed here; `ALTER EXTENSION … ADD` makes tables members of an
 * installed contrib extension exactly as an extension script's own tables are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../../lambda/checks/findings/finding';
import { fullMatrixMajors, dropDatabases, rows, withClient } from '../../../support/db';
import { byRule, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

/** One problem for each rule, on tables that will belong to an extension. */
const EXTENSION_TABLES = `
CREATE EXTENSION citext;
CREATE TABLE spatial_ref_sys (srid integer PRIMARY KEY, auth_name varchar(256), auth_srid integer, srtext varchar(2048));
CREATE TABLE layers (id uuid PRIMARY KEY, topology_id integer, srid_id bigint);
ALTER TABLE layers ADD CONSTRAINT layers_srid_fkey FOREIGN KEY (srid_id) REFERENCES spatial_ref_sys (srid) NOT VALID;
CREATE TABLE topologies (id integer PRIMARY KEY, hash text);
CREATE FUNCTION public.uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';
CREATE TABLE ext_tokens (token uuid DEFAULT public.uuid_generate_v4(), hash text);
INSERT INTO topologies VALUES (1, 'a'), (2, 'a');
`;

const MEMBERS = ['spatial_ref_sys', 'layers', 'topologies', 'ext_tokens'];

describe.each(fullMatrixMajors)('doctor and extension-owned objects on $name', (target) => {
  let url: string;
  let before: Finding[];

  beforeAll(async () => {
    ({ url } = await findingsOnSchema(target, 'doctor_ext', EXTENSION_TABLES, []));
    await withClient(url, (c) => c.query('CREATE UNIQUE INDEX CONCURRENTLY topologies_hash_key ON topologies (hash)').catch(() => undefined));
    before = await findingsOn(url);
    await withClient(url, async (c) => {
      for (const t of MEMBERS) await c.query(`ALTER EXTENSION citext ADD TABLE ${t}`);
    });
  });

  it("finds the problems while the tables are the database user's", () => {
    expect(Object.keys(byRule(before)).sort()).toEqual([
      'constraint-not-validated',
      'extension-missing',
      'fk-missing',
      'fk-type-mismatch',
      'fk-without-index',
      'invalid-index',
      'pk-without-default',
    ]);
  });

  it('marks them as members of the extension (pg_depend deptype e)', async () => {
    const members = await rows<{ relname: string }>(
      url,
      `SELECT c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
        WHERE d.classid = 'pg_class'::regclass AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'citext') AND d.deptype = 'e'
        ORDER BY 1`,
    );
    expect(members.map((m) => m.relname)).toEqual([...MEMBERS].sort());
  });

  it('reports nothing about them, under any rule, once an extension owns them', async () => {
    expect(await findingsOn(url)).toEqual([]);
  });
});

describe.each(fullMatrixMajors)("doctor and other sessions' temporary tables on $name", (target) => {
  it('reports nothing about them (they live in pg_temp_N, a system schema)', async () => {
    const { url } = await findingsOnSchema(target, 'doctor_temp', 'CREATE TABLE users (id uuid PRIMARY KEY DEFAULT gen_random_uuid());', []);
    const during = await withClient(url, async (c) => {
      await c.query('CREATE TEMP TABLE scratch (id uuid PRIMARY KEY, user_id uuid, n integer CHECK (n > 0))');
      await c.query('ALTER TABLE scratch ADD CONSTRAINT scratch_n_check2 CHECK (n < 10) NOT VALID');
      return findingsOn(url);
    });
    expect(during).toEqual([]);
  });
});
