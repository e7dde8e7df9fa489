CREATE TABLE feeds (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
  code TEXT NOT NULL CHECK (code GLOB '[A-Z][A-Z]-[0-9]*'),
  sku TEXT NOT NULL CHECK (substr(sku, 1, 4) = 'SKU-' AND length(sku) = 8),
  email TEXT NOT NULL CHECK (instr(email, '@') > 1),
  slug TEXT NOT NULL CHECK (slug = lower(slug) AND length(slug) BETWEEN 3 AND 40),
  country TEXT NOT NULL CHECK (upper(country) = country AND length(country) = 2),
  ratio NOT NULL CHECK (typeof(ratio) = 'real' AND ratio BETWEEN 0.0 AND 1.0),
  kind TEXT NOT NULL CHECK (kind IN ('rss', 'atom', 'json')),
  meta TEXT NOT NULL CHECK (json_valid(meta) AND json_type(meta) = 'object'),
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_type(tags) = 'array'),
  detail TEXT,
  CHECK (CASE kind WHEN 'json' THEN detail IS NOT NULL ELSE detail IS NULL END)
);
CREATE TABLE entries (
  id INTEGER PRIMARY KEY,
  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'read', 'starred')),
  link TEXT NOT NULL CHECK (link LIKE 'https://%'),
  merge_type TEXT NOT NULL CHECK (merge_type IN ('direct', 'pr')),
  merge_commit TEXT,
  pr_number INTEGER,
  CHECK ((merge_type = 'direct' AND merge_commit IS NOT NULL AND pr_number IS NULL)
      OR (merge_type = 'pr' AND pr_number IS NOT NULL AND merge_commit IS NULL))
);
CREATE INDEX idx_entries_feed ON entries(feed_id);
