-- parents first: fails as soon as one chat has a member
DROP TABLE chats;
DROP TABLE members;
DROP TABLE messages;
