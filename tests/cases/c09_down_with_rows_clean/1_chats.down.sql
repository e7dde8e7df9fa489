-- children first: every row points at a parent
DROP TABLE messages;
DROP TABLE members;
DROP TABLE chats;
