DROP TRIGGER trg_issue_comments_updated_at;
DROP TABLE issue_comments;
