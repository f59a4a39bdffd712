-- Metadata-only fixes: uuid primary key defaults, nullable session lead_id,
-- the column comments that document it, and columns old scripts left out.
--
-- Locks: each ALTER takes an ACCESS EXCLUSIVE lock on its table for a moment
-- (bounded by lock_timeout) but none of them reads or rewrites a row:
--   * ALTER COLUMN … SET DEFAULT only writes the catalog (incident: 23502
--     "null value in column id of relation lead_purchases");
--   * ALTER COLUMN … DROP NOT NULL only writes the catalog (incident: 23502
--     "null value in column lead_id of relation web_sessions");
--   * ADD COLUMN … DEFAULT now() stores the default in the catalog (no rewrite
--     since PostgreSQL 11, now() is not volatile);
--   * COMMENT ON COLUMN takes no lock that blocks reads or writes.
-- Every statement is guarded by the catalog, so a fix already applied by hand
-- is left as it is.

DO $fix$
DECLARE
  r record;
BEGIN
  -- Every single-column uuid primary key in public gets DEFAULT gen_random_uuid().
  FOR r IN
    SELECT c.relname AS tbl, a.attname AS col
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND con.contype = 'p' AND cardinality(con.conkey) = 1
       AND a.atttypid = 'uuid'::regtype
       AND pg_get_expr(d.adbin, d.adrelid) IS DISTINCT FROM 'gen_random_uuid()'
     ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE public.%I ALTER COLUMN %I SET DEFAULT gen_random_uuid()', r.tbl, r.col);
  END LOOP;

  -- Sessions start before the customer is known: lead_id must accept NULL.
  FOR r IN
    SELECT table_name AS tbl
      FROM information_schema.columns
     WHERE table_schema = 'public' AND column_name = 'lead_id' AND is_nullable = 'NO'
       AND table_name IN ('web_sessions', 'whatsapp_sessions', 'voice_sessions', 'social_sessions')
     ORDER BY table_name
  LOOP
    EXECUTE format('ALTER TABLE public.%I ALTER COLUMN lead_id DROP NOT NULL', r.tbl);
  END LOOP;
END
$fix$;

ALTER TABLE public.lead_purchases ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE public.student_course_purchases ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();

COMMENT ON COLUMN public.web_sessions.lead_id IS
  'Nullable on purpose: a session starts before the customer is known; set when the customer gives an email or phone. References all_leads(id).';
COMMENT ON COLUMN public.whatsapp_sessions.lead_id IS
  'Nullable on purpose: a session starts before the customer is known; set when the customer gives an email or phone. References all_leads(id).';
COMMENT ON COLUMN public.voice_sessions.lead_id IS
  'Nullable on purpose: a session starts before the customer is known; set when the customer gives an email or phone. References all_leads(id).';
COMMENT ON COLUMN public.social_sessions.lead_id IS
  'Nullable on purpose: a session starts before the customer is known; set when the customer gives an email or phone. References all_leads(id).';

-- schemaguard:check no uuid primary key without DEFAULT gen_random_uuid()
SELECT c.relname AS table_name, a.attname AS column_name, pg_get_expr(d.adbin, d.adrelid) AS column_default
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = 'public' AND con.contype = 'p' AND cardinality(con.conkey) = 1 AND a.atttypid = 'uuid'::regtype
   AND pg_get_expr(d.adbin, d.adrelid) IS DISTINCT FROM 'gen_random_uuid()';

-- schemaguard:check lead_id is nullable and documented in the four session tables
SELECT t AS table_name, c.is_nullable, col_description(format('public.%I', t)::regclass, c.ordinal_position::int) AS comment
  FROM unnest(ARRAY['web_sessions', 'whatsapp_sessions', 'voice_sessions', 'social_sessions']) AS t
  LEFT JOIN information_schema.columns c ON c.table_schema = 'public' AND c.table_name = t AND c.column_name = 'lead_id'
 WHERE c.is_nullable IS DISTINCT FROM 'YES'
    OR col_description(format('public.%I', t)::regclass, c.ordinal_position::int) IS NULL;
