//! Where tawasul keeps what it knows: the `Store` trait and its embedded SQLite backend.
//!
//! Writes are idempotent upserts in one transaction per batch, so an import killed at any point
//! and run again ends with the same store as one clean run. A complete record beats a
//! low-fidelity copy; newer metrics beat older ones; missing fields are filled, never erased.
#![deny(missing_docs)]

pub mod absorb;
mod bulk;
mod deferred_indexes;
pub mod inbox;
mod readers;
mod scan;
mod scan_cache;
mod sqlite;

pub use deferred_indexes::SCATTERED_POST_INDEXES;
pub use scan::{
    AccountFacts, LabelCandidate, LabelWrite, RegisteredAccount, SyntheticPost,
    MENTIONED_GOVERNMENT,
};
pub use scan_cache::cache_path as scan_cache_path;
pub use sqlite::{decode_source, PreparedBatch, SqliteStore, DATABASE_FILE, SOURCE_CODEC};

use std::future::Future;

use tawasul_core::{Record, Registry};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused an operation.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// SQLite refused a bulk write; the message says which step.
    #[error("sqlite: {0}")]
    Sqlite(String),
    /// A schema migration failed.
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The scorecard scan cache broke after part of it had been read; it was removed, and the
    /// scan must be run again from the start (it then reads SQLite).
    #[error("scan cache: {0}; it was removed, run again")]
    CorruptCache(String),
    /// The data directory could not be prepared.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Counts by structural kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCounts {
    /// Originals.
    pub original: u64,
    /// Retweets.
    pub retweet: u64,
    /// Replies.
    pub reply: u64,
    /// Quotes.
    pub quote: u64,
}

/// What the store holds, for `tawasul stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Distinct posts, from any part of any input.
    pub posts: u64,
    /// Distinct accounts: those with an id, plus handles seen only as post authors.
    pub accounts: u64,
    /// Distinct direct messages.
    pub direct_messages: u64,
    /// Reply trees with at least one non-retweet post, plus DM threads.
    pub conversations: u64,
    /// Posts by kind.
    pub by_kind: KindCounts,
    /// Posts kept as low-fidelity copies only.
    pub incomplete_posts: u64,
    /// Metric observations over time.
    pub metric_snapshots: u64,
    /// Bodies in the registry.
    pub bodies: u64,
}

/// One finished import, for the audit trail.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// File path as given.
    pub path: String,
    /// Detected or requested format.
    pub format: String,
    /// Unix ms.
    pub started_at_ms: i64,
    /// Unix ms.
    pub finished_at_ms: i64,
    /// Post records read.
    pub posts: u64,
    /// DM records read.
    pub direct_messages: u64,
    /// Lines skipped.
    pub errors: u64,
}

/// The storage contract every backend meets (SQLite now, PostgreSQL for scale-out).
pub trait Store: Sync {
    /// Writes a prepared batch in one transaction: all of it or none.
    fn write_prepared(
        &self,
        batch: &PreparedBatch,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Prepares and writes records in one transaction (for callers without a reader thread).
    fn write_batch(
        &self,
        records: &[Record],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let batch = PreparedBatch::new(records.to_vec());
        async move { self.write_prepared(&batch).await }
    }
    /// Recomputes reply trees and conversations after writes; idempotent.
    fn thread_conversations(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the registry of bodies and accounts.
    fn save_registry(
        &self,
        registry: &Registry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Appends to the import log.
    fn log_import(
        &self,
        import: &ImportRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Counts.
    fn stats(&self) -> impl Future<Output = Result<Stats, StoreError>> + Send;
}
