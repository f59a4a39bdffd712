-- Adds the foreign keys and CHECK constraints as NOT VALID: from this commit on
-- they protect every new write, without scanning the rows already there (0008
-- validates those, and reports what it finds).
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
-- Locks: ADD FOREIGN KEY … NOT VALID takes SHARE ROW EXCLUSIVE on both tables
-- (blocks writes, not reads) and ADD CHECK … NOT VALID / DROP CONSTRAINT take
-- ACCESS EXCLUSIVE, each only for the catalog update: no row is read.

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
  r        record;
BEGIN
  -- Definitions below are written as pg_get_constraintdef prints them with public on the search path.
  PERFORM set_config('search_path', 'public', true);
  FOR k IN 1 .. array_length(spec, 1) LOOP
    tbl := spec[k][1];
    con_name := spec[k][2];
    wanted := spec[k][3];

    SELECT regexp_replace(pg_get_constraintdef(oid), ' NOT VALID$', '') INTO current
      FROM pg_constraint
     WHERE conrelid = format('public.%I', tbl)::regclass AND conname = con_name;

    IF current IS NOT NULL AND current <> wanted THEN
      EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', tbl, con_name);
      current := NULL;
    END IF;

    IF wanted LIKE 'FOREIGN KEY%' THEN
      -- A foreign key on the same column made by hand under another name would be a second, different rule.
      FOR r IN
        SELECT c.conname
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.conrelid = format('public.%I', tbl)::regclass AND c.contype = 'f' AND c.conname <> con_name
           AND cardinality(c.conkey) = 1 AND a.attname = substring(wanted FROM '^FOREIGN KEY \((\w+)\)')
      LOOP
        EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', tbl, r.conname);
      END LOOP;
    END IF;

    IF current IS NULL THEN
      EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s NOT VALID', tbl, con_name, wanted);
    END IF;
  END LOOP;
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
