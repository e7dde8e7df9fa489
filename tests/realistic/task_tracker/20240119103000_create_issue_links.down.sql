DROP TABLE issue_links;
