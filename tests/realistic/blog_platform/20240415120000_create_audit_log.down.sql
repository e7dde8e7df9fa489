DROP TRIGGER trg_posts_audit_delete;
DROP TABLE audit_log;
