//! Secondary indexes on `posts` taken off for a bulk load and built again after it.
//!
//! Kept up row by row, an index whose keys arrive in random order (the author index above all)
//! dirties a page per row once it outgrows the page cache: a 1.2 GB import spent a quarter of
//! its time there. Built once after the load, the same index is one sort. The definitions are
//! stored in `deferred_indexes` in the transaction that drops them, so a load killed midway
//! leaves them behind and the next open of the store builds them: nothing depends on the
//! process that deferred them finishing.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection};

use crate::{SqliteStore, StoreError};

/// The indexes on `posts` whose keys arrive in no particular order as posts are written (by
/// author, by reply tree, by parent): the ones worth deferring for an import. The others are
/// keyed by post id, which a collection mostly brings in order, and cost little to keep.
pub const SCATTERED_POST_INDEXES: &[&str] =
    &["posts_author_handle", "posts_reply_to", "posts_thread"];

/// Temporary tables and sorts in files: for statements whose temporary data grows with the
/// store (an index build sorts every post).
const TEMP_STORE_FILE: &str = "PRAGMA temp_store = FILE";
/// The pooled connections' own setting (see `SqliteStore::open_file_with`).
const TEMP_STORE_POOLED: &str = "PRAGMA temp_store = MEMORY";

impl SqliteStore {
    /// Takes secondary indexes off `posts` before a bulk load (those named in `only`, or all
    /// of them), recording each definition in the same transaction; returns how many were
    /// taken off. Until they are restored, reads that would use them scan instead.
    pub async fn defer_post_indexes(&self, only: Option<&[&str]>) -> Result<usize, StoreError> {
        let mut connection = self.begin_immediate().await?;
        let result = defer(&mut connection, only).await;
        finish(&mut connection, result).await
    }

    /// Builds every index a bulk load deferred, in one transaction; returns how many were
    /// built. Cheap when there are none, so every open of the store and every threading pass
    /// (which needs them) calls it.
    pub async fn restore_deferred_indexes(&self) -> Result<usize, StoreError> {
        let pending: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deferred_indexes)")
            .fetch_one(self.pool())
            .await?;
        if !pending {
            return Ok(0);
        }
        // `CREATE INDEX` sorts every post; with the pool's in-memory temp store the sort's
        // spilled runs stayed in memory too, so the build held memory in proportion to the
        // store (84 MB for 1.2 M posts, often kept by the allocator through the labelling
        // pass after it). Spilled to temporary files, the sort keeps to its page cache.
        let mut connection = self.pool().acquire().await?;
        sqlx::query(TEMP_STORE_FILE)
            .execute(&mut *connection)
            .await?;
        let begun = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *connection)
            .await;
        let built = match begun {
            Ok(_) => {
                let result = restore_all(&mut connection).await;
                finish(&mut connection, result).await
            }
            Err(e) => Err(e.into()),
        };
        // Back as every pooled connection is opened, whatever happened above.
        let restored = sqlx::query(TEMP_STORE_POOLED)
            .execute(&mut *connection)
            .await;
        let built = built?;
        restored?;
        Ok(built)
    }

    /// Posts stored: what a bulk load weighs against, since building an index again costs a
    /// sort of every post, old and new.
    pub async fn post_count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
            .fetch_one(self.pool())
            .await?;
        Ok(count.max(0) as u64)
    }

    /// The names of the indexes deferred now, in name order.
    pub async fn deferred_index_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM deferred_indexes ORDER BY name")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// A connection in a transaction that holds the write lock from its start, so reading the
    /// schema and then changing it cannot be overtaken by another writer.
    async fn begin_immediate(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        let mut connection = self.pool().acquire().await?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *connection)
            .await?;
        Ok(connection)
    }
}

/// Commits when `result` is `Ok`, rolls back otherwise; the connection goes back to the pool
/// outside any transaction either way.
async fn finish(
    connection: &mut SqliteConnection,
    result: Result<usize, StoreError>,
) -> Result<usize, StoreError> {
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = sqlx::query(end).execute(&mut *connection).await;
    match (result, ended) {
        (Ok(count), Ok(_)) => Ok(count),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => {
            // A failed COMMIT leaves the transaction open.
            let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
            Err(e.into())
        }
    }
}

/// Records and drops the secondary indexes on `posts` named in `only`, or all of them.
async fn defer(
    connection: &mut SqliteConnection,
    only: Option<&[&str]>,
) -> Result<usize, StoreError> {
    // Indexes SQLite makes itself (for UNIQUE constraints) have no SQL and stay.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master \
         WHERE type = 'index' AND tbl_name = 'posts' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut *connection)
    .await?;
    let indexes: Vec<(String, String)> = indexes
        .into_iter()
        .filter(|(name, _)| only.is_none_or(|names| names.contains(&name.as_str())))
        .collect();
    for (name, sql) in &indexes {
        sqlx::query("INSERT OR REPLACE INTO deferred_indexes (name, sql) VALUES (?, ?)")
            .bind(name)
            .bind(sql)
            .execute(&mut *connection)
            .await?;
        sqlx::query(&format!("DROP INDEX {}", quoted(name)))
            .execute(&mut *connection)
            .await?;
    }
    Ok(indexes.len())
}

/// Builds every recorded index that does not exist, and forgets the records.
async fn restore_all(connection: &mut SqliteConnection) -> Result<usize, StoreError> {
    // Reading the schema table first brings this connection's copy of the schema up to date:
    // `CREATE INDEX` is parsed against that copy, which may predate the drop (a pooled
    // connection that last ran before it said "index already exists").
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index'")
            .fetch_all(&mut *connection)
            .await?;
    let deferred: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sql FROM deferred_indexes ORDER BY name")
            .fetch_all(&mut *connection)
            .await?;
    let mut built = 0;
    for (name, sql) in &deferred {
        if !existing.contains(name) {
            sqlx::query(sql).execute(&mut *connection).await?;
            built += 1;
        }
    }
    sqlx::query("DELETE FROM deferred_indexes")
        .execute(&mut *connection)
        .await?;
    Ok(built)
}

/// An SQL identifier in double quotes.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(quoted("posts_thread"), "\"posts_thread\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
