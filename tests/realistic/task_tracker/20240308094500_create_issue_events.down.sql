DROP TRIGGER trg_issues_status_event;
DROP TABLE issue_events;
