-- A random token replaced by every transaction that writes posts: the scorecard scan cache
-- beside the database is valid only for the token it was written from.
INSERT OR IGNORE INTO store_meta (key, value) VALUES ('posts_version', lower(hex(randomblob(8))));
