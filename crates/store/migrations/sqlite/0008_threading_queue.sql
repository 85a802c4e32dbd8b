-- The threading pass revisits only what changed since it last ran, so importing a few posts
-- into a store of millions costs a few index lookups, not a regrouping of every post.
-- Each batch that writes posts or direct messages queues them in the same transaction; the
-- pass empties the queues in its own. A killed import leaves its queue for the next pass.
CREATE TABLE threading_posts (id INTEGER PRIMARY KEY);
-- Reply trees that lost a member: a post whose root changed leaves its old tree behind.
CREATE TABLE threading_stale_roots (root INTEGER PRIMARY KEY);
CREATE TABLE threading_dm_keys (conversation_key TEXT PRIMARY KEY) WITHOUT ROWID;

-- Fires only when a root really changes (a climb, or a conversation id arriving later), so an
-- import that rewrites the same posts pays one comparison per row.
CREATE TRIGGER posts_queue_rethreading
AFTER UPDATE OF thread_root ON posts
WHEN old.thread_root IS NOT new.thread_root
BEGIN
    INSERT INTO threading_stale_roots (root) SELECT old.thread_root WHERE old.thread_root IS NOT NULL
    ON CONFLICT DO NOTHING;
    INSERT INTO threading_posts (id) VALUES (new.id) ON CONFLICT DO NOTHING;
END;

-- Rows stored before this migration were never queued: the next pass rebuilds every
-- conversation, as every pass did before.
INSERT OR REPLACE INTO store_meta (key, value) VALUES ('threading', 'full');
