-- A web session starts before the customer is known. $1 visitor_id text.
-- No lead_id and no id: web_sessions.lead_id must be nullable (else 23502)
-- and id must default to gen_random_uuid().
INSERT INTO web_sessions (visitor_id)
VALUES ($1)
RETURNING id;
