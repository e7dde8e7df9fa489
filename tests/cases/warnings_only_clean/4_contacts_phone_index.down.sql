DROP INDEX idx_contacts_phone;
