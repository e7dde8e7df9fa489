-- Every project gets a 'bug' label.
INSERT INTO labels (project_id, name, color)
    SELECT id, 'bug', '#d73a4a' FROM projects
    WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.project_id = projects.id AND l.name = 'bug');
