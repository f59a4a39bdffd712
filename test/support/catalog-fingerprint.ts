/**
 * A fingerprint of everything a command could write: catalog rows of every
 * schema, relation, column, constraint, index, function, extension and
 * comment, plus the row count of every user table. Equal fingerprints before
 * and after mean the command wrote nothing that matters.
 */
import { rows } from './db';

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
