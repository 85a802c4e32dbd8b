//! Reading the store for scorecards and the labelling pass: one sequential pass over posts in id
//! (time) order through the raw SQLite handle, rows lent to the caller without copies.

use tawasul_core::scorecard::ScanPost;
use tawasul_core::PostKind;

use crate::bulk::{Db, Value};
use crate::scan_cache::{
    cache_path, is_current, read_cache, row_count, CacheWriter, BUMP_POSTS_VERSION,
    POSTS_VERSION_SQL,
};
use crate::sqlite::{SqliteStore, CACHE_SIZE, FULL_THREADING, MMAP_SIZE};
use crate::StoreError;

/// A post the labelling pass has not looked at yet, with what decides which model applies.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelCandidate {
    /// Post id.
    pub id: u64,
    /// Author's user id (0 when unknown).
    pub author_id: u64,
    /// Author's handle ("" when unknown).
    pub author_handle: String,
    /// Structural kind.
    pub kind: PostKind,
    /// User replied to (0 when none).
    pub reply_to_user: u64,
    /// Author id of the post replied to, when that post is stored.
    pub parent_author_id: u64,
    /// Author handle of the post replied to, when stored.
    pub parent_author_handle: String,
    /// Mentions JSON as stored.
    pub mentions: String,
    /// Text.
    pub text: String,
}

/// One label to store: on the post itself (current value) and in the label history.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelWrite {
    /// Post id.
    pub post_id: u64,
    /// `post_type`, `intent` or `body`.
    pub task: &'static str,
    /// Label value.
    pub value: String,
    /// Calibrated probability (1.0 for a rule or a human).
    pub confidence: f32,
    /// Model name and version, `rule:…` or `human`.
    pub source: String,
}

/// The pseudo-task of a [`LabelWrite`] that records which government accounts a post mentions
/// (lower-case handles, comma-separated): resolved once, read by every scorecard.
pub const MENTIONED_GOVERNMENT: &str = "mentioned_government";

/// What the store knows about an account named by handle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountFacts {
    /// The handle as the platform spells it, when seen in the data.
    pub handle: Option<String>,
    /// X user id.
    pub user_id: Option<u64>,
    /// Latest follower count.
    pub followers: Option<u64>,
}

/// Relevant posts only, in id order, from the covering partial index (no text, no JSON).
const SCAN_SQL: &str = "SELECT id, author_id, created_at, kind, reply_to_post, reply_to_user, \
     COALESCE(thread_root, conversation_id, id), retweet_of, mentioned_government, intent, \
     post_type, reply_settings, likes, replies, retweets, quotes, hashtags, \
     media IS NOT NULL AND media != '[]' \
     FROM posts INDEXED BY posts_scorecard \
     WHERE post_type IS NOT NULL OR intent IS NOT NULL ORDER BY id";

/// The author's handle, needed only when a government account's user id is unknown.
const DETAILS_SQL: &str = "SELECT author_handle FROM posts WHERE id = ?";

fn kind_of(text: &str) -> PostKind {
    match text {
        "retweet" => PostKind::Retweet,
        "reply" => PostKind::Reply,
        "quote" => PostKind::Quote,
        _ => PostKind::Original,
    }
}

fn count(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

fn id(value: Option<i64>) -> u64 {
    count(value).unwrap_or(0)
}

/// Where a scan's rows come from and whether it leaves a cache behind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScanMode {
    /// From the cache when it is current, else from SQLite, writing the cache.
    Cached,
    /// From SQLite, leaving the cache alone.
    Uncached,
    /// Only to write the cache when it is not current; nothing is visited when it is.
    Prepare,
}

impl SqliteStore {
    /// Streams every labelled post (government posts and citizens' messages to them) in id
    /// order to `visit`; returns how many were read. The rows come from the scan cache beside
    /// the database when it was written for the store as it is now, and otherwise from SQLite,
    /// writing the cache on the way for the next scan. Nothing is allocated per post. The
    /// author's handle is given only for posts without an author id (the scorecard compares
    /// handles only for those, once account ids are resolved).
    ///
    /// A cache damaged after its first rows were handed out ends the scan with
    /// [`StoreError::CorruptCache`] and is removed: run the computation again from the start.
    pub async fn scan_posts<F>(&self, visit: F) -> Result<u64, StoreError>
    where
        F: FnMut(&ScanPost<'_>) + Send,
    {
        Ok(self.scan(visit, ScanMode::Cached).await?.unwrap_or(0))
    }

    /// [`scan_posts`](Self::scan_posts) from SQLite alone, neither reading nor writing the
    /// cache: for benchmarks and checks that compare the two paths.
    pub async fn scan_posts_uncached<F>(&self, visit: F) -> Result<u64, StoreError>
    where
        F: FnMut(&ScanPost<'_>) + Send,
    {
        Ok(self.scan(visit, ScanMode::Uncached).await?.unwrap_or(0))
    }

    /// Writes the scan cache for the store as it is now unless it is already there, so that
    /// the first report after an import is as fast as the next: the import pays one pass over
    /// SQLite once instead of the report the user is waiting for. Returns the rows written, or
    /// `None` when the cache was current already or the directory refused a file (a report
    /// then reads SQLite, as it would have).
    pub async fn prepare_scan_cache(&self) -> Result<Option<u64>, StoreError> {
        self.scan(|_: &ScanPost<'_>| {}, ScanMode::Prepare).await
    }

    /// How many rows the next [`scan_posts`](Self::scan_posts) will visit, when the scan cache
    /// of the store as it is now says so (`None` otherwise): a hint to allocate for, since a
    /// write between this call and the scan may change the number.
    pub async fn scan_rows_hint(&self) -> Result<Option<u64>, StoreError> {
        let token: Option<(String,)> = sqlx::query_as(POSTS_VERSION_SQL)
            .fetch_optional(self.pool())
            .await?;
        Ok(token.and_then(|(token,)| row_count(&cache_path(self.path()), &token)))
    }

    /// The one scan behind the three entry points; `None` only for a [`ScanMode::Prepare`]
    /// that wrote nothing.
    async fn scan<F>(&self, mut visit: F, mode: ScanMode) -> Result<Option<u64>, StoreError>
    where
        F: FnMut(&ScanPost<'_>) + Send,
    {
        let mut connection = self.pool().acquire().await?;
        let mut handle = connection.lock_handle().await?;
        let db = Db::new(handle.as_raw_handle());
        // Pages straight from the OS cache through a memory map instead of a read() copy each
        // (a no-op where mmap is unavailable), for the report waiting on the scan. Not for the
        // import preparing the cache: mapped pages count as the process's memory, which would
        // then grow with the store, and an import's must stay the same whatever its size; its
        // page cache is kept small too, since a scan reads each page once.
        db.exec(if mode == ScanMode::Prepare {
            "PRAGMA mmap_size = 0; PRAGMA cache_size = -2048"
        } else {
            "PRAGMA mmap_size = 17179869184"
        })?;
        // A read transaction: one consistent snapshot even while an import writes (WAL). The
        // version token is read inside it, so a cache for that token is this very snapshot.
        db.exec("BEGIN")?;
        let result = (|| {
            let token = {
                let mut statement = db.prepare(POSTS_VERSION_SQL)?;
                if statement.step()? {
                    statement.text(0).to_string()
                } else {
                    String::new()
                }
            };
            let cache = cache_path(self.path());
            let mut writer = None;
            if mode == ScanMode::Prepare {
                if token.is_empty() || is_current(&cache, &token) {
                    return Ok(None);
                }
                writer = CacheWriter::create(cache.clone(), &token);
                if writer.is_none() {
                    return Ok(None);
                }
            } else if mode == ScanMode::Cached && !token.is_empty() {
                match read_cache(&cache, &token, &mut visit) {
                    Ok(Some(rows)) => return Ok(Some(rows)),
                    Ok(None) => writer = CacheWriter::create(cache.clone(), &token),
                    Err(corrupt) => {
                        let _ = std::fs::remove_file(&cache);
                        return Err(StoreError::CorruptCache(corrupt.reason));
                    }
                }
            }
            let mut statement = db.prepare(SCAN_SQL)?;
            let mut details = db.prepare(DETAILS_SQL)?;
            let mut handle_buf = String::new();
            let mut rows = 0u64;
            while statement.step()? {
                let author_id = id(statement.int(1));
                handle_buf.clear();
                if author_id == 0 {
                    details.bind_all(&[Value::Int(statement.int(0).unwrap_or(0))])?;
                    if details.step()? {
                        handle_buf.push_str(details.text(0));
                    }
                    details.reset();
                }
                let post = ScanPost {
                    id: id(statement.int(0)),
                    author_id,
                    author_handle: &handle_buf,
                    time_ms: statement.int(2).unwrap_or(0),
                    kind: kind_of(statement.text(3)),
                    reply_to_post: id(statement.int(4)),
                    reply_to_user: id(statement.int(5)),
                    thread: id(statement.int(6)),
                    retweet_of: id(statement.int(7)),
                    mentioned_government: statement.text(8),
                    intent: statement.text(9),
                    post_type: statement.text(10),
                    reply_settings: statement.text(11),
                    likes: count(statement.int(12)),
                    replies: count(statement.int(13)),
                    retweets: count(statement.int(14)),
                    quotes: count(statement.int(15)),
                    hashtags_json: statement.text(16),
                    has_media: statement.int(17).unwrap_or(0) != 0,
                };
                if let Some(writer) = writer.as_mut() {
                    writer.push(&post);
                }
                visit(&post);
                rows += 1;
            }
            let written = writer.is_some_and(CacheWriter::finish);
            if mode == ScanMode::Prepare && !written {
                // The writer gave up (a full disk, say): nothing was prepared.
                return Ok(None);
            }
            Ok(Some(rows))
        })();
        let _ = db.exec("COMMIT");
        // The pooled connection goes back as every connection is opened.
        db.exec(&format!(
            "PRAGMA mmap_size = {MMAP_SIZE}; PRAGMA cache_size = {CACHE_SIZE}"
        ))?;
        result
    }

    /// Up to `limit` posts not yet looked at by the labelling pass, after id `after`, in id order.
    pub async fn label_candidates(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<LabelCandidate>, StoreError> {
        let mut connection = self.pool().acquire().await?;
        let mut handle = connection.lock_handle().await?;
        let db = Db::new(handle.as_raw_handle());
        let mut statement = db.prepare(
            "SELECT p.id, p.author_id, p.author_handle, p.kind, p.reply_to_user, p.mentions, p.text, \
             parent.author_id, parent.author_handle \
             FROM posts p LEFT JOIN posts parent ON parent.id = p.reply_to_post \
             WHERE p.labelled_at IS NULL AND p.id > ? ORDER BY p.id LIMIT ?",
        )?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        statement.bind_all(&[Value::Int(after), Value::Int(limit)])?;
        let mut out = Vec::new();
        while statement.step()? {
            out.push(LabelCandidate {
                id: id(statement.int(0)),
                author_id: id(statement.int(1)),
                author_handle: statement.text(2).to_string(),
                kind: kind_of(statement.text(3)),
                reply_to_user: id(statement.int(4)),
                mentions: statement.text(5).to_string(),
                text: statement.text(6).to_string(),
                parent_author_id: id(statement.int(7)),
                parent_author_handle: statement.text(8).to_string(),
            });
        }
        Ok(out)
    }

    /// Stores labels and marks the posts `first..=last` (the candidates just looked at) as
    /// labelled, in one transaction.
    pub async fn write_labels(
        &self,
        labels: &[LabelWrite],
        first: u64,
        last: u64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.pool().acquire().await?;
        let mut handle = connection.lock_handle().await?;
        let db = Db::new(handle.as_raw_handle());
        db.exec("BEGIN IMMEDIATE")?;
        let written = (|| {
            let mut history = db.prepare(
                "INSERT INTO labels (target_kind, target_id, task, value, confidence, source, created_at) \
                 VALUES ('post', ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (target_kind, target_id, task, source) DO UPDATE SET \
                 value = excluded.value, confidence = excluded.confidence, created_at = excluded.created_at",
            )?;
            // A post's labels arrive together: its row (and the wide scorecard index entry
            // that follows it) is written once for all of them, not once per label.
            let mut row = db.prepare(
                "UPDATE posts SET post_type = coalesce(?1, post_type), intent = coalesce(?2, intent), \
                 body_key = coalesce(?3, body_key), \
                 mentioned_government = coalesce(?4, mentioned_government), \
                 labelled_at = coalesce(labelled_at, ?5) WHERE id = ?6",
            )?;
            let mut enqueue =
                db.prepare("INSERT OR IGNORE INTO inbox_queue (post_id) VALUES (?)")?;
            for one_post in labels.chunk_by(|a, b| a.post_id == b.post_id) {
                let post = Value::Int(i64::try_from(one_post[0].post_id).unwrap_or(i64::MAX));
                // post_type, intent, body, mentioned_government: the last of each wins.
                let mut columns = [Value::Null; 4];
                let mut queued = false;
                for label in one_post {
                    let column = match label.task {
                        "post_type" => 0,
                        "intent" => 1,
                        MENTIONED_GOVERNMENT => 3,
                        _ => 2,
                    };
                    columns[column] = Value::Text(&label.value);
                    if column == 3 {
                        continue;
                    }
                    history.run(&[
                        post,
                        Value::Text(label.task),
                        Value::Text(&label.value),
                        Value::Real(f64::from(label.confidence)),
                        Value::Text(&label.source),
                        Value::Int(now_ms),
                    ])?;
                    if column < 2 && !queued {
                        enqueue.run(&[post])?;
                        queued = true;
                    }
                }
                let [post_type, intent, body, mentioned] = columns;
                row.run(&[post_type, intent, body, mentioned, Value::Int(now_ms), post])?;
            }
            let mut mark = db.prepare(
                "UPDATE posts SET labelled_at = ? WHERE labelled_at IS NULL AND id BETWEEN ? AND ?",
            )?;
            mark.run(&[
                Value::Int(now_ms),
                Value::Int(i64::try_from(first).unwrap_or(i64::MAX)),
                Value::Int(i64::try_from(last).unwrap_or(i64::MAX)),
            ])?;
            db.exec(BUMP_POSTS_VERSION)?;
            db.exec("COMMIT")
        })();
        if written.is_err() {
            let _ = db.exec("ROLLBACK");
        }
        written
    }

    /// Forgets model labels so the next labelling pass classifies every post again (after a
    /// model change); human labels stay in the history.
    pub async fn reset_model_labels(&self) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM labels WHERE target_kind = 'post' AND source != 'human'")
            .execute(&mut *tx)
            .await?;
        let reset = sqlx::query(
            "UPDATE posts SET post_type = NULL, intent = NULL, body_key = NULL, \
             mentioned_government = NULL, labelled_at = NULL",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(BUMP_POSTS_VERSION).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(reset)
    }

    /// The id and latest follower count of the account with this handle, from account records
    /// or, failing that, from posts it wrote.
    pub async fn account_facts(&self, handle: &str) -> Result<AccountFacts, StoreError> {
        let row: Option<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT id, followers, handle FROM accounts WHERE handle = ? COLLATE NOCASE \
             ORDER BY observed_at DESC LIMIT 1",
        )
        .bind(handle)
        .fetch_optional(self.pool())
        .await?;
        if let Some((user_id, followers, spelled)) = row {
            return Ok(AccountFacts {
                handle: spelled,
                user_id: u64::try_from(user_id).ok(),
                followers: count(followers),
            });
        }
        let author: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT author_id, author_handle FROM posts WHERE author_handle = ? COLLATE NOCASE \
             ORDER BY author_id IS NULL LIMIT 1",
        )
        .bind(handle)
        .fetch_optional(self.pool())
        .await?;
        let (author_id, spelled) = author.unwrap_or((None, None));
        Ok(AccountFacts {
            handle: spelled,
            user_id: author_id.and_then(|a| u64::try_from(a).ok()),
            followers: None,
        })
    }
}

/// A government account of the stored registry, with its body.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegisteredAccount {
    /// Handle, lower-case.
    pub handle: String,
    /// Account kind (official, media_centre, minister, president).
    pub kind: String,
    /// Body key.
    pub body_key: String,
    /// Body kind (ministry, presidency, …).
    pub body_kind: String,
    /// Body name in Arabic.
    pub name_ar: String,
    /// Body name in English.
    pub name_en: String,
}

impl SqliteStore {
    /// The X accounts of the stored registry, by body then handle.
    pub async fn registered_accounts(&self) -> Result<Vec<RegisteredAccount>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.handle, r.kind, r.body_key, b.kind AS body_kind, b.name_ar, b.name_en \
             FROM registry_accounts r JOIN bodies b ON b.key = r.body_key \
             WHERE r.platform = 'x' ORDER BY r.body_key, r.handle",
        )
        .fetch_all(self.pool())
        .await?)
    }
}

impl SqliteStore {
    /// Sets a fact about the store (`store_meta`).
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO store_meta (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

impl SqliteStore {
    /// A fact about the store, if set.
    pub async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = ?")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Time of the latest stored post (Unix ms), the default end of a report.
    pub async fn latest_post_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MAX(created_at) FROM posts")
            .fetch_one(self.pool())
            .await?)
    }
}

/// A post already in the store's shape, for benchmarks and load tests that need millions of
/// rows quickly (no source JSON, labels given).
#[derive(Debug, Clone, Default)]
pub struct SyntheticPost {
    /// Post id (a snowflake of `created_at`).
    pub id: i64,
    /// Author's user id.
    pub author_id: i64,
    /// Author's handle.
    pub author_handle: String,
    /// Unix ms.
    pub created_at: i64,
    /// `original`, `retweet`, `reply` or `quote`.
    pub kind: &'static str,
    /// Text.
    pub text: String,
    /// Conversation (reply tree root).
    pub conversation_id: i64,
    /// Post replied to.
    pub reply_to_post: Option<i64>,
    /// User replied to.
    pub reply_to_user: Option<i64>,
    /// Post retweeted.
    pub retweet_of: Option<i64>,
    /// `everyone` or a restriction.
    pub reply_settings: &'static str,
    /// Hashtags JSON.
    pub hashtags: Option<String>,
    /// Mentions JSON.
    pub mentions: Option<String>,
    /// Media JSON.
    pub media: Option<String>,
    /// Likes, replies, retweets, quotes.
    pub metrics: Option<[i64; 4]>,
    /// Post type label.
    pub post_type: Option<&'static str>,
    /// Intent label.
    pub intent: Option<&'static str>,
    /// Government handles mentioned (lower-case, comma-separated).
    pub mentioned_government: Option<String>,
}

impl SqliteStore {
    /// Inserts synthetic posts in one transaction, marked as labelled (their labels are given).
    pub async fn insert_synthetic_posts(&self, posts: &[SyntheticPost]) -> Result<(), StoreError> {
        let mut connection = self.pool().acquire().await?;
        let mut handle = connection.lock_handle().await?;
        let db = Db::new(handle.as_raw_handle());
        db.exec("BEGIN IMMEDIATE")?;
        let written = crate::bulk::insert_rows(
            &db,
            "posts",
            &[
                "id",
                "author_id",
                "author_handle",
                "created_at",
                "kind",
                "text",
                "lang",
                "conversation_id",
                "thread_root",
                "reply_to_post",
                "reply_to_user",
                "retweet_of",
                "reply_settings",
                "hashtags",
                "mentions",
                "media",
                "likes",
                "replies",
                "retweets",
                "quotes",
                "complete",
                "post_type",
                "intent",
                "labelled_at",
                "mentioned_government",
            ],
            " ON CONFLICT (id) DO NOTHING",
            posts.iter(),
            |p, out| {
                let metric = |i: usize| Value::from(p.metrics.map(|m| m[i]));
                out.extend([
                    Value::Int(p.id),
                    Value::Int(p.author_id),
                    Value::Text(&p.author_handle),
                    Value::Int(p.created_at),
                    Value::Text(p.kind),
                    Value::Text(&p.text),
                    Value::Text("ar"),
                    Value::Int(p.conversation_id),
                    Value::Int(p.conversation_id),
                    Value::from(p.reply_to_post),
                    Value::from(p.reply_to_user),
                    Value::from(p.retweet_of),
                    Value::Text(p.reply_settings),
                    Value::from(p.hashtags.as_deref()),
                    Value::from(p.mentions.as_deref()),
                    Value::from(p.media.as_deref()),
                    metric(0),
                    metric(1),
                    metric(2),
                    metric(3),
                    Value::Int(1),
                    Value::from(p.post_type),
                    Value::from(p.intent),
                    Value::Int(p.created_at),
                    Value::from(p.mentioned_government.as_deref()),
                ]);
            },
        )
        .and_then(|()| db.exec(BUMP_POSTS_VERSION))
        // Rows loaded in bulk are not queued for threading one by one: the next pass
        // threads everything.
        .and_then(|()| db.exec(FULL_THREADING))
        .and_then(|()| db.exec("COMMIT"));
        if written.is_err() {
            let _ = db.exec("ROLLBACK");
        }
        written
    }
}
