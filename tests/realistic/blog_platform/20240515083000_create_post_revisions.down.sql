DROP TRIGGER trg_posts_revision;
DROP TABLE post_revisions;
