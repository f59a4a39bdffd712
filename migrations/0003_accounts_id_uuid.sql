-- schemaguard:no-transaction
-- schemaguard:valid-checksum 21bd6696dfa9f73d6c262bf681894d678fc3c50d656821853a0f09f148c15fee
--
-- Converges accounts.id and the seven account_id columns that reference it to
-- uuid, online: no table is rewritten and no lock that blocks writes is held
-- while a table is read.
--
-- Why: hand-written scripts created accounts.id as varchar(255) and the
-- account_id columns as a mix of uuid and varchar; PostgreSQL cannot put a
-- foreign key between a uuid and a varchar column, nor compare them without a
-- cast. 0007/0008 add the foreign keys once every column is uuid.
--
-- Earlier text (valid-checksum above): one transaction of ALTER COLUMN … TYPE
-- uuid, which rewrites each table under ACCESS EXCLUSIVE (npm run bench,
-- online.fixes, 2,000,000 appointments: writers stalled up to 2.9 s and 6
-- application statements failed with 40P01). A database that ran it has uuid
-- columns already and does not run this file again.
--
-- The deadlock that text could meet (40P01 at "ALTER TABLE public.appointments
-- ALTER COLUMN account_id DROP DEFAULT"): it took the tables one after the
-- other in a single transaction — accounts, users, bot_configs, services, then
-- appointments — and held each ACCESS EXCLUSIVE lock until COMMIT. An
-- application INSERT into appointments takes ROW EXCLUSIVE on appointments,
-- then, at the end of the statement, its foreign-key check on
-- appointment_type (SELECT … FROM services … FOR KEY SHARE) asks for ROW
-- SHARE on services. Migration: holds services, waits for appointments.
-- Application: holds appointments, waits for services. Either side can be the
-- victim. Every step below instead either locks one table, or waits for the
-- first of its tables and asks for the others with NOWAIT: it never waits
-- while it holds a lock, so it cannot close a cycle, whatever order the
-- application takes its locks in. A NOWAIT that fails releases everything and
-- tries again after a short, growing pause (then 55P03, which schemaguard
-- retries with backoff and reports with the blocking sessions).
--
-- Steps (each statement below commits its own work, and every one of them
-- reads the catalog first, so a run that stopped anywhere — an error, a lock
-- timeout, a killed runner — is finished by the next run):
--   1. Look, change nothing: every column exists; every value is a UUID
--      (8-4-4-4-12 hex with dashes, or 32 hex digits without, any letter
--      case); no two accounts.id are the same UUID written differently.
--      Otherwise stop with counts and examples.
--      Foreign keys on the columns (varchar to varchar) are dropped, one per
--      transaction (0007 re-creates them on uuid columns, NOT VALID; 0008
--      validates them).
--      Expand: each table gets <column>__uuid uuid (catalog only) and a
--      trigger that keeps it equal to the old column on every INSERT and
--      UPDATE, one table per transaction. The trigger refuses a value that
--      is not a UUID with 22P02, as the uuid column will a moment later.
--   2. Backfill: batches of 5,000 rows in primary-key order, each its own
--      transaction; rows another session has locked are skipped (SKIP
--      LOCKED: the backfill never waits for, nor deadlocks with, an
--      application row lock) and caught by a sweep at the end. Progress is
--      committed with each batch in schema_fix_audit.uuid_backfill, so a run
--      that was killed continues after the last committed key (the runner's
--      sessions set client_connection_check_interval: the server ends the
--      orphaned statement within a second). A note every 5 s shows how far
--      it is.
--   3. Swap, one transaction for all columns (an application that joins
--      accounts.id with an account_id never sees one uuid and one varchar):
--      after a read-only check that every row is in step, each old column is
--      dropped and <column>__uuid takes its name (catalog only). accounts
--      keeps its old key as id__varchar, still the primary key, kept in step
--      by a trigger, until step 5; its new id already has DEFAULT
--      gen_random_uuid() and a validated CHECK (id IS NOT NULL).
--   4. CREATE UNIQUE INDEX CONCURRENTLY accounts_pkey on the new id. It names
--      the final column and the final index, so on a database whose
--      accounts.id was uuid already it finds accounts_pkey and skips.
--   5. accounts' primary key moves to that index (ADD CONSTRAINT … PRIMARY
--      KEY USING INDEX; SET NOT NULL uses the validated CHECK instead of a
--      scan) and id__varchar is dropped, catalog only.
-- While step 4 builds, lookups by accounts.id have no index (the old one
-- serves id__varchar): they read accounts sequentially for those seconds.
--
-- Where this file has no online form — a column that has other indexes or
-- constraints (the online form would drop them with the old column; only
-- the ones the schema re-creates are carried: the primary key, the foreign
-- keys, 0006's appointments_account_id_datetime_idx), or a table without a
-- one-column primary key to batch by — the column is converted in place,
-- inside step 3's transaction, with ALTER COLUMN … TYPE uuid: a rewrite under
-- ACCESS EXCLUSIVE. Step 1 measures the table first (pg_total_relation_size)
-- and refuses above 16 MB, naming the table, its size and the override:
--   ALTER DATABASE <db> SET schema_fix.max_blocking_rewrite = '256MB';
-- (or ALTER ROLE <migrating role> SET …, or PGOPTIONS='-c schema_fix.max_blocking_rewrite=256MB').
--
-- Locks, per step: 1. SELECT only, then per table ACCESS EXCLUSIVE for ADD
-- COLUMN and CREATE TRIGGER (catalog only); a foreign key drop locks its two
-- tables. 2. ROW EXCLUSIVE and row locks on one batch. 3. ACCESS EXCLUSIVE on
-- the converted tables for a catalog change (or a rewrite of the small ones
-- converted in place). 4. SHARE UPDATE EXCLUSIVE on accounts. 5. ACCESS
-- EXCLUSIVE on accounts, catalog only. Each wait is bounded by lock_timeout.

DO $look_and_expand$
DECLARE
  cols       text[][] := ARRAY[
    ['accounts', 'id'], ['users', 'account_id'], ['bot_configs', 'account_id'], ['services', 'account_id'],
    ['appointments', 'account_id'], ['availability_configs', 'account_id'], ['blackout_dates', 'account_id'],
    ['test_chat_sessions', 'account_id']];
  uuid_re    constant text := '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$';
  -- Indexes the schema builds again after the swap (0005/0006), by definition with the name left out.
  rebuilt    constant text[] := ARRAY['CREATE INDEX X ON public.appointments USING btree (account_id, datetime)'];
  limit_text text := coalesce(nullif(current_setting('schema_fix.max_blocking_rewrite', true), ''), '16MB');
  limit_b    bigint;
  t          text;
  c          text;
  tbl        regclass;
  n          bigint;
  ex         text;
  bad        text[] := '{}';
  total      bigint := 0;
  missing    text[] := '{}';
  refusals   text[] := '{}';
  online     text[][] := '{}';
  extra      text[];
  size_b     bigint;
  fk         record;
  got        boolean;
  attempt    int;
  why        text;
BEGIN
  -- Run as a bare call (the Data API runs a DO that commits that way), this gets no lock_timeout from the runner: never wait unbounded.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', false);
  END IF;
  BEGIN
    limit_b := pg_size_bytes(limit_text);
  EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION 'schema_fix.max_blocking_rewrite: "%" is not a size', limit_text
      USING ERRCODE = '22023', HINT = 'write it as PostgreSQL sizes are written, e.g. 16MB, 256MB or 2GB';
  END;

  -- 1. Look: which columns still need converting, and can they be?
  FOR k IN 1 .. array_length(cols, 1) LOOP
    t := cols[k][1];
    c := cols[k][2];
    IF to_regclass(format('public.%I', t)) IS NULL OR NOT EXISTS (
      SELECT 1 FROM pg_attribute WHERE attrelid = format('public.%I', t)::regclass AND attname = c AND attnum > 0 AND NOT attisdropped
    ) THEN
      missing := missing || format('%s.%s', t, c);
      CONTINUE;
    END IF;
    tbl := format('public.%I', t)::regclass;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = c AND atttypid <> 'uuid'::regtype) THEN
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

    -- What the online form would lose with the old column: any object that depends on it, except its
    -- default (replaced), NOT NULL (PostgreSQL 18 keeps it as a constraint), foreign keys (0007 re-makes
    -- them), accounts' primary key (moved by steps 3-5),
    -- the indexes 0006 builds again, and this file's own sync trigger.
    SELECT array_agg(DISTINCT what ORDER BY what) INTO extra FROM (
      SELECT CASE WHEN d.classid = 'pg_constraint'::regclass THEN format('constraint %s', con.conname)
                  WHEN r.relkind = 'i' THEN format('index %s', r.relname)
                  ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END AS what
        FROM pg_depend d
        JOIN pg_attribute a ON a.attrelid = tbl AND a.attname = c
        LEFT JOIN pg_class r ON d.classid = 'pg_class'::regclass AND r.oid = d.objid
        LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid
        LEFT JOIN pg_trigger tg ON d.classid = 'pg_trigger'::regclass AND tg.oid = d.objid
       WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = tbl AND d.refobjsubid = a.attnum
         AND d.classid <> 'pg_attrdef'::regclass
         AND NOT coalesce(con.contype IN ('f', 'n') OR (con.contype = 'p' AND t = 'accounts'), false)
         AND NOT coalesce(tg.tgname LIKE 'schema\_fix\_sync\_%', false)
         AND NOT coalesce(r.relkind = 'i' AND (
               EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conindid = r.oid AND p.contype = 'p' AND t = 'accounts')
               OR regexp_replace(pg_get_indexdef(r.oid), '^(CREATE (UNIQUE )?INDEX )\S+ ', '\1X ') = ANY (rebuilt)), false)
    ) AS deps;
    IF extra IS NULL AND NOT EXISTS (
      SELECT 1 FROM pg_constraint WHERE conrelid = tbl AND contype = 'p' AND cardinality(conkey) = 1
    ) THEN
      extra := ARRAY['no one-column primary key to backfill by'];
    END IF;
    IF extra IS NULL THEN
      online := online || ARRAY[[t, c]];
      CONTINUE;
    END IF;
    size_b := pg_total_relation_size(tbl);
    IF size_b > limit_b THEN
      refusals := refusals || format('%s.%s (%s; table %s is %s)', t, c, array_to_string(extra, ', '), t, pg_size_pretty(size_b));
    ELSE
      RAISE NOTICE '%.% will be converted in place (a % rewrite under ACCESS EXCLUSIVE): %', t, c, pg_size_pretty(size_b), array_to_string(extra, ', ');
    END IF;
  END LOOP;

  IF cardinality(missing) > 0 THEN
    RAISE EXCEPTION 'accounts.id and every account_id column must exist before they are converted to uuid: % missing', array_to_string(missing, ', ')
      USING ERRCODE = '42703', DETAIL = 'nothing was changed',
            HINT = 'restore the missing column (with the values it had), then run migrate again';
  END IF;
  IF total > 0 THEN
    RAISE EXCEPTION 'accounts.id cannot be converted to uuid: % value(s) are not UUIDs: %', total, array_to_string(bad, '; ')
      USING ERRCODE = '22P02',
            DETAIL = 'accepted forms: 8-4-4-4-12 hex with dashes, or 32 hex digits without dashes; nothing was changed',
            HINT = 'map each listed value to a UUID (update accounts.id and every account_id that uses it), then run migrate again';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.accounts'::regclass AND attname = 'id' AND atttypid <> 'uuid'::regtype) THEN
    SELECT count(*), string_agg(v, '; ') FILTER (WHERE rn <= 5) INTO n, ex
      FROM (SELECT string_agg(quote_literal(id::text), ' and ' ORDER BY id::text) AS v, row_number() OVER () AS rn
              FROM public.accounts GROUP BY lower(replace(id::text, '-', '')) HAVING count(*) > 1) AS d;
    IF n > 0 THEN
      RAISE EXCEPTION 'accounts.id cannot be converted to uuid: % UUID(s) are written more than once in different forms: %', n, ex
        USING ERRCODE = '23505', DETAIL = 'as uuid they would be the same key; nothing was changed',
              HINT = 'merge each listed pair of accounts (point every account_id at one of them, delete the other), then run migrate again';
    END IF;
  END IF;
  IF cardinality(refusals) > 0 THEN
    RAISE EXCEPTION 'cannot convert % to uuid online, and a blocking rewrite of that size is over schema_fix.max_blocking_rewrite (%): %',
        CASE WHEN cardinality(refusals) = 1 THEN 'a column' ELSE cardinality(refusals) || ' columns' END, limit_text, array_to_string(refusals, '; ')
      USING ERRCODE = '55000',
            DETAIL = 'the online form would drop the objects listed with the old column; converting in place rewrites the table under ACCESS EXCLUSIVE, blocking its reads and writes; nothing was changed',
            HINT = format('drop the listed objects (re-create them after the migration), or accept the blocking rewrite: ALTER DATABASE %I SET schema_fix.max_blocking_rewrite = ''<size>'' (or ALTER ROLE … SET, or PGOPTIONS=''-c schema_fix.max_blocking_rewrite=<size>''), then run migrate again', current_database());
  END IF;

  -- Foreign keys on these columns join varchar to varchar; 0007 re-creates them on the uuid columns.
  FOR fk IN
    SELECT con.conname, con.conrelid::regclass AS child, con.confrelid::regclass AS parent
      FROM pg_constraint con
     WHERE con.contype = 'f' AND EXISTS (
             SELECT 1 FROM unnest(cols[:][1:1], cols[:][2:2]) AS x(t, c)
               JOIN pg_attribute a ON a.attrelid = to_regclass(format('public.%I', x.t)) AND a.attname = x.c AND a.atttypid <> 'uuid'::regtype
              WHERE (con.conrelid = a.attrelid AND a.attnum = ANY (con.conkey)) OR (con.confrelid = a.attrelid AND a.attnum = ANY (con.confkey)))
     ORDER BY 1
  LOOP
    -- Wait for the table that holds the constraint, then NOWAIT for the one it references.
    attempt := 0;
    LOOP
      attempt := attempt + 1;
      BEGIN
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', fk.child);
        IF fk.parent <> fk.child THEN EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', fk.parent); END IF;
        got := true;
      EXCEPTION WHEN lock_not_available THEN
        got := false;
        GET STACKED DIAGNOSTICS why = MESSAGE_TEXT;
      END;
      EXIT WHEN got;
      IF attempt >= 10 THEN
        RAISE EXCEPTION 'could not lock % and % together to drop foreign key % (% attempts): %', fk.child, fk.parent, fk.conname, attempt, why
          USING ERRCODE = '55P03';
      END IF;
      PERFORM pg_sleep(least(1.0, 0.05 * 2 ^ attempt) * (0.5 + random() / 2));
    END LOOP;
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.child, fk.conname);
    RAISE NOTICE 'dropped foreign key % on % (varchar); 0007 re-creates the schema''s foreign keys on uuid columns', fk.conname, fk.child;
    COMMIT;
  END LOOP;

  -- Expand: the uuid column beside the old one, and the trigger that keeps them equal. One table per transaction.
  IF cardinality(online) > 0 THEN
    CREATE SCHEMA IF NOT EXISTS schema_fix_audit;
    CREATE TABLE IF NOT EXISTS schema_fix_audit.uuid_backfill (
      table_name  text        NOT NULL,
      column_name text        NOT NULL,
      last_key    text,
      rows_done   bigint      NOT NULL DEFAULT 0,
      started_at  timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      PRIMARY KEY (table_name, column_name));
    COMMENT ON TABLE schema_fix_audit.uuid_backfill IS
      'Progress of 0003_accounts_id_uuid.sql''s batched backfill (last primary key done, committed with each batch); dropped when the conversion is finished.';
    COMMIT;
  END IF;
  FOR k IN 1 .. coalesce(array_length(online, 1), 0) LOOP
    t := online[k][1];
    c := online[k][2];
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = format('public.%I', t)::regclass AND attname = c || '__uuid' AND NOT attisdropped) THEN
      CONTINUE;
    END IF;
    EXECUTE format($fn$
      CREATE OR REPLACE FUNCTION schema_fix_audit.%1$I() RETURNS trigger LANGUAGE plpgsql AS $body$
      BEGIN
        IF NEW.%2$I IS NULL THEN
          NEW.%3$I := NULL;
        ELSIF NEW.%2$I::text ~ %4$L THEN
          NEW.%3$I := NEW.%2$I::text::uuid;
        ELSE
          RAISE EXCEPTION 'invalid input syntax for type uuid: "%%"', NEW.%2$I
            USING ERRCODE = '22P02', DETAIL = %5$L;
        END IF;
        RETURN NEW;
      END
      $body$$fn$,
      'sync_' || t || '_' || c, c, c || '__uuid', uuid_re,
      format('%s.%s is being converted to uuid by 0003_accounts_id_uuid.sql: it accepts UUIDs only', t, c));
    EXECUTE format('ALTER TABLE public.%I ADD COLUMN %I uuid', t, c || '__uuid');
    EXECUTE format('COMMENT ON COLUMN public.%1$I.%2$I IS %3$L', t, c || '__uuid',
      coalesce(col_description(format('public.%I', t)::regclass,
        (SELECT attnum FROM pg_attribute WHERE attrelid = format('public.%I', t)::regclass AND attname = c)), ''));
    EXECUTE format('CREATE TRIGGER %1$I BEFORE INSERT OR UPDATE OF %2$I ON public.%3$I FOR EACH ROW EXECUTE FUNCTION schema_fix_audit.%4$I()',
      'schema_fix_sync_' || c, c, t, 'sync_' || t || '_' || c);
    INSERT INTO schema_fix_audit.uuid_backfill (table_name, column_name) VALUES (t, c) ON CONFLICT DO NOTHING;
    COMMIT;
  END LOOP;
END
$look_and_expand$;

-- 2. Backfill: batches in primary-key order, each committed with its progress row.
DO $backfill$
<<backfill>>
DECLARE
  uuid_re    constant text := '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$';
  batch_rows constant int := 5000;
  p          record;
  t          text;
  c          text;
  s          text;
  tbl        regclass;
  key_col    text;
  key_type   text;
  conv       text;
  last_key   text;
  scanned    bigint;
  changed    bigint;
  done       bigint;
  estimate   bigint;
  started    timestamptz;
  said       timestamptz;
  n          bigint;
  n_bad      bigint;
  ex         text;
  rounds     int;
BEGIN
  -- Run as a bare call (the Data API runs a DO that commits that way), this gets no lock_timeout from the runner: never wait unbounded.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', false);
  END IF;
  IF to_regclass('schema_fix_audit.uuid_backfill') IS NULL THEN
    RETURN;
  END IF;
  FOR p IN SELECT b.table_name, b.column_name, b.last_key, b.rows_done, b.finished_at
             FROM schema_fix_audit.uuid_backfill b ORDER BY b.table_name, b.column_name
  LOOP
    t := p.table_name;
    c := p.column_name;
    s := c || '__uuid';
    tbl := to_regclass(format('public.%I', t));
    CONTINUE WHEN tbl IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = s AND NOT attisdropped);
    SELECT a.attname, format_type(a.atttypid, a.atttypmod) INTO key_col, key_type
      FROM pg_constraint con JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
     WHERE con.conrelid = tbl AND con.contype = 'p';
    conv := format('CASE WHEN x.%1$I::text ~ %2$L THEN x.%1$I::text::uuid END', c, uuid_re);
    started := clock_timestamp();
    said := started;
    done := p.rows_done;
    last_key := p.last_key;
    SELECT greatest(reltuples, 0)::bigint INTO estimate FROM pg_class WHERE oid = tbl;

    WHILE p.finished_at IS NULL LOOP
      -- SKIP LOCKED: a row the application holds is left for the sweep below; the backfill never waits for it.
      EXECUTE format(
        'WITH batch AS MATERIALIZED (
           SELECT %1$I AS k FROM public.%2$I WHERE $1::text IS NULL OR %1$I > $1::%3$s
            ORDER BY %1$I LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED),
         changed AS (
           UPDATE public.%2$I x SET %4$I = %5$s
            WHERE x.%1$I = ANY (ARRAY(SELECT k FROM batch)) AND x.%6$I IS NOT NULL AND x.%4$I IS DISTINCT FROM %5$s
           RETURNING 1)
         SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM changed), (SELECT b.k FROM batch b ORDER BY b.k DESC LIMIT 1)::text',
        key_col, t, key_type, s, conv, c)
        INTO scanned, changed, last_key USING last_key, batch_rows;
      EXIT WHEN scanned = 0;
      done := done + changed;
      UPDATE schema_fix_audit.uuid_backfill SET last_key = backfill.last_key, rows_done = backfill.done
       WHERE table_name = t AND column_name = c;
      COMMIT;
      IF clock_timestamp() - said > interval '5 seconds' THEN
        RAISE NOTICE 'backfill %.%: % of about % rows', t, c, to_char(done, 'FM999,999,999,999'), to_char(estimate, 'FM999,999,999,999');
        said := clock_timestamp();
      END IF;
    END LOOP;
    UPDATE schema_fix_audit.uuid_backfill SET finished_at = coalesce(finished_at, now()) WHERE table_name = t AND column_name = c;
    COMMIT;

    -- Sweep: rows skipped above (locked at the time) and values that are not UUIDs (written before the trigger existed).
    rounds := 0;
    LOOP
      EXECUTE format(
        'SELECT count(*) FILTER (WHERE x.%1$I::text ~ %3$L), count(*) FILTER (WHERE x.%1$I::text !~ %3$L),
                array_to_string((array_agg(quote_literal(x.%1$I::text) ORDER BY x.%1$I::text) FILTER (WHERE x.%1$I::text !~ %3$L))[1:5], '', '')
           FROM public.%2$I x WHERE x.%1$I IS NOT NULL AND x.%4$I IS DISTINCT FROM %5$s',
        c, t, uuid_re, s, conv) INTO n, n_bad, ex;
      IF n_bad > 0 THEN
        RAISE EXCEPTION 'accounts.id cannot be converted to uuid: % value(s) are not UUIDs: %.%: % value(s), e.g. %',
            n_bad, t, c, n_bad, ex
          USING ERRCODE = '22P02',
                DETAIL = 'written after this migration''s first check; accepted forms: 8-4-4-4-12 hex with dashes, or 32 hex digits without dashes; the backfill so far is kept',
                HINT = 'map each listed value to a UUID, then run migrate again: it continues where it stopped';
      END IF;
      EXIT WHEN n = 0;
      rounds := rounds + 1;
      EXECUTE format(
        'WITH todo AS MATERIALIZED (
           SELECT ctid AS tid FROM public.%1$I x WHERE x.%2$I::text ~ %3$L AND x.%4$I IS DISTINCT FROM %5$s
            LIMIT $1 FOR NO KEY UPDATE %6$s)
         UPDATE public.%1$I x SET %4$I = %5$s WHERE x.ctid = ANY (ARRAY(SELECT tid FROM todo)) AND x.%4$I IS DISTINCT FROM %5$s',
        t, c, uuid_re, s, conv, CASE WHEN rounds <= 20 THEN 'SKIP LOCKED' ELSE '' END) USING batch_rows;
      GET DIAGNOSTICS changed = ROW_COUNT;
      done := done + changed;
      UPDATE schema_fix_audit.uuid_backfill SET rows_done = backfill.done WHERE table_name = t AND column_name = c;
      COMMIT;
      IF changed = 0 THEN
        PERFORM pg_sleep(0.2);
      END IF;
    END LOOP;
    RAISE NOTICE 'backfill %.%: % rows set in % s', t, c, to_char(done, 'FM999,999,999,999'),
      round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
  END LOOP;
END
$backfill$;

-- 3. Swap: every column at once, catalog only (small tables without an online form are rewritten here).
DO $swap$
DECLARE
  cols       text[][] := ARRAY[
    ['accounts', 'id'], ['users', 'account_id'], ['bot_configs', 'account_id'], ['services', 'account_id'],
    ['appointments', 'account_id'], ['availability_configs', 'account_id'], ['blackout_dates', 'account_id'],
    ['test_chat_sessions', 'account_id']];
  uuid_re    constant text := '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$';
  t          text;
  c          text;
  s          text;
  tbl        regclass;
  n          bigint;
  swaps      text[][] := '{}';
  in_place   text[][] := '{}';
  tabs       regclass[] := '{}';
  pk         text;
  got        boolean;
  attempt    int;
  why        text;
BEGIN
  -- Run as a bare call (the Data API runs a DO that commits that way), this gets no lock_timeout from the runner: never wait unbounded.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', false);
  END IF;
  FOR k IN 1 .. array_length(cols, 1) LOOP
    t := cols[k][1];
    c := cols[k][2];
    s := c || '__uuid';
    tbl := format('public.%I', t)::regclass;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = s AND NOT attisdropped) THEN
      -- Read-only: every row in step (the trigger keeps it so until the swap below).
      EXECUTE format('SELECT count(*) FROM public.%1$I x WHERE x.%2$I IS NOT NULL
                        AND x.%3$I IS DISTINCT FROM (CASE WHEN x.%2$I::text ~ %4$L THEN x.%2$I::text::uuid END)', t, c, s, uuid_re) INTO n;
      IF n > 0 THEN
        RAISE EXCEPTION '%.%: % row(s) not backfilled yet', t, c, n
          USING ERRCODE = '55000', DETAIL = 'nothing was swapped', HINT = 'run migrate again: the backfill continues where it stopped';
      END IF;
      swaps := swaps || ARRAY[[t, c]];
      tabs := tabs || tbl;
    ELSIF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = c AND atttypid <> 'uuid'::regtype) THEN
      in_place := in_place || ARRAY[[t, c]];
      tabs := tabs || tbl;
    END IF;
  END LOOP;

  IF cardinality(tabs) = 0 THEN
    -- Nothing to convert. A uuid primary key made by hand under another name takes the schema's name.
    SELECT conname INTO pk FROM pg_constraint WHERE conrelid = 'public.accounts'::regclass AND contype = 'p';
    IF pk <> 'accounts_pkey' AND to_regclass('public.accounts_pkey') IS NULL THEN
      EXECUTE format('ALTER TABLE public.accounts RENAME CONSTRAINT %I TO accounts_pkey', pk);
    END IF;
    RETURN;
  END IF;

  -- The new accounts.id becomes the primary key in step 5: prove it has no NULL now, so SET NOT NULL need not scan.
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.accounts'::regclass AND attname = 'id__uuid' AND NOT attisdropped) THEN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'public.accounts'::regclass AND conname = 'accounts_id_uuid_not_null') THEN
      ALTER TABLE public.accounts ADD CONSTRAINT accounts_id_uuid_not_null CHECK (id__uuid IS NOT NULL) NOT VALID;
      COMMIT;
    END IF;
    ALTER TABLE public.accounts VALIDATE CONSTRAINT accounts_id_uuid_not_null;
    COMMIT;
  END IF;

  -- Lock every table: wait for the largest (the busiest, as a rule), NOWAIT for the others.
  SELECT array_agg(x ORDER BY pg_total_relation_size(x) DESC) INTO tabs FROM unnest(tabs) AS x;
  attempt := 0;
  LOOP
    attempt := attempt + 1;
    BEGIN
      EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', tabs[1]);
      FOR k IN 2 .. cardinality(tabs) LOOP
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', tabs[k]);
      END LOOP;
      got := true;
    EXCEPTION WHEN lock_not_available THEN
      got := false;
      GET STACKED DIAGNOSTICS why = MESSAGE_TEXT;
    END;
    EXIT WHEN got;
    IF attempt >= 10 THEN
      RAISE EXCEPTION 'could not lock % together for the swap (% attempts): %', array_to_string(tabs::text[], ', '), attempt, why
        USING ERRCODE = '55P03';
    END IF;
    PERFORM pg_sleep(least(1.0, 0.05 * 2 ^ attempt) * (0.5 + random() / 2));
  END LOOP;

  FOR k IN 1 .. coalesce(array_length(in_place, 1), 0) LOOP
    t := in_place[k][1];
    c := in_place[k][2];
    -- A varchar default (e.g. gen_random_uuid()::text) cannot be cast; 0004 sets the schema's defaults.
    EXECUTE format('ALTER TABLE public.%I ALTER COLUMN %I DROP DEFAULT', t, c);
    EXECUTE format('ALTER TABLE public.%1$I ALTER COLUMN %2$I TYPE uuid USING %2$I::text::uuid', t, c);
    RAISE NOTICE 'converted %.% in place', t, c;
  END LOOP;
  FOR k IN 1 .. coalesce(array_length(swaps, 1), 0) LOOP
    t := swaps[k][1];
    c := swaps[k][2];
    s := c || '__uuid';
    EXECUTE format('DROP TRIGGER schema_fix_sync_%s ON public.%I', c, t);
    EXECUTE format('DROP FUNCTION schema_fix_audit.%I()', 'sync_' || t || '_' || c);
    IF t = 'accounts' THEN
      -- The varchar key stays the primary key (as id__varchar) until step 5 moves it to the new id.
      SELECT conname INTO pk FROM pg_constraint WHERE conrelid = 'public.accounts'::regclass AND contype = 'p';
      EXECUTE format('ALTER TABLE public.accounts RENAME CONSTRAINT %I TO accounts_varchar_pkey', pk);
      ALTER TABLE public.accounts RENAME COLUMN id TO id__varchar;
      ALTER TABLE public.accounts RENAME COLUMN id__uuid TO id;
      ALTER TABLE public.accounts ALTER COLUMN id__varchar DROP DEFAULT;
      ALTER TABLE public.accounts ALTER COLUMN id SET DEFAULT gen_random_uuid();
      CREATE FUNCTION schema_fix_audit.sync_accounts_id__varchar() RETURNS trigger LANGUAGE plpgsql AS $body$
      BEGIN
        NEW.id__varchar := NEW.id::text;
        RETURN NEW;
      END
      $body$;
      CREATE TRIGGER schema_fix_sync_id__varchar BEFORE INSERT OR UPDATE OF id ON public.accounts
        FOR EACH ROW EXECUTE FUNCTION schema_fix_audit.sync_accounts_id__varchar();
    ELSE
      EXECUTE format('ALTER TABLE public.%I DROP COLUMN %I', t, c);
      EXECUTE format('ALTER TABLE public.%I RENAME COLUMN %I TO %I', t, s, c);
    END IF;
  END LOOP;
  COMMIT;
  IF cardinality(swaps) > 0 THEN
    RAISE NOTICE 'uuid columns swapped in: %', (SELECT string_agg(format('%s.%s', swaps[k][1], swaps[k][2]), ', ') FROM generate_subscripts(swaps, 1) AS k);
  END IF;
END
$swap$;

-- 4. accounts' new primary key index; on a database whose accounts.id was uuid already, accounts_pkey exists and this skips.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_pkey ON public.accounts (id);

-- 5. The primary key moves to it; the varchar key goes. Catalog only.
DO $primary_key$
BEGIN
  -- Run as a bare call (the Data API runs a DO that commits that way), this gets no lock_timeout from the runner: never wait unbounded.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', false);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.accounts'::regclass AND attname = 'id__varchar' AND NOT attisdropped) THEN
    LOCK TABLE public.accounts IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE public.accounts ALTER COLUMN id SET NOT NULL;
    ALTER TABLE public.accounts DROP CONSTRAINT accounts_varchar_pkey;
    ALTER TABLE public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_pkey;
    ALTER TABLE public.accounts DROP CONSTRAINT accounts_id_uuid_not_null;
    DROP TRIGGER schema_fix_sync_id__varchar ON public.accounts;
    DROP FUNCTION schema_fix_audit.sync_accounts_id__varchar();
    ALTER TABLE public.accounts DROP COLUMN id__varchar;
    COMMIT;
    RAISE NOTICE 'accounts.id is the uuid primary key';
  END IF;
  IF to_regclass('schema_fix_audit.uuid_backfill') IS NOT NULL THEN
    DROP TABLE schema_fix_audit.uuid_backfill;
  END IF;
END
$primary_key$;

-- schemaguard:check accounts.id and every account_id column exist and are uuid
SELECT x.tbl, x.col, coalesce(c.data_type, 'missing') AS data_type
  FROM (VALUES ('accounts', 'id'), ('users', 'account_id'), ('bot_configs', 'account_id'), ('services', 'account_id'),
               ('appointments', 'account_id'), ('availability_configs', 'account_id'), ('blackout_dates', 'account_id'),
               ('test_chat_sessions', 'account_id')) AS x(tbl, col)
  LEFT JOIN information_schema.columns c
    ON c.table_schema = 'public' AND c.table_name = x.tbl AND c.column_name = x.col
 WHERE c.data_type IS DISTINCT FROM 'uuid';

-- schemaguard:check accounts' primary key is accounts_pkey on (id)
SELECT 'accounts' AS table_name, coalesce(pg_get_constraintdef(con.oid), 'no primary key') AS primary_key, con.conname
  FROM (SELECT 1) AS one
  LEFT JOIN pg_constraint con ON con.conrelid = 'public.accounts'::regclass AND con.contype = 'p'
 WHERE con.conname IS DISTINCT FROM 'accounts_pkey' OR pg_get_constraintdef(con.oid) <> 'PRIMARY KEY (id)';

-- schemaguard:check nothing of the conversion is left behind (old or new columns, sync triggers, progress table)
SELECT c.relname AS table_name, a.attname AS leftover
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
   AND (a.attname LIKE '%\_\_uuid' OR a.attname LIKE '%\_\_varchar')
UNION ALL
SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'schema\_fix\_sync\_%'
UNION ALL
SELECT 'schema_fix_audit.uuid_backfill', 'progress table' WHERE to_regclass('schema_fix_audit.uuid_backfill') IS NOT NULL;
