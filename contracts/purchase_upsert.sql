-- The course purchase upsert. $1 student_id uuid, $2 course_id uuid.
-- ON CONFLICT must repeat the predicate of the partial unique index
-- unique_active_purchase (WHERE is_active = true) for PostgreSQL to infer it;
-- without the index, or without the predicate, it fails with 42P10.
INSERT INTO student_course_purchases (student_id, course_id, is_active)
VALUES ($1, $2, true)
ON CONFLICT (student_id, course_id) WHERE is_active = true
DO UPDATE SET updated_at = now()
RETURNING id;
