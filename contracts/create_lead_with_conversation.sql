-- Creates a conversation and its lead in one transaction.
-- $1 user_id uuid, $2 customer_phone text, $3 customer_name text, $4 lead_type text, $5 details text.
-- Returns json {"lead_id": …, "conversation_id": …}; an invalid lead type raises 23514 and writes nothing.
SELECT create_lead_with_conversation($1, $2, $3, $4, $5) AS result;
