DROP TABLE replies;
DROP TABLE threads;
