CREATE TABLE shirts (id INTEGER PRIMARY KEY,
  size TEXT NOT NULL CHECK (size IN ('S', 'M', 'XL') AND length(size) = 1));
