DROP TABLE entries; DROP TABLE feeds;
