INSERT INTO tags (name) VALUES ('announcements'), ('engineering'), ('community');
