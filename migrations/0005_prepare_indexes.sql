-- Prepares 0006, which builds the indexes CONCURRENTLY: makes the index names
-- say what they hold, and creates the audit table that records every purchase
-- 0006 deactivates.
--
-- For each index 0006 builds (unique_active_purchase,
-- appointments_account_id_datetime_idx, appointments_customer_phone_idx):
--   * an index with that name but another definition (e.g. unique_active_purchase
--     without the WHERE is_active = true predicate, made by hand) is renamed to
--     <name>_replaced; 0006 builds the right one, then drops it concurrently;
--   * an index with the right definition under another name (made by hand) is
--     renamed to the expected name, so 0006 does not build it twice.
--
-- Locks: ALTER INDEX … RENAME takes a SHARE UPDATE EXCLUSIVE lock on the index
-- (PostgreSQL 12+), which does not block reads or writes; nothing is scanned.
-- The audit schema and table are new objects.

CREATE SCHEMA IF NOT EXISTS schema_fix_audit;
COMMENT ON SCHEMA schema_fix_audit IS 'What the schema fixes changed in application data, so every change can be reviewed and reverted.';

CREATE TABLE IF NOT EXISTS schema_fix_audit.deactivated_purchases (
  purchase_id      uuid        PRIMARY KEY,
  student_id       uuid        NOT NULL,
  course_id        uuid        NOT NULL,
  kept_purchase_id uuid        NOT NULL,
  deactivated_at   timestamptz NOT NULL DEFAULT now(),
  reason           text        NOT NULL
);
COMMENT ON TABLE schema_fix_audit.deactivated_purchases IS
  'Active duplicates of a (student_id, course_id) purchase that migration 0006 set is_active = false before building unique_active_purchase. Revert one with: UPDATE student_course_purchases SET is_active = true WHERE id = <purchase_id> (after deactivating the kept one).';

DO $fix$
DECLARE
  spec     text[][] := ARRAY[
    ['unique_active_purchase', 'student_course_purchases',
     'CREATE UNIQUE INDEX % ON public.student_course_purchases USING btree (student_id, course_id) WHERE (is_active = true)'],
    ['appointments_account_id_datetime_idx', 'appointments',
     'CREATE INDEX % ON public.appointments USING btree (account_id, datetime)'],
    ['appointments_customer_phone_idx', 'appointments',
     'CREATE INDEX % ON public.appointments USING btree (customer_phone)']];
  idx_name text;
  tbl      text;
  wanted   text;
  current  text;
  twin     text;
BEGIN
  FOR k IN 1 .. array_length(spec, 1) LOOP
    idx_name := spec[k][1];
    tbl := spec[k][2];
    wanted := replace(spec[k][3], '%', 'X');

    SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^(CREATE (UNIQUE )?INDEX )\S+ ', '\1X ')
      INTO current
      FROM pg_index i
     WHERE i.indexrelid = to_regclass(format('public.%I', idx_name));

    IF current IS NOT NULL AND current <> wanted THEN
      IF to_regclass(format('public.%I', idx_name || '_replaced')) IS NOT NULL THEN
        RAISE EXCEPTION 'index % has an unexpected definition and % already exists', idx_name, idx_name || '_replaced'
          USING DETAIL = format('found: %s; expected: %s', current, wanted),
                HINT = format('drop the leftover index: DROP INDEX CONCURRENTLY public.%I; then run migrate again', idx_name || '_replaced');
      END IF;
      EXECUTE format('ALTER INDEX public.%I RENAME TO %I', idx_name, idx_name || '_replaced');
      current := NULL;
    END IF;

    IF current IS NULL THEN
      SELECT c.relname INTO twin
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = format('public.%I', tbl)::regclass AND i.indisvalid
         AND c.relname NOT LIKE '%\_replaced'
         AND regexp_replace(pg_get_indexdef(i.indexrelid), '^(CREATE (UNIQUE )?INDEX )\S+ ', '\1X ') = wanted
       ORDER BY c.relname
       LIMIT 1;
      IF twin IS NOT NULL THEN
        EXECUTE format('ALTER INDEX public.%I RENAME TO %I', twin, idx_name);
      END IF;
    END IF;
  END LOOP;
END
$fix$;

-- schemaguard:check the audit table for deactivated purchases exists
SELECT 'schema_fix_audit.deactivated_purchases is missing' AS problem
 WHERE to_regclass('schema_fix_audit.deactivated_purchases') IS NULL;
