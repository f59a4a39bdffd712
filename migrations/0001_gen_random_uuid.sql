-- Makes gen_random_uuid() available to every uuid primary key default.
--
-- Locks: none on application tables. CREATE EXTENSION only writes catalog rows.
-- Why: PostgreSQL 13+ has gen_random_uuid() built in; older engines need
-- pgcrypto (incident: "function gen_random_uuid() does not exist", 42883).
-- pgcrypto is enabled everywhere so every database has the same extensions,
-- whether or not someone already enabled it by hand (IF NOT EXISTS).
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- schemaguard:check gen_random_uuid() can be called
SELECT 'gen_random_uuid() is missing' AS problem
 WHERE to_regprocedure('gen_random_uuid()') IS NULL;

-- schemaguard:check pgcrypto is installed
SELECT 'pgcrypto is not installed' AS problem
 WHERE NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto');
