DELETE FROM kv WHERE k = 'schema';
