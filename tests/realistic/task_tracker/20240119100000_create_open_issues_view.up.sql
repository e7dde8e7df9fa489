CREATE VIEW open_issues AS
    SELECT i.id, p.key || '-' || i.number AS ref, i.title, i.priority, i.assignee_id
    FROM issues i JOIN projects p ON p.id = i.project_id
    WHERE i.status <> 'closed' AND p.archived = 0;
