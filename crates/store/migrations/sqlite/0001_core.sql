-- tawasul's embedded store. Designed for what comes after import: reply trees become
-- conversations the inbox works, labels carry model confidence, metrics are kept over time.
-- Ids are X's u64 ids stored as INTEGER (all X snowflakes are below 2^63).

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    platform      TEXT    NOT NULL DEFAULT 'x',
    handle        TEXT,
    name          TEXT,
    followers     INTEGER,
    following     INTEGER,
    post_count    INTEGER,
    verified      INTEGER,
    observed_at   INTEGER            -- Unix ms of the counts above
);
CREATE INDEX accounts_handle ON accounts (handle COLLATE NOCASE);

-- Earlier follower counts, for engagement per 1,000 followers at the time. The current
-- counts live in `accounts`; a trigger moves the old ones here when newer ones arrive.
CREATE TABLE account_snapshots (
    account_id    INTEGER NOT NULL,
    observed_at   INTEGER NOT NULL,
    followers     INTEGER,
    following     INTEGER,
    post_count    INTEGER,
    PRIMARY KEY (account_id, observed_at)
) WITHOUT ROWID;

CREATE TABLE posts (
    id              INTEGER PRIMARY KEY,
    platform        TEXT    NOT NULL DEFAULT 'x',
    author_id       INTEGER,
    author_handle   TEXT,
    created_at      INTEGER,           -- Unix ms, from the snowflake id when possible
    kind            TEXT    NOT NULL,  -- original | retweet | reply | quote
    text            TEXT    NOT NULL,
    lang            TEXT,
    conversation_id INTEGER,           -- as the source gave it (v2)
    thread_root     INTEGER,           -- root of the reply tree, computed after each import
    reply_to_post   INTEGER,
    reply_to_user   INTEGER,
    retweet_of      INTEGER,
    quote_of        INTEGER,
    reply_settings  TEXT,
    edit_history    TEXT,              -- JSON array of ids, oldest first
    hashtags        TEXT,              -- JSON array
    mentions        TEXT,              -- JSON array of {handle, id}
    urls            TEXT,              -- JSON array
    media           TEXT,              -- JSON array of {key, kind, url}
    withheld_in     TEXT,              -- comma-separated country codes
    likes           INTEGER,
    retweets        INTEGER,
    replies         INTEGER,
    quotes          INTEGER,
    impressions     INTEGER,
    bookmarks       INTEGER,
    metrics_at      INTEGER,           -- Unix ms the counts were observed
    complete        INTEGER NOT NULL   -- 0 when known only as a low-fidelity copy
);
-- Few indexes on purpose: each one costs every import. Scorecards select by handle and time,
-- the inbox by reply tree and by parent (was this question answered?).
CREATE INDEX posts_author_handle ON posts (author_handle COLLATE NOCASE, created_at);
CREATE INDEX posts_thread ON posts (thread_root);
CREATE INDEX posts_reply_to ON posts (reply_to_post);
-- Replies whose source gave no conversation id: the only rows the threading pass climbs.
CREATE INDEX posts_to_climb ON posts (id) WHERE conversation_id IS NULL AND reply_to_post IS NOT NULL;

-- Source objects, kept apart so scans of posts stay small; lets a post be re-parsed later.
-- codec 'lz4' = LZ4 block with its length prepended (twarc's escaped JSON shrinks about 5x).
CREATE TABLE post_sources (
    post_id  INTEGER PRIMARY KEY,
    codec    TEXT NOT NULL,
    raw      BLOB NOT NULL
);

-- Earlier engagement counts of a post; the latest are on the post itself. Filled by the
-- trigger below when a newer observation replaces an older one, so a first import writes no
-- extra row per post.
CREATE TABLE metric_snapshots (
    post_id      INTEGER NOT NULL,
    observed_at  INTEGER NOT NULL,
    likes        INTEGER,
    retweets     INTEGER,
    replies      INTEGER,
    quotes       INTEGER,
    impressions  INTEGER,
    bookmarks    INTEGER,
    PRIMARY KEY (post_id, observed_at)
) WITHOUT ROWID;

CREATE TRIGGER posts_keep_metric_history
AFTER UPDATE OF metrics_at ON posts
WHEN old.metrics_at IS NOT NULL AND new.metrics_at IS NOT old.metrics_at
BEGIN
    INSERT INTO metric_snapshots (post_id, observed_at, likes, retweets, replies, quotes, impressions, bookmarks)
    VALUES (old.id, old.metrics_at, old.likes, old.retweets, old.replies, old.quotes, old.impressions, old.bookmarks)
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER accounts_keep_history
AFTER UPDATE OF observed_at ON accounts
WHEN old.observed_at IS NOT NULL AND new.observed_at IS NOT old.observed_at
BEGIN
    INSERT INTO account_snapshots (account_id, observed_at, followers, following, post_count)
    VALUES (old.id, old.observed_at, old.followers, old.following, old.post_count)
    ON CONFLICT DO NOTHING;
END;

CREATE TABLE direct_messages (
    id                INTEGER PRIMARY KEY,
    platform          TEXT NOT NULL DEFAULT 'x',
    conversation_key  TEXT NOT NULL,
    sender_id         INTEGER,
    recipient_id      INTEGER,
    created_at        INTEGER,
    text              TEXT NOT NULL,
    event_type        TEXT NOT NULL,
    raw               TEXT
);
CREATE INDEX direct_messages_conversation ON direct_messages (conversation_key, created_at);

-- One row per reply tree (public) or DM thread (private): the unit the inbox assigns,
-- measures against SLAs and resolves.
CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    channel           TEXT    NOT NULL,          -- public | private
    root_post_id      INTEGER UNIQUE,            -- public: the tree's root
    dm_key            TEXT    UNIQUE,            -- private: the DM conversation key
    started_at        INTEGER,
    last_activity_at  INTEGER,
    messages          INTEGER NOT NULL DEFAULT 0,
    status            TEXT    NOT NULL DEFAULT 'open',  -- open | pending | snoozed | resolved
    body_key          TEXT,
    assignee          TEXT
);

CREATE TABLE labels (
    target_kind   TEXT    NOT NULL,   -- post | dm
    target_id     INTEGER NOT NULL,
    task          TEXT    NOT NULL,   -- post_type | intent | body
    value         TEXT    NOT NULL,
    confidence    REAL    NOT NULL,
    source        TEXT    NOT NULL,   -- human | model name and version
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (target_kind, target_id, task, source)
);

CREATE TABLE bodies (
    key       TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    name_ar   TEXT NOT NULL,
    name_en   TEXT NOT NULL,
    parent    TEXT
);

CREATE TABLE registry_accounts (
    platform  TEXT NOT NULL,
    handle    TEXT NOT NULL,          -- lower-case
    body_key  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    PRIMARY KEY (platform, handle)
);

CREATE TABLE imports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    path         TEXT    NOT NULL,
    format       TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    posts        INTEGER NOT NULL,
    direct_messages INTEGER NOT NULL,
    errors       INTEGER NOT NULL
);
