-- A travel agent buys a lead. $1 lead_id uuid, $2 buyer_id uuid, $3 price numeric.
-- No id: lead_purchases.id must default to gen_random_uuid() (else 23502).
INSERT INTO lead_purchases (lead_id, buyer_id, price)
VALUES ($1, $2, $3)
RETURNING id;
