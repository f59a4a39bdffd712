-- Creates every application table that does not exist yet, in its final form
-- (uuid keys with DEFAULT gen_random_uuid(), nullable session lead_id, CHECKs).
--
-- Locks: none on existing tables. CREATE TABLE IF NOT EXISTS leaves a table
-- that already exists untouched, whatever its shape: the following migrations
-- repair existing tables one drift at a time, with the lightest lock each fix
-- allows. Foreign keys are added by 0007/0008 for fresh and old databases
-- alike, so both paths end in the same constraints.

-- Lead marketplace
CREATE TABLE IF NOT EXISTS public.all_leads (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text,
  email      text,
  phone      text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.lead_purchases (
  id           uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id      uuid          NOT NULL,
  buyer_id     uuid          NOT NULL,
  price        numeric(10,2) NOT NULL CONSTRAINT lead_purchases_price_check CHECK (price >= 0),
  purchased_at timestamptz   NOT NULL DEFAULT now(),
  updated_at   timestamptz   NOT NULL DEFAULT now()
);

-- Channel sessions: created before the customer is known, so lead_id is nullable.
CREATE TABLE IF NOT EXISTS public.web_sessions (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id    uuid,
  visitor_id text,
  started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.whatsapp_sessions (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id    uuid,
  phone      text,
  started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.voice_sessions (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id    uuid,
  phone      text,
  started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.social_sessions (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id    uuid,
  platform   text,
  started_at timestamptz NOT NULL DEFAULT now()
);

-- Courses (the partial unique index is built by 0006, concurrently).
CREATE TABLE IF NOT EXISTS public.student_course_purchases (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  student_id   uuid        NOT NULL,
  course_id    uuid        NOT NULL,
  is_active    boolean     NOT NULL DEFAULT true,
  purchased_at timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Messaging
CREATE TABLE IF NOT EXISTS public.conversations (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid        NOT NULL,
  customer_phone text        NOT NULL,
  customer_name  text,
  status         text        NOT NULL DEFAULT 'active',
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.leads (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid        NOT NULL,
  conversation_id uuid,
  customer_phone  text        NOT NULL,
  customer_name   text,
  lead_type       text        NOT NULL CONSTRAINT leads_lead_type_check CHECK (lead_type IN ('booking', 'inquiry', 'support', 'sales')),
  status          text        NOT NULL DEFAULT 'new',
  details         text,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Bookings
CREATE TABLE IF NOT EXISTS public.accounts (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.users (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid,
  email      text        NOT NULL,
  name       text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.bot_configs (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid,
  name       text        NOT NULL,
  settings   jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.services (
  id            uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id    uuid,
  bot_config_id uuid,
  name          text          NOT NULL,
  duration      integer       NOT NULL CONSTRAINT services_duration_check CHECK (duration > 0),
  price         numeric(10,2),
  created_at    timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.appointments (
  id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id       uuid,
  appointment_type uuid,
  customer_name    text,
  customer_phone   text,
  datetime         timestamptz NOT NULL,
  duration         integer     NOT NULL DEFAULT 30 CONSTRAINT appointments_duration_check CHECK (duration > 0),
  status           text        NOT NULL DEFAULT 'pending'
    CONSTRAINT appointments_status_check CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed', 'no_show')),
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.availability_configs (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid,
  day_of_week smallint    NOT NULL,
  start_time  time        NOT NULL,
  end_time    time        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.blackout_dates (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid,
  date       date        NOT NULL,
  reason     text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.test_chat_sessions (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid,
  messages   jsonb       NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- schemaguard:check every application table exists
SELECT t AS missing_table
  FROM unnest(ARRAY['all_leads', 'lead_purchases', 'web_sessions', 'whatsapp_sessions', 'voice_sessions',
                    'social_sessions', 'student_course_purchases', 'conversations', 'leads', 'accounts', 'users',
                    'bot_configs', 'services', 'appointments', 'availability_configs', 'blackout_dates',
                    'test_chat_sessions']) AS t
 WHERE to_regclass(format('public.%I', t)) IS NULL;
