DROP TABLE kids;
DROP TABLE parents;
