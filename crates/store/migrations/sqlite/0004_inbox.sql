-- The inbox. A ticket is what an agent works: one citizen in one reply tree (public), or one
-- DM thread (private). The API and the pages call it a conversation. Reply trees in
-- `conversations` stay the analytic unit; a tree with fifty citizens is fifty tickets, each
-- with its own status, assignee and SLA clocks.
CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    channel            TEXT    NOT NULL,             -- public | private
    thread_root        INTEGER,                      -- public: the reply tree
    citizen_id         INTEGER,                      -- public: the citizen's user id (0 when unknown)
    citizen_handle     TEXT,
    dm_key             TEXT,                         -- private: the DM conversation key
    account_handle     TEXT,                         -- the government account addressed
    body_key           TEXT,
    routed_by          TEXT    NOT NULL DEFAULT 'rule',   -- rule | model | human
    intent             TEXT,                         -- of the latest citizen message
    needs_reply        INTEGER NOT NULL DEFAULT 0,
    status             TEXT    NOT NULL DEFAULT 'open',   -- open | pending | snoozed | resolved
    reopened           INTEGER NOT NULL DEFAULT 0,   -- times reopened by a new citizen message
    assignee_id        INTEGER,
    team_id            INTEGER,
    snoozed_until      INTEGER,
    messages           INTEGER NOT NULL DEFAULT 0,   -- citizen messages
    first_message_at   INTEGER NOT NULL,
    last_message_at    INTEGER NOT NULL,             -- latest citizen message
    last_message_id    INTEGER,                      -- latest citizen post or DM id
    last_message_text  TEXT,                         -- preview, bounded
    last_agent_at      INTEGER,
    sla_clock          TEXT    NOT NULL DEFAULT '{}',-- JSON of core::sla::SlaClock
    first_response_due INTEGER,
    next_response_due  INTEGER,
    resolution_due     INTEGER,
    next_deadline_at   INTEGER,                      -- min of the dues: sort and warn by it
    updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX tickets_public ON tickets (thread_root, citizen_id) WHERE channel = 'public';
CREATE UNIQUE INDEX tickets_private ON tickets (dm_key) WHERE channel = 'private';
CREATE INDEX tickets_queue ON tickets (body_key, status, last_message_at);
CREATE INDEX tickets_recent ON tickets (last_message_at);
CREATE INDEX tickets_deadline ON tickets (next_deadline_at) WHERE next_deadline_at IS NOT NULL;
CREATE INDEX tickets_assignee ON tickets (assignee_id, status);
CREATE INDEX tickets_citizen ON tickets (citizen_id) WHERE citizen_id != 0;

-- Which citizen messages belong to which ticket (public posts or DMs), so a thread page reads
-- its messages by key and the ingest path never counts a message twice.
CREATE TABLE ticket_messages (
    message_kind  TEXT    NOT NULL,   -- post | dm
    message_id    INTEGER NOT NULL,
    ticket_id     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (message_kind, message_id)
) WITHOUT ROWID;
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, created_at);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL UNIQUE,
    role              TEXT    NOT NULL,
    password_hash     TEXT    NOT NULL,           -- Argon2id PHC string
    capacity          INTEGER NOT NULL DEFAULT 20, -- open conversations before round-robin skips
    active            INTEGER NOT NULL DEFAULT 1,
    last_assigned_at  INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);
CREATE TABLE user_bodies (
    user_id   INTEGER NOT NULL,
    body_key  TEXT    NOT NULL,
    PRIMARY KEY (user_id, body_key)
) WITHOUT ROWID;

CREATE TABLE teams (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    body_key  TEXT NOT NULL,
    name      TEXT NOT NULL,
    UNIQUE (body_key, name)
);
CREATE TABLE team_members (
    team_id  INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;

-- Only hashes are stored: a leaked database gives no session and no API token.
CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- Per body: calendar (TOML of core::calendar::CalendarSpec), SLA targets, four-eyes, routing.
CREATE TABLE body_settings (
    body_key             TEXT PRIMARY KEY,
    calendar_toml        TEXT    NOT NULL DEFAULT '',
    first_response_min   INTEGER,
    next_response_min    INTEGER,
    resolution_min       INTEGER,
    warn_before_min      INTEGER NOT NULL DEFAULT 15,
    four_eyes            INTEGER NOT NULL DEFAULT 0,
    round_robin          INTEGER NOT NULL DEFAULT 0,
    out_of_hours_ack     TEXT                        -- DM acknowledgement text; NULL = off
);

CREATE TABLE ticket_labels (
    ticket_id  INTEGER NOT NULL,
    label      TEXT    NOT NULL,
    PRIMARY KEY (ticket_id, label)
) WITHOUT ROWID;
CREATE INDEX ticket_labels_label ON ticket_labels (label);

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX notes_ticket ON notes (ticket_id);

CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    body_key   TEXT,                -- NULL: every body
    title      TEXT NOT NULL,
    text       TEXT NOT NULL
);

-- Replies leave through the outbox: awaiting_approval (four-eyes) -> queued -> sent (marked
-- by the operator or exported until live connectors exist). auto_ack rows are the out-of-hours
-- DM acknowledgements, which never stop an SLA clock.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id     INTEGER NOT NULL,
    kind          TEXT    NOT NULL,   -- reply | auto_ack
    in_reply_to   INTEGER,            -- the citizen post or DM answered
    account_handle TEXT,
    text          TEXT    NOT NULL,
    status        TEXT    NOT NULL,   -- awaiting_approval | queued | sent | rejected
    author_id     INTEGER,
    approved_by   INTEGER,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER
);
CREATE INDEX outbox_ticket ON outbox (ticket_id);
CREATE INDEX outbox_status ON outbox (status, id);

-- Every stopped clock, credited to the agent who replied (not the assignee).
CREATE TABLE sla_measurements (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL,
    body_key     TEXT,
    kind         TEXT    NOT NULL,    -- first_response | next_response | resolution
    user_id      INTEGER,
    started_at   INTEGER NOT NULL,
    stopped_at   INTEGER NOT NULL,
    wall_ms      INTEGER NOT NULL,
    business_ms  INTEGER NOT NULL,
    target_ms    INTEGER,
    breached     INTEGER NOT NULL
);
CREATE INDEX sla_measurements_ticket ON sla_measurements (ticket_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    user_id     INTEGER,              -- NULL: the system (ingest, round-robin)
    action      TEXT    NOT NULL,
    ticket_id   INTEGER,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ticket ON audit_log (ticket_id);

CREATE TABLE webhooks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    url       TEXT    NOT NULL,
    secret    TEXT    NOT NULL,
    events    TEXT    NOT NULL DEFAULT '*',   -- comma-separated event names or *
    active    INTEGER NOT NULL DEFAULT 1
);
