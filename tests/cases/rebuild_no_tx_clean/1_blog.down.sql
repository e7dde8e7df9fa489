DROP TABLE likes;
DROP TABLE comments;
DROP TABLE posts;
