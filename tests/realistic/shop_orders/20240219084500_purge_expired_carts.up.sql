-- Carts that expired before the cart rewrite are useless; their items go with them (CASCADE).
DELETE FROM carts WHERE expires_at < '2024-01-01T00:00:00.000Z';
