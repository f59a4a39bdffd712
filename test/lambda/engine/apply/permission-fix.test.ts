import { describe, expect, it } from 'vitest';
import { permissionFix, roleOf } from '../../../../lambda/engine/apply/permission-fix';
import { MigrationError, StatementError } from '../../../../lambda/engine/errors/errors';

const denied = (message: string) => new StatementError(message, { sqlstate: '42501', file: '0001_a.sql', line: 3 });

describe('Function: permissionFix', () => {
  it.each([
    ['0001_a.sql:3: permission denied for schema public', 'GRANT USAGE, CREATE ON SCHEMA "public" TO "app"'],
    ['permission denied for database appdb', 'GRANT CREATE ON DATABASE "appdb" TO "app"'],
    ['0002_b.sql:1: must be owner of table leads', 'only the owner of table "leads" (or a member of its role) may do this'],
    ['0002_b.sql:1: permission denied for table leads', 'ON TABLE "leads" TO "app"'],
    // PostgreSQL names the table as created: quoted, so that the GRANT does not fold it to leads
    ['0002_b.sql:1: permission denied for table Leads', 'ON TABLE "Leads" TO "app"'],
    ['0002_b.sql:1: permission denied for sequence leads_id_seq', 'ON SEQUENCE "leads_id_seq" TO "app"'],
    // A type off the search path is written schema-qualified: each part quoted
    ['0002_b.sql:1: permission denied for type app.mood', 'ON TYPE "app"."mood" TO "app"'],
    ['0003_c.sql:1: permission denied to create extension "pg_stat_statements"', 'rds_superuser'],
    ['0004_d.sql:1: permission denied to set parameter "x"', 'lacks a privilege this statement needs: GRANT it to "app"'],
  ])('%s: %s', (message, fix) => {
    expect(permissionFix(denied(message), '"app"', 'schemaguard')).toContain(fix);
  });

  it('names the state schema when the role cannot create it', () => {
    expect(permissionFix(denied('permission denied for database appdb'), '"app"', 'ops')).toContain('state schema "ops" (--state-schema)');
  });

  it('leaves any other SQLSTATE alone', () => {
    expect(permissionFix(new MigrationError('relation "x" does not exist', { sqlstate: '42P01' }), '"app"', 'schemaguard')).toBeUndefined();
  });
});

describe('Function: roleOf', () => {
  it("is the URL's user, quoted; the embedded server's superuser without a URL", () => {
    expect(roleOf('postgres://deploy%40corp:pw@db/app')).toBe('"deploy@corp"');
    expect(roleOf(undefined)).toBe('postgres');
    expect(roleOf('postgres://db/app')).toBe('<your role>');
  });
});
