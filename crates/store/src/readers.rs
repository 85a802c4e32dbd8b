//! Reader connections the store opens and owns itself, for the server's page reads.
//!
//! A page view runs four to seven short queries. On a connection sqlx lends, each one is parsed
//! and planned again, because statements cannot outlive the loan (sqlx closes its connections
//! when it likes, and SQLite refuses to close one with statements still prepared); parsing cost
//! as much as running. These connections keep their statements prepared for their lifetime,
//! run each caller's reads in one read transaction (one snapshot, one WAL read lock), and are
//! query-only, so nothing can write through them.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::Mutex;

use libsqlite3_sys as ffi;
use tokio::sync::Semaphore;

use crate::bulk::Db;
use crate::StoreError;

/// Settings of every reader connection: the write pool's cache and mmap sizes, a wait instead
/// of an error while a checkpoint holds the WAL, and no writes.
const READER_SETUP: &str = "PRAGMA busy_timeout = 30000; PRAGMA cache_size = -32768; \
     PRAGMA mmap_size = 1073741824; PRAGMA temp_store = memory; PRAGMA query_only = 1;";

/// One owned connection with its prepared statements.
pub(crate) struct ReadConnection {
    db: Db,
}

// SAFETY: the connection is opened with SQLITE_OPEN_NOMUTEX (multi-thread mode), which allows
// use from any thread as long as only one uses it at a time; the pool lends it to one caller.
unsafe impl Send for ReadConnection {}

impl ReadConnection {
    fn open(path: &Path) -> Result<Self, StoreError> {
        let failed = |why: String| StoreError::Sqlite(format!("{}: {why}", path.display()));
        let name = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| failed("NUL in the database path".into()))?;
        let mut raw = ptr::null_mut();
        // SAFETY: a NUL-terminated path; `raw` receives a handle (even on most errors, which
        // must then be closed).
        let rc = unsafe {
            ffi::sqlite3_open_v2(
                name.as_ptr(),
                &mut raw,
                ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_NOMUTEX,
                ptr::null(),
            )
        };
        let handle = NonNull::new(raw).ok_or_else(|| failed("out of memory".into()))?;
        let connection = ReadConnection {
            db: Db::owned(handle),
        };
        if rc != ffi::SQLITE_OK {
            return Err(failed(format!("cannot open for reading (code {rc})")));
        }
        connection.db.exec(READER_SETUP)?;
        Ok(connection)
    }
}

impl Drop for ReadConnection {
    fn drop(&mut self) {
        self.db.finalize_cached();
        // SAFETY: every statement of this connection is finalised (lent ones are dropped before
        // the connection returns to the pool), so the close succeeds.
        unsafe {
            ffi::sqlite3_close(self.db.handle().as_ptr());
        }
    }
}

/// A bounded set of reader connections, opened as they are first needed.
pub(crate) struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<ReadConnection>>,
    permits: Semaphore,
}

impl ReaderPool {
    /// A pool of at most `size` readers of the database at `path`.
    pub(crate) fn new(path: &Path, size: usize) -> Self {
        ReaderPool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        }
    }

    /// Runs `read` on a reader, on the caller's thread, inside one read transaction.
    pub(crate) async fn read<T>(
        &self,
        read: impl FnOnce(&Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Sqlite("the reader pool is closed".into()))?;
        let lent = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let connection = match lent {
            Some(connection) => connection,
            None => ReadConnection::open(&self.path)?,
        };
        // One snapshot for all of the caller's reads; a connection that fails to begin is
        // dropped (closed) with the error.
        connection.db.prepare("BEGIN")?.run(&[])?;
        let value = read(&connection.db);
        // A connection whose transaction could not end is not lent again.
        let ended = connection
            .db
            .prepare("COMMIT")
            .and_then(|mut end| end.run(&[]));
        if ended.is_ok() {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(connection);
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_keep_statements_prepared_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open_dir(dir.path()).await.unwrap();
        let pool = ReaderPool::new(store.path(), 1);
        let first = pool
            .read(|db| {
                let mut s = db.prepare("SELECT 40 + ?")?;
                s.query_int(&[crate::bulk::Value::Int(2)])
            })
            .await
            .unwrap();
        assert_eq!(first, Some(42));
        // The same SQL again on the one connection: the cached statement, with fresh bindings.
        let again = pool
            .read(|db| {
                let mut s = db.prepare("SELECT 40 + ?")?;
                s.query_int(&[crate::bulk::Value::Int(3)])
            })
            .await
            .unwrap();
        assert_eq!(again, Some(43));
        // BEGIN, COMMIT and the query wait prepared; nothing was prepared twice.
        let cached = pool.read(|db| Ok(db.cached_statements())).await.unwrap();
        assert_eq!(cached, 3);
        // Two live statements of the same SQL at once: the second is prepared on its own.
        let both = pool
            .read(|db| {
                let mut a = db.prepare("SELECT 1 + ?")?;
                let mut b = db.prepare("SELECT 1 + ?")?;
                Ok((
                    a.query_int(&[crate::bulk::Value::Int(1)])?,
                    b.query_int(&[crate::bulk::Value::Int(2)])?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(both, (Some(2), Some(3)));
        // The second copy was finalised, not cached twice.
        let cached = pool.read(|db| Ok(db.cached_statements())).await.unwrap();
        assert_eq!(cached, 4);
        let write = pool
            .read(|db| db.exec("CREATE TABLE sneaky (x)"))
            .await
            .unwrap_err();
        assert!(write.to_string().contains("readonly"), "{write}");
        // The pool still works after a failed read, and sees what the writers commit.
        sqlx::query(
            "INSERT INTO bodies (key, kind, name_ar, name_en) VALUES ('k', 'ministry', 'ك', 'K')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let seen = pool
            .read(|db| {
                db.prepare("SELECT COUNT(*) FROM bodies WHERE key = 'k'")?
                    .query_int(&[])
            })
            .await
            .unwrap();
        assert_eq!(seen, Some(1));
    }
}
