//! The embedded backend: one SQLite file in WAL mode, written through sqlx with multi-row
//! upserts so a batch of a thousand posts costs a handful of statements.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::bulk::{insert_rows, Db, Value};
use crate::scan_cache::BUMP_POSTS_VERSION;
use tawasul_core::{AccountInfo, DirectMessage, Post, PostKind, Record, Registry};

use crate::{ImportRecord, KindCounts, Stats, Store, StoreError};

/// File name of the database inside a data directory.
pub const DATABASE_FILE: &str = "tawasul.db";

/// The pooled connections' page cache (`PRAGMA cache_size`, negative: KiB): 8 MB. Each
/// connection an import touches fills its own, and the OS page cache serves the rest as
/// fast: a 2 GB import peaked at 328 MB with 32 MB, 278-293 MB with 16 MB and 224 MB with
/// 8 MB, and was no slower with the smallest (62 s, against 65-74 s).
pub(crate) const CACHE_SIZE: &str = "-8192";
/// The pooled connections' memory map of the database (`PRAGMA mmap_size`): none. Mapped
/// pages count as the process's memory, so an import writing through a map grew with its
/// store (2 GB input: 653 MB peak RSS, against 238 MB without). The server's readers and the
/// report's scan map the file on their own connections.
pub(crate) const MMAP_SIZE: &str = "0";

/// The embedded store.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
    /// Owned reader connections for `read_raw`, shared by every clone of the store.
    readers: std::sync::Arc<crate::readers::ReaderPool>,
}

const POST_COLUMNS: [&str; 28] = [
    "id",
    "author_id",
    "author_handle",
    "created_at",
    "kind",
    "text",
    "lang",
    "conversation_id",
    "reply_to_post",
    "reply_to_user",
    "retweet_of",
    "quote_of",
    "reply_settings",
    "edit_history",
    "hashtags",
    "mentions",
    "urls",
    "media",
    "withheld_in",
    "likes",
    "retweets",
    "replies",
    "quotes",
    "impressions",
    "bookmarks",
    "metrics_at",
    "complete",
    "thread_root",
];

/// A complete record beats a low-fidelity copy; between equals, the later observation wins and
/// fills what it knows, keeping what it does not.
fn post_upsert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let newer = "(excluded.complete > posts.complete OR (excluded.complete = posts.complete \
                     AND COALESCE(excluded.metrics_at, 0) >= COALESCE(posts.metrics_at, 0)))";
        let mut sets: Vec<String> = POST_COLUMNS[1..]
            .iter()
            .filter(|c| !matches!(**c, "complete" | "kind" | "text" | "thread_root"))
            .map(|c| {
                format!("{c} = CASE WHEN {newer} THEN COALESCE(excluded.{c}, posts.{c}) ELSE COALESCE(posts.{c}, excluded.{c}) END")
            })
            .collect();
        sets.push(format!("kind = CASE WHEN {newer} THEN excluded.kind ELSE posts.kind END"));
        sets.push(format!("text = CASE WHEN {newer} AND excluded.text != '' THEN excluded.text ELSE posts.text END"));
        sets.push("complete = MAX(posts.complete, excluded.complete)".to_string());
        // A conversation id from the source is authoritative; otherwise the threading pass
        // climbs from whatever root is known.
        sets.push("thread_root = COALESCE(posts.conversation_id, excluded.conversation_id, posts.thread_root, excluded.thread_root)".to_string());
        format!(" ON CONFLICT(id) DO UPDATE SET {}", sets.join(", "))
    })
}

fn account_upsert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let newer = "COALESCE(excluded.observed_at, 0) >= COALESCE(accounts.observed_at, 0)";
        let sets: Vec<String> = ["handle", "name", "followers", "following", "post_count", "verified", "observed_at"]
            .iter()
            .map(|c| {
                format!("{c} = CASE WHEN {newer} THEN COALESCE(excluded.{c}, accounts.{c}) ELSE COALESCE(accounts.{c}, excluded.{c}) END")
            })
            .collect();
        format!(" ON CONFLICT(id) DO UPDATE SET {}", sets.join(", "))
    })
}

fn sql_id(id: u64) -> i64 {
    // Readers refuse ids above i64::MAX, so this never wraps.
    i64::try_from(id).unwrap_or(i64::MAX)
}

fn sql_count(n: Option<u64>) -> Option<i64> {
    n.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// Owned JSON columns of one post, prepared before binding.
struct PostColumns {
    edit_history: Option<String>,
    hashtags: Option<String>,
    mentions: Option<String>,
    urls: Option<String>,
    media: Option<String>,
    withheld_in: Option<String>,
}

/// Appends `text` as a JSON string (quotes, backslashes and control characters escaped).
fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON array column, or NULL for an empty list.
fn json_list<T>(items: &[T], mut item: impl FnMut(&mut String, &T)) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(items.len() * 24);
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(&mut out, x);
    }
    out.push(']');
    Some(out)
}

fn push_opt_str(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => push_json_str(out, v),
        None => out.push_str("null"),
    }
}

impl PostColumns {
    fn of(post: &Post) -> Self {
        PostColumns {
            edit_history: json_list(&post.edit_history, |o, id| {
                o.push('"');
                o.push_str(&id.to_string());
                o.push('"');
            }),
            hashtags: json_list(&post.hashtags, |o, h| push_json_str(o, h)),
            mentions: json_list(&post.mentions, |o, m| {
                o.push_str("{\"handle\":");
                push_json_str(o, &m.handle);
                o.push_str(",\"id\":");
                push_opt_str(o, m.user_id.map(|i| i.to_string()).as_deref());
                o.push('}');
            }),
            urls: json_list(&post.urls, |o, u| push_json_str(o, u)),
            media: json_list(&post.media, |o, m| {
                o.push_str("{\"key\":");
                push_json_str(o, &m.key);
                o.push_str(",\"kind\":");
                push_json_str(o, &m.kind);
                o.push_str(",\"url\":");
                push_opt_str(o, m.url.as_deref());
                o.push('}');
            }),
            withheld_in: (!post.withheld_in.is_empty()).then(|| post.withheld_in.join(",")),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in a data directory and brings its schema up to
    /// date.
    pub async fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Self::open_file(&dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating if needed) a database file.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        Self::open_file_with(path, 8).await
    }

    /// Opens a database file with a pool of `connections`: a server opens one store for its
    /// writers and another for its pages, so a burst of page views never queues the ingest
    /// path's writes behind it (and the other way round).
    pub async fn open_file_with(path: &Path, connections: u32) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(30))
            .page_size(8192)
            .pragma("cache_size", CACHE_SIZE)
            // Statement journals of multi-row upserts stay in memory (bounded by one statement).
            .pragma("temp_store", "memory")
            .pragma("mmap_size", MMAP_SIZE)
            // Checkpoint every 256 MB of WAL: an index page rewritten many times between two
            // checkpoints is copied into the database once. 2 GB ingest: 39.5 s at 64 MB,
            // 33.8 s at 256 MB, 33.4 s at 1 GB.
            .pragma("wal_autocheckpoint", "32768")
            .statement_cache_capacity(64);
        // Readers run side by side in WAL mode: enough connections for a server's concurrent
        // pages while one writer imports.
        let pool = SqlitePoolOptions::new()
            .max_connections(connections.max(1))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let store = SqliteStore {
            pool,
            path: path.to_path_buf(),
            readers: std::sync::Arc::new(crate::readers::ReaderPool::new(
                path,
                connections as usize,
            )),
        };
        // A bulk load killed before it built its indexes again left their definitions.
        store.restore_deferred_indexes().await?;
        Ok(store)
    }

    /// Runs `read` on one of the store's own reader connections, on the caller's thread and
    /// in one snapshot: for short reads whose rows would otherwise cross from sqlx's worker
    /// thread one by one, on statements that stay prepared.
    pub(crate) async fn read_raw<T>(
        &self,
        read: impl FnOnce(&crate::bulk::Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.readers.read(read).await
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection pool, for queries the trait does not cover yet.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// True until a registry has been saved: a new store gets the shipped one.
    pub async fn registry_is_empty(&self) -> Result<bool, StoreError> {
        let bodies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bodies")
            .fetch_one(&self.pool)
            .await?;
        Ok(bodies == 0)
    }

    /// Closes connections and checkpoints the WAL.
    pub async fn close(self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

const ACCOUNT_COLUMNS: [&str; 8] = [
    "id",
    "handle",
    "name",
    "followers",
    "following",
    "post_count",
    "verified",
    "observed_at",
];
const DM_COLUMNS: [&str; 8] = [
    "id",
    "conversation_key",
    "sender_id",
    "recipient_id",
    "created_at",
    "text",
    "event_type",
    "raw",
];
const DM_UPSERT: &str = " ON CONFLICT(id) DO UPDATE SET sender_id = COALESCE(direct_messages.sender_id, excluded.sender_id), \
     recipient_id = COALESCE(direct_messages.recipient_id, excluded.recipient_id), \
     created_at = COALESCE(direct_messages.created_at, excluded.created_at), \
     raw = COALESCE(direct_messages.raw, excluded.raw)";

/// Writes one batch on a locked raw handle (the caller holds the transaction).
fn write_records(
    db: &Db,
    posts: &[&Post],
    columns: &[PostColumns],
    sources: &[(u64, Vec<u8>)],
    accounts: &[&AccountInfo],
    dms: &[&DirectMessage],
) -> Result<(), StoreError> {
    insert_rows(
        db,
        "posts",
        &POST_COLUMNS,
        post_upsert_sql(),
        posts.iter().zip(columns),
        |(p, c), v| {
            v.extend([
                Value::Int(sql_id(p.id)),
                p.author_id.map(sql_id).into(),
                p.author_handle.as_deref().into(),
                p.created_at_ms.into(),
                p.kind.as_str().into(),
                p.text.as_str().into(),
                p.lang.as_deref().into(),
                p.conversation_id.map(sql_id).into(),
                p.reply_to_post.map(sql_id).into(),
                p.reply_to_user.map(sql_id).into(),
                p.retweet_of.map(sql_id).into(),
                p.quote_of.map(sql_id).into(),
                p.reply_settings.as_deref().into(),
                c.edit_history.as_deref().into(),
                c.hashtags.as_deref().into(),
                c.mentions.as_deref().into(),
                c.urls.as_deref().into(),
                c.media.as_deref().into(),
                c.withheld_in.as_deref().into(),
                sql_count(p.metrics.likes).into(),
                sql_count(p.metrics.retweets).into(),
                sql_count(p.metrics.replies).into(),
                sql_count(p.metrics.quotes).into(),
                sql_count(p.metrics.impressions).into(),
                sql_count(p.metrics.bookmarks).into(),
                p.observed_at_ms.into(),
                i64::from(p.complete).into(),
                Value::Int(sql_id(
                    p.conversation_id.or(p.reply_to_post).unwrap_or(p.id),
                )),
            ])
        },
    )?;
    insert_rows(
        db,
        "post_sources",
        &["post_id", "codec", "raw"],
        " ON CONFLICT(post_id) DO UPDATE SET codec = excluded.codec, raw = excluded.raw",
        sources.iter(),
        |(id, raw), v| {
            v.extend([
                Value::Int(sql_id(*id)),
                Value::Text(SOURCE_CODEC),
                Value::Blob(raw),
            ])
        },
    )?;
    insert_rows(
        db,
        "accounts",
        &ACCOUNT_COLUMNS,
        account_upsert_sql(),
        accounts.iter(),
        |a, v| {
            v.extend([
                Value::Int(sql_id(a.id)),
                a.handle.as_deref().into(),
                a.name.as_deref().into(),
                sql_count(a.followers).into(),
                sql_count(a.following).into(),
                sql_count(a.post_count).into(),
                a.verified.map(i64::from).into(),
                a.observed_at_ms.into(),
            ])
        },
    )?;
    insert_rows(
        db,
        "direct_messages",
        &DM_COLUMNS,
        DM_UPSERT,
        dms.iter(),
        |d, v| {
            v.extend([
                Value::Int(sql_id(d.id)),
                d.conversation_key.as_str().into(),
                d.sender_id.map(sql_id).into(),
                d.recipient_id.map(sql_id).into(),
                d.created_at_ms.into(),
                d.text.as_str().into(),
                d.event_type.as_str().into(),
                d.raw.as_deref().into(),
            ])
        },
    )?;
    // Queued in the batch's own transaction, so no written post escapes the next threading.
    insert_rows(
        db,
        "threading_posts",
        &["id"],
        " ON CONFLICT DO NOTHING",
        posts.iter(),
        |p, v| v.push(Value::Int(sql_id(p.id))),
    )?;
    insert_rows(
        db,
        "threading_dm_keys",
        &["conversation_key"],
        " ON CONFLICT DO NOTHING",
        dms.iter(),
        |d, v| v.push(d.conversation_key.as_str().into()),
    )
}

/// Keeps one account record per id: the latest observation.
fn latest_accounts(records: &[Record]) -> Vec<&AccountInfo> {
    let mut at: HashMap<u64, usize> = HashMap::new();
    let mut out: Vec<&AccountInfo> = Vec::new();
    for record in records {
        if let Record::Account(a) = record {
            match at.get(&a.id) {
                Some(&i) if out[i].observed_at_ms.unwrap_or(0) > a.observed_at_ms.unwrap_or(0) => {}
                Some(&i) => out[i] = a,
                None => {
                    at.insert(a.id, out.len());
                    out.push(a);
                }
            }
        }
    }
    out
}

/// Records made ready for the store off the writer's thread: JSON columns built, source
/// objects compressed. The import's reader thread prepares; the writer only writes.
pub struct PreparedBatch {
    records: Vec<Record>,
    columns: Vec<PostColumns>,
    sources: Vec<(u64, Vec<u8>)>,
}

/// Codec name stored next to each compressed source object.
pub const SOURCE_CODEC: &str = "lz4";

/// Decodes a stored source object back to its JSON text.
pub fn decode_source(codec: &str, bytes: &[u8]) -> Result<String, StoreError> {
    match codec {
        SOURCE_CODEC => {
            let corrupt =
                |why: String| StoreError::Sqlite(format!("post_sources: corrupt lz4 block: {why}"));
            let header: [u8; 4] = bytes
                .get(..4)
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| corrupt("no length".into()))?;
            let expected = u32::from_le_bytes(header) as usize;
            let plain =
                lz4_flex::decompress_size_prepended(bytes).map_err(|e| corrupt(e.to_string()))?;
            // A truncated block can decode to fewer bytes without an error: check the length.
            if plain.len() != expected {
                return Err(corrupt(format!(
                    "{} bytes where {expected} were stored",
                    plain.len()
                )));
            }
            String::from_utf8(plain)
                .map_err(|_| StoreError::Sqlite("post_sources: not UTF-8".into()))
        }
        other => Err(StoreError::Sqlite(format!(
            "post_sources: unknown codec {other:?}"
        ))),
    }
}

impl PreparedBatch {
    /// Builds the columns and compresses the sources; the raw strings are released.
    pub fn new(mut records: Vec<Record>) -> Self {
        let mut columns = Vec::with_capacity(records.len());
        let mut sources = Vec::with_capacity(records.len());
        for record in &mut records {
            if let Record::Post(p) = record {
                columns.push(PostColumns::of(p));
                if let Some(raw) = p.raw.take().filter(|r| !r.is_empty()) {
                    sources.push((p.id, lz4_flex::compress_prepend_size(raw.as_bytes())));
                }
            }
        }
        PreparedBatch {
            records,
            columns,
            sources,
        }
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Asks the next threading pass to revisit every post, for writes that do not queue theirs.
pub(crate) const FULL_THREADING: &str =
    "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('threading', 'full')";

/// What a threading pass revisits: every post (a store migrated from before the queues, or
/// filled in bulk), or only what the queues name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ThreadingScope {
    Everything,
    Queued,
}

/// The climb's condition: the row's root is itself a reply whose root is elsewhere.
const CLIMB_SET: &str = "UPDATE posts SET thread_root = (SELECT p.thread_root FROM posts p WHERE p.id = posts.thread_root) \
     WHERE conversation_id IS NULL AND reply_to_post IS NOT NULL AND EXISTS ( \
       SELECT 1 FROM posts p WHERE p.id = posts.thread_root \
       AND p.thread_root IS NOT NULL AND p.thread_root != posts.thread_root)";

/// Conversation counts are upserted, so a conversation keeps its id, status and assignee
/// while its tree grows.
const PUBLIC_UPSERT: &str =
    " ON CONFLICT(root_post_id) DO UPDATE SET started_at = excluded.started_at, \
     last_activity_at = excluded.last_activity_at, messages = excluded.messages \
     WHERE conversations.messages IS NOT excluded.messages \
     OR conversations.started_at IS NOT excluded.started_at \
     OR conversations.last_activity_at IS NOT excluded.last_activity_at";

const PRIVATE_UPSERT: &str =
    " ON CONFLICT(dm_key) DO UPDATE SET started_at = excluded.started_at, \
     last_activity_at = excluded.last_activity_at, messages = excluded.messages";

impl ThreadingScope {
    /// One climbing step: every reply one level nearer its root.
    fn climb_sql(self) -> &'static str {
        static QUEUED: OnceLock<String> = OnceLock::new();
        match self {
            ThreadingScope::Everything => CLIMB_SET,
            // A queued post may climb, and so may every post hanging from one: a parent that
            // arrives late carries its whole subtree up to the root it now reaches. Climbed
            // posts are queued by the trigger, so the next step reaches their subtrees.
            ThreadingScope::Queued => QUEUED.get_or_init(|| {
                format!(
                    "{CLIMB_SET} AND id IN (SELECT id FROM threading_posts \
                     UNION SELECT c.id FROM threading_posts q CROSS JOIN posts c ON c.thread_root = q.id)"
                )
            }),
        }
    }

    /// Conversations rebuilt for the trees in scope: public counts upserted, trees absorbed
    /// into larger ones removed, DM threads counted.
    fn conversation_sql(self) -> [&'static str; 3] {
        static QUEUED: OnceLock<[String; 3]> = OnceLock::new();
        static EVERYTHING: OnceLock<[String; 3]> = OnceLock::new();
        let public = |roots: &str| {
            format!(
                "INSERT INTO conversations (channel, root_post_id, started_at, last_activity_at, messages) \
                 SELECT 'public', thread_root, MIN(created_at), MAX(created_at), COUNT(*) FROM posts \
                 WHERE kind != 'retweet' AND thread_root IS NOT NULL{roots} GROUP BY thread_root{PUBLIC_UPSERT}"
            )
        };
        let gone = |roots: &str| {
            format!(
                "DELETE FROM conversations WHERE channel = 'public'{roots} AND NOT EXISTS \
                 (SELECT 1 FROM posts WHERE posts.thread_root = conversations.root_post_id AND posts.kind != 'retweet')"
            )
        };
        let private = |keys: &str| {
            format!(
                "INSERT INTO conversations (channel, dm_key, started_at, last_activity_at, messages) \
                 SELECT 'private', conversation_key, MIN(created_at), MAX(created_at), COUNT(*) FROM direct_messages \
                 WHERE true{keys} GROUP BY conversation_key{PRIVATE_UPSERT}"
            )
        };
        // The trees a queued post is in now, and those it or a climbed post left.
        const ROOTS: &str =
            "(SELECT p.thread_root FROM threading_posts q CROSS JOIN posts p ON p.id = q.id \
             UNION SELECT root FROM threading_stale_roots)";
        let statements = match self {
            ThreadingScope::Everything => {
                EVERYTHING.get_or_init(|| [public(""), gone(""), private("")])
            }
            ThreadingScope::Queued => QUEUED.get_or_init(|| {
                [
                    public(&format!(" AND thread_root IN {ROOTS}")),
                    gone(&format!(" AND root_post_id IN {ROOTS}")),
                    private(
                        " AND conversation_key IN (SELECT conversation_key FROM threading_dm_keys)",
                    ),
                ]
            }),
        };
        [
            statements[0].as_str(),
            statements[1].as_str(),
            statements[2].as_str(),
        ]
    }
}

impl Store for SqliteStore {
    async fn write_prepared(&self, batch: &PreparedBatch) -> Result<(), StoreError> {
        let records = &batch.records;
        let posts: Vec<&Post> = records.iter().filter_map(Record::as_post).collect();
        let dms: Vec<&DirectMessage> = records
            .iter()
            .filter_map(Record::as_direct_message)
            .collect();
        let accounts = latest_accounts(records);
        let mut connection = self.pool.acquire().await?;
        let mut handle = connection.lock_handle().await?;
        let db = Db::new(handle.as_raw_handle());
        db.exec("BEGIN IMMEDIATE")?;
        let written = write_records(&db, &posts, &batch.columns, &batch.sources, &accounts, &dms)
            .and_then(|()| {
                if posts.is_empty() {
                    Ok(())
                } else {
                    db.exec(BUMP_POSTS_VERSION)
                }
            })
            .and_then(|()| db.exec("COMMIT"));
        if written.is_err() {
            // Nothing of a failed batch stays (a failed COMMIT included), and the connection
            // goes back to the pool outside any transaction; the next run writes it whole.
            let _ = db.exec("ROLLBACK");
        }
        written
    }

    async fn thread_conversations(&self) -> Result<(), StoreError> {
        // Climbing and counting trees look posts up by root: a bulk load's deferred indexes
        // come back first.
        self.restore_deferred_indexes().await?;
        let mut tx = self.pool.begin().await?;
        let full =
            sqlx::query_scalar::<_, String>("SELECT value FROM store_meta WHERE key = 'threading'")
                .fetch_optional(&mut *tx)
                .await?
                .is_some_and(|mode| mode == "full");
        let pending: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM threading_posts) OR EXISTS (SELECT 1 FROM threading_dm_keys)",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !full && !pending {
            return Ok(());
        }
        let scope = if full {
            ThreadingScope::Everything
        } else {
            ThreadingScope::Queued
        };
        // Sources without conversation ids (v1.1, archives, CSV): climb reply edges to the
        // root. Bounded, so hostile reply cycles cannot loop forever.
        for _ in 0..64 {
            let climbed = sqlx::query(scope.climb_sql())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if climbed == 0 {
                break;
            }
            sqlx::query(BUMP_POSTS_VERSION).execute(&mut *tx).await?;
        }
        for statement in scope.conversation_sql() {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        for done in [
            "DELETE FROM threading_posts",
            "DELETE FROM threading_stale_roots",
            "DELETE FROM threading_dm_keys",
            "DELETE FROM store_meta WHERE key = 'threading'",
        ] {
            sqlx::query(done).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn save_registry(&self, registry: &Registry) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let before: Vec<(String, String)> = sqlx::query_as(
            "SELECT platform || ':' || handle, body_key FROM registry_accounts ORDER BY 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM registry_accounts")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM bodies").execute(&mut *tx).await?;
        for body in registry.bodies() {
            sqlx::query(
                "INSERT INTO bodies (key, kind, name_ar, name_en, parent) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&body.key)
            .bind(format!("{:?}", body.kind).to_lowercase())
            .bind(&body.name_ar)
            .bind(&body.name_en)
            .bind(body.parent.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        for (body, account) in registry.accounts() {
            sqlx::query("INSERT INTO registry_accounts (platform, handle, body_key, kind) VALUES (?, ?, ?, ?)")
                .bind(&account.platform)
                .bind(account.handle.to_lowercase())
                .bind(&body.key)
                .bind(format!("{:?}", account.kind).to_lowercase())
                .execute(&mut *tx)
                .await?;
        }
        let after: Vec<(String, String)> = sqlx::query_as(
            "SELECT platform || ':' || handle, body_key FROM registry_accounts ORDER BY 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        if !before.is_empty() && before != after {
            // Who is a government account decides which posts are labelled and how: a changed
            // registry sends every post through the labelling pass again.
            sqlx::query(
                "UPDATE posts SET post_type = NULL, intent = NULL, body_key = NULL, \
                 mentioned_government = NULL, labelled_at = NULL",
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM labels WHERE target_kind = 'post' AND source != 'human'")
                .execute(&mut *tx)
                .await?;
            sqlx::query(BUMP_POSTS_VERSION).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn log_import(&self, import: &ImportRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO imports (path, format, started_at, finished_at, posts, direct_messages, errors) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&import.path)
        .bind(&import.format)
        .bind(import.started_at_ms)
        .bind(import.finished_at_ms)
        .bind(sql_count(Some(import.posts)))
        .bind(sql_count(Some(import.direct_messages)))
        .bind(sql_count(Some(import.errors)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn stats(&self) -> Result<Stats, StoreError> {
        let count = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .map(|n| n.max(0) as u64)
            }
        };
        let mut stats = Stats {
            posts: count("SELECT COUNT(*) FROM posts").await?,
            accounts: count(
                "SELECT (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(DISTINCT lower(author_handle)) FROM posts \
                 WHERE author_id IS NULL AND author_handle IS NOT NULL \
                 AND lower(author_handle) NOT IN (SELECT lower(handle) FROM accounts WHERE handle IS NOT NULL))",
            )
            .await?,
            direct_messages: count("SELECT COUNT(*) FROM direct_messages").await?,
            conversations: count("SELECT COUNT(*) FROM conversations").await?,
            incomplete_posts: count("SELECT COUNT(*) FROM posts WHERE complete = 0").await?,
            metric_snapshots: count("SELECT COUNT(*) FROM metric_snapshots").await?,
            bodies: count("SELECT COUNT(*) FROM bodies").await?,
            by_kind: KindCounts::default(),
        };
        let rows = sqlx::query("SELECT kind, COUNT(*) FROM posts GROUP BY kind")
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            let kind: String = row.try_get(0)?;
            let n = row.try_get::<i64, _>(1)?.max(0) as u64;
            match PostKind::parse(&kind) {
                Some(PostKind::Original) => stats.by_kind.original += n,
                Some(PostKind::Retweet) => stats.by_kind.retweet += n,
                Some(PostKind::Reply) => stats.by_kind.reply += n,
                Some(PostKind::Quote) => stats.by_kind.quote += n,
                None => {}
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tawasul_core::{Media, Mention};

    #[test]
    fn json_columns_parse_back_whatever_the_text() {
        let post = Post {
            hashtags: vec!["اعرف_حقك".into(), "a\"b\\c\n\u{1}".into()],
            mentions: vec![
                Mention {
                    handle: "MCIT_News".into(),
                    user_id: Some(8),
                },
                Mention {
                    handle: "x".into(),
                    user_id: None,
                },
            ],
            media: vec![Media {
                key: "3_1".into(),
                kind: "photo".into(),
                url: None,
            }],
            edit_history: vec![1, 2],
            ..Post::default()
        };
        let c = PostColumns::of(&post);
        let hashtags: Vec<String> = serde_json::from_str(c.hashtags.as_deref().unwrap()).unwrap();
        assert_eq!(hashtags, post.hashtags);
        let mentions: serde_json::Value =
            serde_json::from_str(c.mentions.as_deref().unwrap()).unwrap();
        assert_eq!(mentions[0]["id"], "8");
        assert!(mentions[1]["id"].is_null());
        let media: serde_json::Value = serde_json::from_str(c.media.as_deref().unwrap()).unwrap();
        assert_eq!(media[0]["kind"], "photo");
        assert_eq!(c.edit_history.as_deref(), Some(r#"["1","2"]"#));
        assert_eq!(c.urls, None);
    }
}
