-- "" here is a string (SQLite's double-quoted-string fallback); SQLite rewrites it to '' in the
-- stored schema whenever any ALTER TABLE ... DROP COLUMN runs, on any table.
CREATE TABLE events (id INTEGER PRIMARY KEY, uid TEXT NOT NULL, rrule TEXT);
CREATE UNIQUE INDEX events_unique_uid ON events (uid, coalesce(rrule, ""));
CREATE TRIGGER events_no_null_rrule AFTER INSERT ON events WHEN NEW.rrule IS NULL
BEGIN
    UPDATE events SET rrule = "" WHERE id = NEW.id;
END;
CREATE VIEW single_events AS SELECT id, uid FROM events WHERE rrule = "";
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
