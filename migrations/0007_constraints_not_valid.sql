-- schemaguard:no-transaction
-- schemaguard:valid-checksum 1046bcc5ac55e3b404478ae1edcb634c084c0488c001544f2d7d0efd02193966
-- schemaguard:valid-checksum dbdffe9fe66ab5435590e93bc17de76cf7180671591cf43613deaf88e9738f5a
--
-- Adds the foreign keys and CHECK constraints as NOT VALID: from their commit
-- on they protect every new write, without scanning the rows already there
-- (0008 validates those, and reports what it finds).
--
-- Foreign keys: every account_id → accounts(id), appointments.appointment_type
-- → services(id), services.bot_config_id → bot_configs(id), the four session
-- lead_id → all_leads(id), leads.conversation_id → conversations(id), all
-- ON DELETE SET NULL; lead_purchases.lead_id → all_leads(id) (a purchase
-- without its lead makes no sense: deleting a purchased lead is refused).
-- CHECKs: appointment status values (including 'confirmed'), duration > 0,
-- the lead types create_lead_with_conversation accepts, price >= 0.
--
-- A constraint that exists with the expected name and definition is kept; one
-- with the expected name but another definition (e.g. a status CHECK without
-- 'confirmed', a foreign key without ON DELETE SET NULL), and a foreign key on
-- the same column under another name, are dropped and re-added NOT VALID.
--
-- Locks: one constraint per transaction, catalog only (no row is read). ADD
-- FOREIGN KEY … NOT VALID takes SHARE ROW EXCLUSIVE on its table and on the
-- referenced one (blocks writes, not reads); ADD CHECK … NOT VALID takes
-- ACCESS EXCLUSIVE on its table; dropping a foreign key takes ACCESS
-- EXCLUSIVE on both tables. A foreign key's two tables are the lock order
-- an application can invert: an INSERT into appointments holds appointments
-- and then, for its foreign-key check, asks for accounts; a DELETE from
-- accounts holds accounts and then, for ON DELETE SET NULL, asks for
-- appointments. So each step waits (bounded by lock_timeout) only for the
-- table that holds the constraint, and asks for the referenced table with
-- NOWAIT: it never waits while it holds a lock, and cannot be part of a
-- deadlock. A NOWAIT that fails rolls the step back and tries again after a
-- short, growing pause.
--
-- Earlier text (valid-checksum above): all constraints in one transaction,
-- each lock held until its end. A database that ran it has them already.

DO $fix$
DECLARE
  spec     text[][] := ARRAY[
    ['users',                'users_account_id_fkey',                'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['bot_configs',          'bot_configs_account_id_fkey',          'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['services',             'services_account_id_fkey',             'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['services',             'services_bot_config_id_fkey',          'FOREIGN KEY (bot_config_id) REFERENCES bot_configs(id) ON DELETE SET NULL'],
    ['appointments',         'appointments_account_id_fkey',         'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['appointments',         'appointments_appointment_type_fkey',   'FOREIGN KEY (appointment_type) REFERENCES services(id) ON DELETE SET NULL'],
    ['availability_configs', 'availability_configs_account_id_fkey', 'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['blackout_dates',       'blackout_dates_account_id_fkey',       'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['test_chat_sessions',   'test_chat_sessions_account_id_fkey',   'FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL'],
    ['web_sessions',         'web_sessions_lead_id_fkey',            'FOREIGN KEY (lead_id) REFERENCES all_leads(id) ON DELETE SET NULL'],
    ['whatsapp_sessions',    'whatsapp_sessions_lead_id_fkey',       'FOREIGN KEY (lead_id) REFERENCES all_leads(id) ON DELETE SET NULL'],
    ['voice_sessions',       'voice_sessions_lead_id_fkey',          'FOREIGN KEY (lead_id) REFERENCES all_leads(id) ON DELETE SET NULL'],
    ['social_sessions',      'social_sessions_lead_id_fkey',         'FOREIGN KEY (lead_id) REFERENCES all_leads(id) ON DELETE SET NULL'],
    ['lead_purchases',       'lead_purchases_lead_id_fkey',          'FOREIGN KEY (lead_id) REFERENCES all_leads(id)'],
    ['leads',                'leads_conversation_id_fkey',           'FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE SET NULL'],
    ['appointments',         'appointments_status_check',            'CHECK ((status = ANY (ARRAY[''pending''::text, ''confirmed''::text, ''cancelled''::text, ''completed''::text, ''no_show''::text])))'],
    ['appointments',         'appointments_duration_check',          'CHECK ((duration > 0))'],
    ['services',             'services_duration_check',              'CHECK ((duration > 0))'],
    ['leads',                'leads_lead_type_check',                'CHECK ((lead_type = ANY (ARRAY[''booking''::text, ''inquiry''::text, ''support''::text, ''sales''::text])))'],
    ['lead_purchases',       'lead_purchases_price_check',           'CHECK ((price >= (0)::numeric))']];
  tbl      text;
  con_name text;
  wanted   text;
  current  text;
  ref      regclass;
  others   regclass[];
  modes    text;
  path_was text := current_setting('search_path');
  drops    text[];
  got      boolean;
  attempt  int;
  why      text;
BEGIN
  -- Run as a bare call (the Data API runs a DO that commits that way), this gets no lock_timeout from the runner: never wait unbounded.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', false);
  END IF;
  -- Definitions below are written as pg_get_constraintdef prints them with public on the search path.
  PERFORM set_config('search_path', 'public', false);
  FOR k IN 1 .. array_length(spec, 1) LOOP
    tbl := spec[k][1];
    con_name := spec[k][2];
    wanted := spec[k][3];

    SELECT regexp_replace(pg_get_constraintdef(oid), ' NOT VALID$', '') INTO current
      FROM pg_constraint
     WHERE conrelid = format('public.%I', tbl)::regclass AND conname = con_name;
    drops := CASE WHEN current IS NOT NULL AND current <> wanted THEN ARRAY[con_name] ELSE '{}' END;
    ref := CASE WHEN wanted LIKE 'FOREIGN KEY%' THEN format('public.%I', substring(wanted FROM 'REFERENCES (\w+)\('))::regclass END;

    IF ref IS NOT NULL THEN
      -- A foreign key on the same column made by hand under another name would be a second, different rule.
      -- conname is of type name: as text, because PostgreSQL 13 has no text[] || name[] (42883).
      SELECT drops || coalesce(array_agg(c.conname::text ORDER BY c.conname), '{}') INTO drops
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.conrelid = format('public.%I', tbl)::regclass AND c.contype = 'f' AND c.conname <> con_name
         AND cardinality(c.conkey) = 1 AND a.attname = substring(wanted FROM '^FOREIGN KEY \((\w+)\)');
    END IF;
    CONTINUE WHEN cardinality(drops) = 0 AND current = wanted;
    -- The other tables involved: the referenced one, and those the foreign keys being dropped reference.
    SELECT coalesce(array_agg(DISTINCT x), '{}') INTO others
      FROM (SELECT ref AS x UNION ALL
            SELECT confrelid::regclass FROM pg_constraint
             WHERE conrelid = format('public.%I', tbl)::regclass AND conname = ANY (drops) AND contype = 'f') AS o
     WHERE x IS NOT NULL AND x <> format('public.%I', tbl)::regclass;

    -- Its table first, waiting; the referenced one with NOWAIT. Dropping a foreign key needs ACCESS EXCLUSIVE on both.
    modes := CASE WHEN ref IS NULL OR cardinality(drops) > 0 THEN 'ACCESS EXCLUSIVE' ELSE 'SHARE ROW EXCLUSIVE' END;
    -- (A CHECK's drop and add need ACCESS EXCLUSIVE on its table only.)
    attempt := 0;
    LOOP
      attempt := attempt + 1;
      BEGIN
        EXECUTE format('LOCK TABLE public.%I IN %s MODE', tbl, modes);
        FOR o IN 1 .. cardinality(others) LOOP
          EXECUTE format('LOCK TABLE %s IN %s MODE NOWAIT', others[o], modes);
        END LOOP;
        got := true;
      EXCEPTION WHEN lock_not_available THEN
        got := false;
        GET STACKED DIAGNOSTICS why = MESSAGE_TEXT;
      END;
      EXIT WHEN got;
      IF attempt >= 10 THEN
        RAISE EXCEPTION 'could not lock % and % together for % (% attempts): %', tbl, array_to_string(others::text[], ', '), con_name, attempt, why
          USING ERRCODE = '55P03';
      END IF;
      PERFORM pg_sleep(least(1.0, 0.05 * 2 ^ attempt) * (0.5 + random() / 2));
    END LOOP;

    FOR d IN 1 .. coalesce(cardinality(drops), 0) LOOP
      EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', tbl, drops[d]);
    END LOOP;
    IF current IS NULL OR current <> wanted THEN
      EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s NOT VALID', tbl, con_name, wanted);
    END IF;
    COMMIT;
  END LOOP;
  PERFORM set_config('search_path', path_was, false);
END
$fix$;

-- schemaguard:check every foreign key and CHECK of the schema exists (validated by 0008)
SELECT x.tbl, x.con_name
  FROM (VALUES
    ('users', 'users_account_id_fkey'), ('bot_configs', 'bot_configs_account_id_fkey'),
    ('services', 'services_account_id_fkey'), ('services', 'services_bot_config_id_fkey'),
    ('appointments', 'appointments_account_id_fkey'), ('appointments', 'appointments_appointment_type_fkey'),
    ('availability_configs', 'availability_configs_account_id_fkey'), ('blackout_dates', 'blackout_dates_account_id_fkey'),
    ('test_chat_sessions', 'test_chat_sessions_account_id_fkey'), ('web_sessions', 'web_sessions_lead_id_fkey'),
    ('whatsapp_sessions', 'whatsapp_sessions_lead_id_fkey'), ('voice_sessions', 'voice_sessions_lead_id_fkey'),
    ('social_sessions', 'social_sessions_lead_id_fkey'), ('lead_purchases', 'lead_purchases_lead_id_fkey'),
    ('leads', 'leads_conversation_id_fkey'), ('appointments', 'appointments_status_check'),
    ('appointments', 'appointments_duration_check'), ('services', 'services_duration_check'),
    ('leads', 'leads_lead_type_check'), ('lead_purchases', 'lead_purchases_price_check')) AS x(tbl, con_name)
 WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conrelid = format('public.%I', x.tbl)::regclass AND c.conname = x.con_name);
