CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  chat_id INTEGER NOT NULL REFERENCES chats(id),
  name TEXT NOT NULL
);
CREATE INDEX idx_members_chat ON members(chat_id);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  member_id INTEGER NOT NULL REFERENCES members(id),
  body TEXT NOT NULL
);
CREATE INDEX idx_messages_member ON messages(member_id);
