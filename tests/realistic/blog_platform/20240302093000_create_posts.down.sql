DROP TRIGGER trg_posts_updated_at;
DROP TABLE posts;
