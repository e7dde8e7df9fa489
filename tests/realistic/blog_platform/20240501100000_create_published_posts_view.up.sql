CREATE VIEW published_posts AS
    SELECT p.id, p.title, p.slug, p.excerpt, p.published_at, u.display_name AS author
    FROM posts p JOIN users u ON u.id = p.author_id
    WHERE p.status = 'published';
