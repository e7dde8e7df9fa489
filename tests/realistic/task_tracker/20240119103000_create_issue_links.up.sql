CREATE TABLE issue_links (
    from_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    to_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('blocks', 'duplicates', 'relates')),
    PRIMARY KEY (from_id, to_id, kind),
    CHECK (from_id <> to_id)
);

CREATE INDEX idx_issue_links_to ON issue_links(to_id);
