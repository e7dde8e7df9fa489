CREATE INDEX idx_contacts_phone ON contacts(phone);
