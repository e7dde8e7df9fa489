DELETE FROM labels WHERE name = 'bug' AND color = '#d73a4a';
