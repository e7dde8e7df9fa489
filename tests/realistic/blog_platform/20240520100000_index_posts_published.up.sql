CREATE INDEX idx_posts_published ON posts(published_at) WHERE status = 'published';
