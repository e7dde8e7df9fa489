DROP TABLE grants; DROP TABLE tokens;
