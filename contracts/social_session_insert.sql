-- A social session starts before the customer is known. $1 platform text.
-- No lead_id and no id: social_sessions.lead_id must be nullable (else 23502)
-- and id must default to gen_random_uuid().
INSERT INTO social_sessions (platform)
VALUES ($1)
RETURNING id;
