DROP TABLE contacts;
DROP TABLE companies;
