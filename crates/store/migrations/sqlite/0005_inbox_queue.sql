-- Posts the labelling pass marked as a citizen's message to the government or an official
-- post, waiting for the inbox to look at them. The inbox takes from here (and deletes) instead
-- of searching the whole posts table for what it has not seen: constant work per message,
-- however large the store.
CREATE TABLE inbox_queue (
    post_id  INTEGER PRIMARY KEY
);
INSERT OR IGNORE INTO inbox_queue (post_id)
SELECT id FROM posts
WHERE (intent IS NOT NULL OR (post_type IS NOT NULL AND kind = 'reply' AND reply_to_user IS NOT NULL))
AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.message_id = posts.id AND m.message_kind IN ('post', 'reply'));
