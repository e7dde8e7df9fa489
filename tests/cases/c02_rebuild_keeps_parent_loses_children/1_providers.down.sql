DROP TABLE provided_repos; DROP TABLE providers;
