DROP VIEW product_ratings;
