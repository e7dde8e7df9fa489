DROP TRIGGER trg_issues_updated_at;
DROP TABLE issues;
