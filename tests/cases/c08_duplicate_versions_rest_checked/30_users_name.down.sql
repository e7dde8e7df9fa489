-- forgot to drop the index
SELECT 1;
