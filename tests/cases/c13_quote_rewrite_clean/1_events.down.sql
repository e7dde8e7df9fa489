DROP TABLE users;
DROP VIEW single_events;
DROP TRIGGER events_no_null_rrule;
DROP INDEX events_unique_uid;
DROP TABLE events;
