DROP TABLE sprint_issues;
DROP TABLE sprints;
