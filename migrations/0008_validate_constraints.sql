-- Validates the constraints 0007 added NOT VALID.
--
-- Orphans (policy): nothing is deleted or rewritten. Before validating, the DO
-- block counts, per constraint, the rows that would fail (orphaned account_id,
-- lead_id, … values; rows outside a CHECK) and, if there are any, stops with
-- the counts and up to 5 examples each. The constraints stay NOT VALID
-- meanwhile, so new writes are already protected; repair the rows shown
-- (restore the missing parent, or set the reference to NULL as ON DELETE SET
-- NULL would have done) and run migrate again.
--
-- Locks: VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE on the table (and
-- ROW SHARE on the referenced one): reads and writes go on while it scans.
-- Constraints already validated (fresh databases after the first run, fixes
-- made by hand) are skipped.

DO $fix$
DECLARE
  names    text[] := ARRAY[
    'users_account_id_fkey', 'bot_configs_account_id_fkey', 'services_account_id_fkey', 'services_bot_config_id_fkey',
    'appointments_account_id_fkey', 'appointments_appointment_type_fkey', 'availability_configs_account_id_fkey',
    'blackout_dates_account_id_fkey', 'test_chat_sessions_account_id_fkey', 'web_sessions_lead_id_fkey',
    'whatsapp_sessions_lead_id_fkey', 'voice_sessions_lead_id_fkey', 'social_sessions_lead_id_fkey',
    'lead_purchases_lead_id_fkey', 'leads_conversation_id_fkey', 'appointments_status_check',
    'appointments_duration_check', 'services_duration_check', 'leads_lead_type_check', 'lead_purchases_price_check'];
  c        record;
  n        bigint;
  ex       text;
  problems text[] := '{}';
  total    bigint := 0;
BEGIN
  FOR c IN
    SELECT con.conname, con.contype, cl.relname AS tbl, a.attname AS col, rcl.relname AS ref_tbl, ra.attname AS ref_col,
           regexp_replace(regexp_replace(pg_get_constraintdef(con.oid), ' NOT VALID$', ''), '^CHECK ', '') AS check_expr
      FROM pg_constraint con
      JOIN pg_class cl ON cl.oid = con.conrelid
      JOIN pg_namespace ns ON ns.oid = cl.relnamespace
      LEFT JOIN pg_attribute a ON con.contype = 'f' AND a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
      LEFT JOIN pg_class rcl ON rcl.oid = con.confrelid
      LEFT JOIN pg_attribute ra ON con.contype = 'f' AND ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
     WHERE ns.nspname = 'public' AND con.conname = ANY (names) AND NOT con.convalidated
     ORDER BY cl.relname, con.conname
  LOOP
    IF c.contype = 'f' THEN
      EXECUTE format(
        'SELECT count(*), string_agg(format(''id=%%s %%s=%%s'', id, %1$L, v), '', '') FILTER (WHERE rn <= 5)
           FROM (SELECT t.id, t.%1$I::text AS v, row_number() OVER (ORDER BY t.%1$I::text, t.id::text) AS rn
                   FROM public.%2$I t
                  WHERE t.%1$I IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM public.%3$I p WHERE p.%4$I = t.%1$I)) AS s',
        c.col, c.tbl, c.ref_tbl, c.ref_col) INTO n, ex;
      IF n > 0 THEN
        problems := problems || format('%s (%s.%s → %s.%s): %s orphaned row(s), e.g. %s', c.conname, c.tbl, c.col, c.ref_tbl, c.ref_col, n, ex);
      END IF;
    ELSE
      EXECUTE format(
        'SELECT count(*), string_agg(format(''id=%%s'', id), '', '') FILTER (WHERE rn <= 5)
           FROM (SELECT t.id, row_number() OVER (ORDER BY t.id::text) AS rn FROM public.%1$I t WHERE NOT %2$s) AS s',
        c.tbl, c.check_expr) INTO n, ex;
      IF n > 0 THEN
        problems := problems || format('%s (%s %s): %s row(s) violate it, e.g. %s', c.conname, c.tbl, c.check_expr, n, ex);
      END IF;
    END IF;
    total := total + n;
  END LOOP;

  IF total > 0 THEN
    RAISE EXCEPTION 'cannot validate constraints: % row(s) violate them: %', total, array_to_string(problems, '; ')
      USING ERRCODE = '23503',
            DETAIL = 'nothing was deleted or changed; the constraints stay NOT VALID and already reject new violations',
            HINT = 'repair the rows listed (restore the missing parent row, or set the reference to NULL), then run migrate again';
  END IF;

  FOR c IN
    SELECT con.conname, cl.relname AS tbl
      FROM pg_constraint con
      JOIN pg_class cl ON cl.oid = con.conrelid
      JOIN pg_namespace ns ON ns.oid = cl.relnamespace
     WHERE ns.nspname = 'public' AND con.conname = ANY (names) AND NOT con.convalidated
     ORDER BY cl.relname, con.conname
  LOOP
    EXECUTE format('ALTER TABLE public.%I VALIDATE CONSTRAINT %I', c.tbl, c.conname);
  END LOOP;
END
$fix$;

-- schemaguard:check every foreign key and CHECK of the schema is validated
SELECT cl.relname AS table_name, con.conname AS constraint_name
  FROM pg_constraint con
  JOIN pg_class cl ON cl.oid = con.conrelid
  JOIN pg_namespace ns ON ns.oid = cl.relnamespace
 WHERE ns.nspname = 'public' AND NOT con.convalidated
   AND con.conname IN (
    'users_account_id_fkey', 'bot_configs_account_id_fkey', 'services_account_id_fkey', 'services_bot_config_id_fkey',
    'appointments_account_id_fkey', 'appointments_appointment_type_fkey', 'availability_configs_account_id_fkey',
    'blackout_dates_account_id_fkey', 'test_chat_sessions_account_id_fkey', 'web_sessions_lead_id_fkey',
    'whatsapp_sessions_lead_id_fkey', 'voice_sessions_lead_id_fkey', 'social_sessions_lead_id_fkey',
    'lead_purchases_lead_id_fkey', 'leads_conversation_id_fkey', 'appointments_status_check',
    'appointments_duration_check', 'services_duration_check', 'leads_lead_type_check', 'lead_purchases_price_check');
