CREATE VIEW product_ratings AS
    SELECT product_id, count(*) AS reviews, avg(rating) AS average
    FROM reviews GROUP BY product_id;
