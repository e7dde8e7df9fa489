-- The type's id becomes its name, read from the lookup table the query joins: on purpose.
CREATE TABLE activities_temp (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT NOT NULL
);
INSERT INTO activities_temp
    SELECT a.id, a.date, at.type, a.description
    FROM activities AS a
    JOIN activity_types AS at ON at.id = a.type;
DROP TABLE activities;
DROP TABLE activity_types;
ALTER TABLE activities_temp RENAME TO activities;
