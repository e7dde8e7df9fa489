DROP TABLE users;
DROP INDEX events_unique_uid;
DROP TABLE events;
