-- A whatsapp session starts before the customer is known. $1 phone text.
-- No lead_id and no id: whatsapp_sessions.lead_id must be nullable (else 23502)
-- and id must default to gen_random_uuid().
INSERT INTO whatsapp_sessions (phone)
VALUES ($1)
RETURNING id;
