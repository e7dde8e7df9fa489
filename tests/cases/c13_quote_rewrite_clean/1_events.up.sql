-- "" here is a string (SQLite's double-quoted-string fallback); SQLite rewrites it to '' in the
-- stored schema whenever any ALTER TABLE ... DROP COLUMN runs, on any table.
CREATE TABLE events (id INTEGER PRIMARY KEY, uid TEXT NOT NULL, rrule TEXT);
CREATE UNIQUE INDEX events_unique_uid ON events (uid, coalesce(rrule, ""));
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
