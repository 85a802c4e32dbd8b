//! The embedded backend: one SQLite file in WAL mode, written through sqlx with multi-row
//! upserts so a batch of a thousand posts costs a handful of statements.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use tawasul_core::{AccountInfo, DirectMessage, Post, PostKind, Record, Registry};

use crate::{ImportRecord, KindCounts, Stats, Store, StoreError};

/// File name of the database inside a data directory.
pub const DATABASE_FILE: &str = "tawasul.db";

/// Rows per multi-row statement; SQLite allows 32,766 bound values.
const POST_ROWS: usize = 1000;
const SMALL_ROWS: usize = 2000;

/// The embedded store.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
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

fn json_list<T, F: Fn(&T) -> serde_json::Value>(items: &[T], f: F) -> Option<String> {
    (!items.is_empty()).then(|| serde_json::Value::Array(items.iter().map(f).collect()).to_string())
}

impl PostColumns {
    fn of(post: &Post) -> Self {
        PostColumns {
            edit_history: json_list(&post.edit_history, |id| {
                serde_json::Value::from(id.to_string())
            }),
            hashtags: json_list(&post.hashtags, |h| serde_json::Value::from(h.as_str())),
            mentions: json_list(
                &post.mentions,
                |m| serde_json::json!({"handle": m.handle, "id": m.user_id.map(|i| i.to_string())}),
            ),
            urls: json_list(&post.urls, |u| serde_json::Value::from(u.as_str())),
            media: json_list(
                &post.media,
                |m| serde_json::json!({"key": m.key, "kind": m.kind, "url": m.url}),
            ),
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
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(30))
            .page_size(8192)
            .pragma("cache_size", "-65536")
            // Checkpoint in larger steps: hot index pages are copied once, not every 4 MB.
            .pragma("wal_autocheckpoint", "8192")
            .pragma("temp_store", "memory")
            .statement_cache_capacity(64);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
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

fn push_posts<'a>(
    tx: &mut QueryBuilder<'a, Sqlite>,
    posts: &'a [&'a Post],
    columns: &'a [PostColumns],
) {
    tx.push(format!("INSERT INTO posts ({}) ", POST_COLUMNS.join(", ")));
    tx.push_values(posts.iter().zip(columns), |mut row, (p, c)| {
        row.push_bind(sql_id(p.id))
            .push_bind(p.author_id.map(sql_id))
            .push_bind(p.author_handle.as_deref())
            .push_bind(p.created_at_ms)
            .push_bind(p.kind.as_str())
            .push_bind(p.text.as_str())
            .push_bind(p.lang.as_deref())
            .push_bind(p.conversation_id.map(sql_id))
            .push_bind(p.reply_to_post.map(sql_id))
            .push_bind(p.reply_to_user.map(sql_id))
            .push_bind(p.retweet_of.map(sql_id))
            .push_bind(p.quote_of.map(sql_id))
            .push_bind(p.reply_settings.as_deref())
            .push_bind(c.edit_history.as_deref())
            .push_bind(c.hashtags.as_deref())
            .push_bind(c.mentions.as_deref())
            .push_bind(c.urls.as_deref())
            .push_bind(c.media.as_deref())
            .push_bind(c.withheld_in.as_deref())
            .push_bind(sql_count(p.metrics.likes))
            .push_bind(sql_count(p.metrics.retweets))
            .push_bind(sql_count(p.metrics.replies))
            .push_bind(sql_count(p.metrics.quotes))
            .push_bind(sql_count(p.metrics.impressions))
            .push_bind(sql_count(p.metrics.bookmarks))
            .push_bind(p.observed_at_ms)
            .push_bind(i64::from(p.complete))
            .push_bind(sql_id(
                p.conversation_id.or(p.reply_to_post).unwrap_or(p.id),
            ));
    });
    tx.push(post_upsert_sql());
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

impl Store for SqliteStore {
    async fn write_batch(&self, records: &[Record]) -> Result<(), StoreError> {
        let posts: Vec<&Post> = records
            .iter()
            .filter_map(|r| {
                if let Record::Post(p) = r {
                    Some(p)
                } else {
                    None
                }
            })
            .collect();
        let dms: Vec<&DirectMessage> = records
            .iter()
            .filter_map(|r| {
                if let Record::DirectMessage(d) = r {
                    Some(d)
                } else {
                    None
                }
            })
            .collect();
        let accounts = latest_accounts(records);
        let columns: Vec<PostColumns> = posts.iter().map(|p| PostColumns::of(p)).collect();
        let mut tx = self.pool.begin().await?;
        for (chunk, cols) in posts.chunks(POST_ROWS).zip(columns.chunks(POST_ROWS)) {
            let mut q = QueryBuilder::new("");
            push_posts(&mut q, chunk, cols);
            q.build().execute(&mut *tx).await?;
        }
        let sources: Vec<(&&Post, &str)> = posts
            .iter()
            .filter_map(|p| p.raw.as_deref().filter(|r| !r.is_empty()).map(|r| (p, r)))
            .collect();
        for chunk in sources.chunks(SMALL_ROWS) {
            let mut q = QueryBuilder::new("INSERT INTO post_sources (post_id, raw) ");
            q.push_values(chunk, |mut row, (p, raw)| {
                row.push_bind(sql_id(p.id)).push_bind(*raw);
            });
            q.push(" ON CONFLICT(post_id) DO UPDATE SET raw = excluded.raw");
            q.build().execute(&mut *tx).await?;
        }
        for chunk in accounts.chunks(SMALL_ROWS / 2) {
            let mut q = QueryBuilder::new(
                "INSERT INTO accounts (id, handle, name, followers, following, post_count, verified, observed_at) ",
            );
            q.push_values(chunk, |mut row, a| {
                row.push_bind(sql_id(a.id))
                    .push_bind(a.handle.as_deref())
                    .push_bind(a.name.as_deref())
                    .push_bind(sql_count(a.followers))
                    .push_bind(sql_count(a.following))
                    .push_bind(sql_count(a.post_count))
                    .push_bind(a.verified.map(i64::from))
                    .push_bind(a.observed_at_ms);
            });
            q.push(account_upsert_sql());
            q.build().execute(&mut *tx).await?;
        }
        for chunk in dms.chunks(SMALL_ROWS / 2) {
            let mut q = QueryBuilder::new(
                "INSERT INTO direct_messages (id, conversation_key, sender_id, recipient_id, created_at, text, event_type, raw) ",
            );
            q.push_values(chunk, |mut row, d| {
                row.push_bind(sql_id(d.id))
                    .push_bind(d.conversation_key.as_str())
                    .push_bind(d.sender_id.map(sql_id))
                    .push_bind(d.recipient_id.map(sql_id))
                    .push_bind(d.created_at_ms)
                    .push_bind(d.text.as_str())
                    .push_bind(d.event_type.as_str())
                    .push_bind(d.raw.as_deref());
            });
            q.push(
                " ON CONFLICT(id) DO UPDATE SET sender_id = COALESCE(direct_messages.sender_id, excluded.sender_id), \
                 recipient_id = COALESCE(direct_messages.recipient_id, excluded.recipient_id), \
                 created_at = COALESCE(direct_messages.created_at, excluded.created_at), \
                 raw = COALESCE(direct_messages.raw, excluded.raw)",
            );
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn thread_conversations(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Sources without conversation ids (v1.1, archives, CSV): climb reply edges to the
        // root. Bounded, so hostile reply cycles cannot loop forever.
        for _ in 0..64 {
            let climbed = sqlx::query(
                "UPDATE posts SET thread_root = (SELECT p.thread_root FROM posts p WHERE p.id = posts.thread_root) \
                 WHERE conversation_id IS NULL AND reply_to_post IS NOT NULL AND EXISTS ( \
                   SELECT 1 FROM posts p WHERE p.id = posts.thread_root \
                   AND p.thread_root IS NOT NULL AND p.thread_root != posts.thread_root)",
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if climbed == 0 {
                break;
            }
        }
        sqlx::query(
            "INSERT INTO conversations (channel, root_post_id, started_at, last_activity_at, messages) \
             SELECT 'public', thread_root, MIN(created_at), MAX(created_at), COUNT(*) FROM posts \
             WHERE kind != 'retweet' AND thread_root IS NOT NULL GROUP BY thread_root \
             ON CONFLICT(root_post_id) DO UPDATE SET started_at = excluded.started_at, \
             last_activity_at = excluded.last_activity_at, messages = excluded.messages",
        )
        .execute(&mut *tx)
        .await?;
        // A tree that turned out to belong to a larger one (its parent arrived later) is gone.
        sqlx::query(
            "DELETE FROM conversations WHERE channel = 'public' AND NOT EXISTS \
             (SELECT 1 FROM posts WHERE posts.thread_root = conversations.root_post_id AND posts.kind != 'retweet')",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO conversations (channel, dm_key, started_at, last_activity_at, messages) \
             SELECT 'private', conversation_key, MIN(created_at), MAX(created_at), COUNT(*) FROM direct_messages \
             WHERE true GROUP BY conversation_key \
             ON CONFLICT(dm_key) DO UPDATE SET started_at = excluded.started_at, \
             last_activity_at = excluded.last_activity_at, messages = excluded.messages",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_registry(&self, registry: &Registry) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
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
