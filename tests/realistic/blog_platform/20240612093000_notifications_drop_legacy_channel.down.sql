ALTER TABLE notifications ADD COLUMN legacy_channel TEXT;
