DROP VIEW open_issues;
