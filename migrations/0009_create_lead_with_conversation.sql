-- create_lead_with_conversation: writes a conversation and its lead in one
-- transaction and returns both ids as json; an invalid lead type (the
-- leads_lead_type_check CHECK) raises and leaves neither row behind (a
-- function runs inside its caller's statement, so the error undoes both
-- inserts).
--
-- Older versions (another signature, or a different result type, which CREATE
-- OR REPLACE cannot change) are dropped first, so every database ends with
-- exactly this one.
--
-- Locks: none on tables; DROP/CREATE FUNCTION only write the catalog. Callers
-- see the old function until this migration commits, then the new one.

DO $fix$
DECLARE
  f record;
BEGIN
  FOR f IN
    SELECT p.oid::regprocedure AS sig
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' AND p.proname = 'create_lead_with_conversation'
       AND (pg_get_function_identity_arguments(p.oid) <> 'p_user_id uuid, p_customer_phone text, p_customer_name text, p_lead_type text, p_details text, p_conversation_status text, p_lead_status text'
            OR p.prorettype <> 'json'::regtype)
  LOOP
    EXECUTE format('DROP FUNCTION %s', f.sig);
  END LOOP;
END
$fix$;

CREATE OR REPLACE FUNCTION public.create_lead_with_conversation(
  p_user_id             uuid,
  p_customer_phone      text,
  p_customer_name       text,
  p_lead_type           text,
  p_details             text DEFAULT NULL,
  p_conversation_status text DEFAULT 'active',
  p_lead_status         text DEFAULT 'new'
) RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $function$
DECLARE
  v_conversation_id uuid;
  v_lead_id         uuid;
BEGIN
  INSERT INTO public.conversations (user_id, customer_phone, customer_name, status)
  VALUES (p_user_id, p_customer_phone, p_customer_name, p_conversation_status)
  RETURNING id INTO v_conversation_id;

  INSERT INTO public.leads (user_id, conversation_id, customer_phone, customer_name, lead_type, status, details)
  VALUES (p_user_id, v_conversation_id, p_customer_phone, p_customer_name, p_lead_type, p_lead_status, p_details)
  RETURNING id INTO v_lead_id;

  RETURN json_build_object('lead_id', v_lead_id, 'conversation_id', v_conversation_id);
END
$function$;

COMMENT ON FUNCTION public.create_lead_with_conversation(uuid, text, text, text, text, text, text) IS
  'Creates a conversation and its lead atomically; returns {"lead_id", "conversation_id"}. An invalid lead type raises and writes nothing.';

-- schemaguard:check create_lead_with_conversation exists once, returning json
SELECT 'create_lead_with_conversation' AS function_name, count(*) AS versions,
       string_agg(p.oid::regprocedure::text || ' -> ' || format_type(p.prorettype, NULL), '; ') AS found
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.proname = 'create_lead_with_conversation'
HAVING count(*) <> 1 OR bool_or(p.prorettype <> 'json'::regtype);
