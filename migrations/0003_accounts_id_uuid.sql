-- Converges accounts.id and every column that references it to uuid.
--
-- Hand-written scripts created accounts.id as varchar(255) and the account_id
-- columns as a mix of uuid and varchar; PostgreSQL cannot put a foreign key
-- between a uuid and a varchar column, nor compare them without a cast.
--
-- Stops, changing nothing, when any value is not a UUID: the DO block below
-- counts the bad values per column and shows examples. Accepted: the standard
-- 8-4-4-4-12 form and 32 hex digits without dashes (valid input for uuid, in
-- any letter case); stored back in the standard lower-case form.
--
-- Locks: only when a column is not uuid yet, ALTER COLUMN … TYPE uuid takes an
-- ACCESS EXCLUSIVE lock on that table and rewrites it (and its indexes).
-- PostgreSQL has no non-blocking form of a type change; a database that is
-- already uuid takes no lock at all. Foreign keys that point at a column being
-- converted are dropped first and re-created by 0007 (NOT VALID) and 0008.

DO $fix$
DECLARE
  cols     text[][] := ARRAY[
    ['accounts', 'id'], ['users', 'account_id'], ['bot_configs', 'account_id'], ['services', 'account_id'],
    ['appointments', 'account_id'], ['availability_configs', 'account_id'], ['blackout_dates', 'account_id'],
    ['test_chat_sessions', 'account_id']];
  uuid_re  constant text := '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$';
  t        text;
  c        text;
  n        bigint;
  ex       text;
  bad      text[] := '{}';
  total    bigint := 0;
  todo     text[][] := '{}';
  fk       record;
BEGIN
  FOR k IN 1 .. array_length(cols, 1) LOOP
    t := cols[k][1];
    c := cols[k][2];
    -- Only existing columns that are not uuid yet; a missing column is reported by the check below.
    IF NOT EXISTS (
      SELECT 1 FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = t AND column_name = c AND data_type <> 'uuid'
    ) THEN
      CONTINUE;
    END IF;
    EXECUTE format(
      'SELECT count(*), string_agg(quote_literal(v), '', '') FILTER (WHERE rn <= 5)
         FROM (SELECT %1$I::text AS v, row_number() OVER (ORDER BY %1$I::text) AS rn
                 FROM public.%2$I WHERE %1$I IS NOT NULL AND %1$I::text !~ %3$L) AS s',
      c, t, uuid_re) INTO n, ex;
    IF n > 0 THEN
      total := total + n;
      bad := bad || format('%s.%s: %s value(s), e.g. %s', t, c, n, ex);
    END IF;
    todo := todo || ARRAY[[t, c]];
  END LOOP;

  IF total > 0 THEN
    RAISE EXCEPTION 'accounts.id cannot be converted to uuid: % value(s) are not UUIDs: %', total, array_to_string(bad, '; ')
      USING ERRCODE = '22P02',
            DETAIL = 'accepted forms: 8-4-4-4-12 hex with dashes, or 32 hex digits without dashes; nothing was changed',
            HINT = 'map each listed value to a UUID (update accounts.id and every account_id that uses it), then run migrate again';
  END IF;

  IF coalesce(array_length(todo, 1), 0) = 0 THEN
    RETURN;
  END IF;

  -- Foreign keys to a varchar accounts.id would block its type change; 0007 re-creates them.
  -- (When accounts.id is already uuid, no foreign key can involve a varchar column.)
  IF todo[1][1] = 'accounts' THEN
    FOR fk IN
      SELECT con.conname, con.conrelid::regclass AS tbl
        FROM pg_constraint con
       WHERE con.contype = 'f' AND con.confrelid = 'public.accounts'::regclass
    LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
  END IF;

  FOR k IN 1 .. array_length(todo, 1) LOOP
    t := todo[k][1];
    c := todo[k][2];
    -- A varchar default (e.g. gen_random_uuid()::text) cannot be cast; 0004 sets the final default.
    EXECUTE format('ALTER TABLE public.%I ALTER COLUMN %I DROP DEFAULT', t, c);
    EXECUTE format('ALTER TABLE public.%I ALTER COLUMN %I TYPE uuid USING %I::text::uuid', t, c, c);
  END LOOP;
END
$fix$;

-- schemaguard:check accounts.id and every account_id column exist and are uuid
SELECT x.tbl, x.col, coalesce(c.data_type, 'missing') AS data_type
  FROM (VALUES ('accounts', 'id'), ('users', 'account_id'), ('bot_configs', 'account_id'), ('services', 'account_id'),
               ('appointments', 'account_id'), ('availability_configs', 'account_id'), ('blackout_dates', 'account_id'),
               ('test_chat_sessions', 'account_id')) AS x(tbl, col)
  LEFT JOIN information_schema.columns c
    ON c.table_schema = 'public' AND c.table_name = x.tbl AND c.column_name = x.col
 WHERE c.data_type IS DISTINCT FROM 'uuid';
