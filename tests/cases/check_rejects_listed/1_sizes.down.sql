DROP TABLE shirts;
