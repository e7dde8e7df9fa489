-- wipes the chats the members still point at
DELETE FROM chats;
ALTER TABLE members DROP COLUMN role;
