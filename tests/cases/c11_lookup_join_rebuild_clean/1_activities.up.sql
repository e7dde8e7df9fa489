CREATE TABLE activity_types (id INTEGER PRIMARY KEY, type TEXT NOT NULL);
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    type INTEGER NOT NULL REFERENCES activity_types(id),
    description TEXT NOT NULL
);
