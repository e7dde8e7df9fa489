DROP TABLE profiles; DROP TABLE events; DROP TABLE skins; DROP TABLE users; DROP TABLE proofs; DROP TABLE keysets; DROP TABLE settings;
