DELETE FROM tags WHERE name IN ('announcements', 'engineering', 'community');
