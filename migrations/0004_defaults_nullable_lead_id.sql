-- schemaguard:no-transaction
-- schemaguard:valid-checksum 672c3334841089eaa6067932654d18d40fa2b427d5cc55b2b93039bb0fa9b20f
--
-- Metadata-only fixes: uuid primary key defaults, nullable session lead_id,
-- the column comments that document it, and columns old scripts left out.
--
-- None of them reads or rewrites a row:
--   * ALTER COLUMN … SET DEFAULT only writes the catalog (incident: 23502
--     "null value in column id of relation lead_purchases");
--   * ALTER COLUMN … DROP NOT NULL only writes the catalog (incident: 23502
--     "null value in column lead_id of relation web_sessions");
--   * ADD COLUMN … DEFAULT now() stores the default in the catalog (no rewrite
--     since PostgreSQL 11, now() is not volatile);
--   * COMMENT ON COLUMN takes SHARE UPDATE EXCLUSIVE, which blocks no read or write.
-- Every change is guarded by the catalog, so a fix already applied (by hand,
-- or by an earlier run) takes no lock at all.
--
-- Locks: one table per transaction. The ALTERs take ACCESS EXCLUSIVE for a
-- moment (bounded by lock_timeout), and it is released at once: a transaction
-- that held it while it waited for the next table would stall the first
-- table's writers for as long as that wait, and could deadlock with an
-- application statement that takes the two tables the other way round (an
-- INSERT into services, say, whose foreign-key check then wants bot_configs).
--
-- Earlier text (valid-checksum above): the same changes in one transaction.
-- A database that ran it has them already.

DO $fix$
DECLARE
  sessions constant text[] := ARRAY['social_sessions', 'voice_sessions', 'web_sessions', 'whatsapp_sessions'];
  note     constant text := 'Nullable on purpose: a session starts before the customer is known; set when the customer gives an email or phone. References all_leads(id).';
  tbl      regclass;
  t        text;
  todo     text[];
  r        record;
BEGIN
  -- Run as a bare call (the Data API runs a DO that commits that way), this gets no lock_timeout from the runner: never wait unbounded.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', false);
  END IF;
  FOR t IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
    tbl := format('public.%I', t)::regclass;
    todo := '{}';

    -- A single-column uuid primary key gets DEFAULT gen_random_uuid().
    FOR r IN
      SELECT a.attname AS col
        FROM pg_constraint con
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE con.conrelid = tbl AND con.contype = 'p' AND cardinality(con.conkey) = 1
         AND a.atttypid = 'uuid'::regtype AND pg_get_expr(d.adbin, d.adrelid) IS DISTINCT FROM 'gen_random_uuid()'
    LOOP
      todo := todo || format('ALTER TABLE public.%I ALTER COLUMN %I SET DEFAULT gen_random_uuid()', t, r.col);
    END LOOP;

    -- Sessions start before the customer is known: lead_id must accept NULL, and says why.
    IF t = ANY (sessions) THEN
      IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = 'lead_id' AND attnotnull) THEN
        todo := todo || format('ALTER TABLE public.%I ALTER COLUMN lead_id DROP NOT NULL', t);
      END IF;
      IF col_description(tbl, (SELECT attnum FROM pg_attribute WHERE attrelid = tbl AND attname = 'lead_id')) IS DISTINCT FROM note THEN
        todo := todo || format('COMMENT ON COLUMN public.%I.lead_id IS %L', t, note);
      END IF;
    END IF;

    -- Purchases record when they last changed.
    IF t IN ('lead_purchases', 'student_course_purchases')
       AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = 'updated_at' AND NOT attisdropped) THEN
      todo := todo || format('ALTER TABLE public.%I ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()', t);
    END IF;

    CONTINUE WHEN cardinality(todo) = 0;
    FOR k IN 1 .. cardinality(todo) LOOP
      EXECUTE todo[k];
    END LOOP;
    COMMIT;
  END LOOP;
END
$fix$;

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
