/**
 * A fingerprint of everything a command could write: catalog rows of every
 * schema, relation, column, constraint, index, function, extension and
 * comment, plus the row count of every user table. Equal fingerprints before
 * and after mean the command wrote nothing that matters.
 */
import { rows, withClient } from './db';

export async function catalogFingerprint(url: string): Promise<string> {
  const parts = await rows<{ k: string; v: string }>(
    url,
    `
    SELECT 'ns' AS k, string_agg(nspname, ',' ORDER BY nspname) AS v FROM pg_namespace
    UNION ALL SELECT 'rel', string_agg(format('%s.%s:%s', n.nspname, c.relname, c.relkind), ',' ORDER BY 1) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    UNION ALL SELECT 'att', count(*)::text FROM pg_attribute
    UNION ALL SELECT 'con', string_agg(conname, ',' ORDER BY conname) FROM pg_constraint
    UNION ALL SELECT 'proc', count(*)::text FROM pg_proc
    UNION ALL SELECT 'ext', string_agg(extname, ',' ORDER BY extname) FROM pg_extension
    UNION ALL SELECT 'desc', count(*)::text FROM pg_description
    UNION ALL SELECT 'xid', (SELECT count(*) FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0)::text
  `,
  );
  return parts.map((p) => `${p.k}=${p.v}`).join('\n');
}

/**
 * What one schema holds, with its own name taken out: every relation with its
 * kind, every column with its type, default and nullability, every
 * constraint's and index's definition, every function's, trigger's and
 * view's, every comment; schemaguard's own tables (a fleet tenant keeps its
 * state in its schema) left out. Read with the schema as the search_path, and
 * its name taken out of what PostgreSQL qualifies anyway (index and trigger
 * definitions): two schemas the same files made
 * have equal fingerprints whatever they are called.
 */
export async function schemaFingerprint(url: string, schema: string): Promise<string> {
  const own = "('applied_migrations', 'applied_migrations_pkey', 'checksum_repairs')";
  return withClient(url, async (c) => {
    await c.query("SELECT set_config('search_path', quote_ident($1), false)", [schema]);
    const r = await c.query<{ v: string }>(
      `
      WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1)
      SELECT replace(string_agg(v, E'\\n' ORDER BY v), quote_ident($1) || '.', '') AS v FROM (
        SELECT format('rel %s %s %s', c.relname, c.relkind, coalesce(obj_description(c.oid, 'pg_class'), '')) AS v FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relname NOT IN ${own}
        UNION ALL SELECT format('col %s.%s %s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), coalesce(col_description(c.oid, a.attnum), ''))
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped AND c.relname NOT IN ${own}
        UNION ALL SELECT format('con %s %s', con.conname, pg_get_constraintdef(con.oid)) FROM pg_constraint con LEFT JOIN pg_class r ON r.oid = con.conrelid WHERE con.connamespace = (SELECT oid FROM ns) AND coalesce(r.relname, '') NOT IN ${own}
        UNION ALL SELECT format('idx %s', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relname NOT IN ${own}
        UNION ALL SELECT format('fn %s(%s) %s %s', p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid), p.prosrc) FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
        UNION ALL SELECT format('trg %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT t.tgisinternal
        UNION ALL SELECT format('view %s %s', c.relname, pg_get_viewdef(c.oid)) FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('v', 'm')
      ) parts`,
      [schema],
    );
    return r.rows[0]!.v;
  });
}
