DROP TABLE progress; DROP TABLE media; DROP TABLE users;
