-- The current label of each post, next to it, so scorecards read one table in one pass; the
-- `labels` table keeps every label with its source and confidence (model runs, human fixes).
ALTER TABLE posts ADD COLUMN post_type TEXT;
ALTER TABLE posts ADD COLUMN intent TEXT;
ALTER TABLE posts ADD COLUMN body_key TEXT;
-- NULL until the labelling pass after an import has looked at the post; the partial index makes
-- that pass touch only new posts, however large the store.
ALTER TABLE posts ADD COLUMN labelled_at INTEGER;
CREATE INDEX posts_to_label ON posts (id) WHERE labelled_at IS NULL;

ALTER TABLE direct_messages ADD COLUMN intent TEXT;
ALTER TABLE direct_messages ADD COLUMN body_key TEXT;

-- Facts about the store itself (e.g. that it holds generated demo data, which every report
-- must then say).
CREATE TABLE store_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
