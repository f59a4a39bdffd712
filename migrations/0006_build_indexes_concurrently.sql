-- schemaguard:no-transaction
-- schemaguard:lock-timeout=5s
--
-- Deactivates duplicate active purchases, then builds the partial unique index
-- unique_active_purchase and the appointments indexes without blocking writes.
--
-- Duplicates (policy): for each (student_id, course_id) with more than one
-- active purchase, the earliest purchase (purchased_at, then id) stays active;
-- the others get is_active = false — never deleted — and each one is recorded
-- in schema_fix_audit.deactivated_purchases with the id of the row that was
-- kept. How many: SELECT count(*) FROM schema_fix_audit.deactivated_purchases.
--
-- Locks: the UPDATE takes row locks on the duplicates only. CREATE INDEX
-- CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on the table: reads and writes go
-- on while it builds. This file runs outside a transaction (CONCURRENTLY
-- requires it), statement by statement, and is safe to run again: a failed
-- run (e.g. a new duplicate written between the UPDATE and the index build)
-- records nothing, its INVALID index is dropped, and the next run deactivates
-- the new duplicate and builds the index again (IF NOT EXISTS).
WITH ranked AS (
  SELECT id, student_id, course_id,
         first_value(id) OVER w AS kept_id,
         row_number() OVER w AS rn
    FROM public.student_course_purchases
   WHERE is_active = true
  WINDOW w AS (PARTITION BY student_id, course_id ORDER BY purchased_at, id)
), deactivated AS (
  UPDATE public.student_course_purchases p
     SET is_active = false, updated_at = now()
    FROM ranked r
   WHERE p.id = r.id AND r.rn > 1
  RETURNING p.id, p.student_id, p.course_id, r.kept_id
)
INSERT INTO schema_fix_audit.deactivated_purchases (purchase_id, student_id, course_id, kept_purchase_id, reason)
SELECT id, student_id, course_id, kept_id, 'duplicate active purchase: 0006_build_indexes_concurrently kept the earliest'
  FROM deactivated
ON CONFLICT (purchase_id) DO NOTHING;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS unique_active_purchase
  ON public.student_course_purchases (student_id, course_id) WHERE is_active = true;

CREATE INDEX CONCURRENTLY IF NOT EXISTS appointments_account_id_datetime_idx
  ON public.appointments (account_id, datetime);

CREATE INDEX CONCURRENTLY IF NOT EXISTS appointments_customer_phone_idx
  ON public.appointments (customer_phone);

-- Indexes with the right name but the wrong definition, renamed by 0005.
DROP INDEX CONCURRENTLY IF EXISTS public.unique_active_purchase_replaced;
DROP INDEX CONCURRENTLY IF EXISTS public.appointments_account_id_datetime_idx_replaced;
DROP INDEX CONCURRENTLY IF EXISTS public.appointments_customer_phone_idx_replaced;

-- schemaguard:check unique_active_purchase is a valid unique index on (student_id, course_id) WHERE is_active = true
SELECT 'unique_active_purchase' AS index_name, coalesce(pg_get_indexdef(i.indexrelid), 'missing') AS definition, i.indisvalid AS valid
  FROM (SELECT to_regclass('public.unique_active_purchase') AS oid) AS x
  LEFT JOIN pg_index i ON i.indexrelid = x.oid
 WHERE i.indexrelid IS NULL OR NOT i.indisvalid OR NOT i.indisunique
    OR pg_get_indexdef(i.indexrelid) <> 'CREATE UNIQUE INDEX unique_active_purchase ON public.student_course_purchases USING btree (student_id, course_id) WHERE (is_active = true)';

-- schemaguard:check at most one active purchase per student and course
SELECT student_id, course_id, count(*) AS active_purchases
  FROM public.student_course_purchases
 WHERE is_active = true
 GROUP BY student_id, course_id
HAVING count(*) > 1;

-- schemaguard:check the appointments indexes exist and are valid
SELECT n AS index_name
  FROM unnest(ARRAY['appointments_account_id_datetime_idx', 'appointments_customer_phone_idx']) AS n
  LEFT JOIN pg_index i ON i.indexrelid = to_regclass(format('public.%I', n))
 WHERE i.indexrelid IS NULL OR NOT i.indisvalid;
