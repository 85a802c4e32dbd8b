//! The bulk writer: prepared statements run directly on the SQLite handle that sqlx lends
//! (`LockedSqliteHandle`), with text bound in place. sqlx's own path copies every bound value
//! to hand it to its worker thread; for imports of millions of posts that copy and the thread
//! hop cost more than SQLite itself.
//!
//! The same handle serves the server's hottest reads (`SqliteStore::read_raw`): sqlx sends
//! every result row from its worker thread through a channel, and a page of fifty tickets cost
//! fifty thread wake-ups; on the raw handle the rows are read where they are needed.
//!
//! Every function here is only called while the handle is locked out of sqlx's worker (or on a
//! reader connection the store owns, `readers::ReadConnection`, lent to one caller at a time),
//! so no other thread touches the connection or its statements.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_int, CStr, CString};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;

use crate::StoreError;

/// A raw connection, valid while the caller holds sqlx's lock on it (or owns it).
pub(crate) struct Db {
    handle: NonNull<ffi::sqlite3>,
    /// Statements kept prepared between uses, by SQL text. Only a connection the store owns
    /// has one: sqlx closes its connections when it likes, and SQLite refuses to close a
    /// connection with statements still prepared on it.
    cache: Option<RefCell<HashMap<Box<str>, NonNull<ffi::sqlite3_stmt>>>>,
}

/// How many distinct statements a connection keeps prepared. The server's reads come from a
/// few dozen SQL shapes; a filter combination beyond the bound is prepared for its one use.
const CACHED_STATEMENTS: usize = 128;

/// A prepared statement: finalised on drop, or reset and put back in its connection's cache.
pub(crate) struct Statement<'db> {
    raw: NonNull<ffi::sqlite3_stmt>,
    db: &'db Db,
    /// The SQL it was cached under, when its connection keeps statements.
    cache_key: Option<Box<str>>,
}

impl Db {
    /// Wraps a handle from `LockedSqliteHandle::as_raw_handle`.
    pub(crate) fn new(handle: NonNull<ffi::sqlite3>) -> Self {
        Db {
            handle,
            cache: None,
        }
    }

    /// Wraps a handle the store opened and will close itself: statements stay prepared.
    pub(crate) fn owned(handle: NonNull<ffi::sqlite3>) -> Self {
        Db {
            handle,
            cache: Some(RefCell::new(HashMap::new())),
        }
    }

    /// The raw handle, for opening and closing.
    pub(crate) fn handle(&self) -> NonNull<ffi::sqlite3> {
        self.handle
    }

    /// Finalises every cached statement (before the connection is closed).
    pub(crate) fn finalize_cached(&self) {
        if let Some(cache) = &self.cache {
            for (_, raw) in cache.borrow_mut().drain() {
                // SAFETY: a statement prepared on this connection, not lent out (lent ones are
                // not in the map).
                unsafe {
                    ffi::sqlite3_finalize(raw.as_ptr());
                }
            }
        }
    }

    /// Runs a query with `values` bound and decodes each row: the loop every raw read shares.
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        values: &[Value<'_>],
        mut decode: impl FnMut(&Statement<'_>) -> T,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = self.prepare(sql)?;
        statement.bind_all(values)?;
        let mut rows = Vec::new();
        while statement.step()? {
            rows.push(decode(&statement));
        }
        Ok(rows)
    }

    /// How many statements wait prepared in the cache (for tests of the cache itself).
    #[cfg(test)]
    pub(crate) fn cached_statements(&self) -> usize {
        self.cache.as_ref().map_or(0, |cache| cache.borrow().len())
    }

    fn error(&self, context: &str) -> StoreError {
        // SAFETY: the handle is open and locked to this thread; errmsg returns a valid C string
        // owned by SQLite until the next call on this connection.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.handle.as_ptr())) };
        StoreError::Sqlite(format!("{context}: {}", message.to_string_lossy()))
    }

    /// Runs SQL without results (BEGIN, COMMIT, ROLLBACK).
    pub(crate) fn exec(&self, sql: &str) -> Result<(), StoreError> {
        let sql_c =
            CString::new(sql).map_err(|_| StoreError::Sqlite(format!("NUL in SQL: {sql}")))?;
        // SAFETY: valid handle and NUL-terminated SQL; no callback, no error buffer.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.handle.as_ptr(),
                sql_c.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(sql));
        }
        Ok(())
    }

    /// Prepares one statement, or lends the one already prepared for this SQL.
    pub(crate) fn prepare(&self, sql: &str) -> Result<Statement<'_>, StoreError> {
        if let Some(cache) = &self.cache {
            if let Some((key, raw)) = cache.borrow_mut().remove_entry(sql) {
                return Ok(Statement {
                    raw,
                    db: self,
                    cache_key: Some(key),
                });
            }
        }
        let mut raw = ptr::null_mut();
        let len =
            c_int::try_from(sql.len()).map_err(|_| StoreError::Sqlite("SQL too long".into()))?;
        // SAFETY: valid handle; SQL pointer and length describe a live &str; `raw` receives the
        // statement or NULL.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                self.handle.as_ptr(),
                sql.as_ptr().cast(),
                len,
                &mut raw,
                ptr::null_mut(),
            )
        };
        match NonNull::new(raw) {
            Some(raw) if rc == ffi::SQLITE_OK => Ok(Statement {
                raw,
                db: self,
                cache_key: self.cache.as_ref().map(|_| sql.into()),
            }),
            _ => Err(self.error("prepare")),
        }
    }
}

/// A value to bind: borrowed text stays in place until the statement is stepped.
#[derive(Clone, Copy)]
pub(crate) enum Value<'v> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'v str),
    Blob(&'v [u8]),
}

impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl<'v> From<Option<&'v str>> for Value<'v> {
    fn from(v: Option<&'v str>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl<'v> From<&'v str> for Value<'v> {
    fn from(v: &'v str) -> Self {
        Value::Text(v)
    }
}

/// SQL with its parameters, built piece by piece (filters of a listing).
pub(crate) struct RawSql<'v> {
    pub(crate) sql: String,
    pub(crate) values: Vec<Value<'v>>,
}

impl<'v> RawSql<'v> {
    /// Starts with `sql`.
    pub(crate) fn new(sql: &str) -> Self {
        RawSql {
            sql: sql.to_string(),
            values: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a parameter.
    pub(crate) fn bind(&mut self, value: impl Into<Value<'v>>) -> &mut Self {
        self.sql.push('?');
        self.values.push(value.into());
        self
    }

    /// Appends ` AND {column} IN (?, …)`: an empty list matches nothing. (A `NULL` in the
    /// list would cost the index order: SQLite would sort every match of a one-body scope
    /// instead of reading the newest fifty off the index.)
    pub(crate) fn within(&mut self, column: &str, keys: &'v [String]) -> &mut Self {
        self.sql.push_str(" AND ");
        self.sql.push_str(column);
        self.sql.push_str(" IN (");
        for (i, key) in keys.iter().enumerate() {
            self.sql.push_str(if i == 0 { "?" } else { ", ?" });
            self.values.push(Value::Text(key));
        }
        self.sql.push(')');
        self
    }
}

/// Most rows one multi-row statement carries: SQLite allows 32,766 parameters.
const MAX_PARAMS: usize = 32_000;

/// Inserts rows with multi-row `INSERT … VALUES (…), (…) <upsert>` statements: one statement
/// per chunk keeps SQLite's cursors on the table and its indexes open across rows.
pub(crate) fn insert_rows<'r, T>(
    db: &Db,
    table: &str,
    columns: &[&str],
    upsert: &str,
    rows: impl ExactSizeIterator<Item = T>,
    values: impl Fn(T, &mut Vec<Value<'r>>),
) -> Result<(), StoreError> {
    let per_row = columns.len();
    let chunk = (MAX_PARAMS / per_row).max(1);
    let tuple = format!("({})", vec!["?"; per_row].join(", "));
    let sql_for = |n: usize| {
        format!(
            "INSERT INTO {table} ({}) VALUES {}{upsert}",
            columns.join(", "),
            vec![tuple.as_str(); n].join(", ")
        )
    };
    let total = rows.len();
    let mut full: Option<Statement> = None;
    let mut bound: Vec<Value<'r>> = Vec::with_capacity(chunk.min(total) * per_row);
    let (mut in_chunk, mut done) = (0usize, 0usize);
    for row in rows {
        values(row, &mut bound);
        in_chunk += 1;
        if in_chunk < chunk && done + in_chunk < total {
            continue;
        }
        if in_chunk == chunk {
            if full.is_none() {
                full = Some(db.prepare(&sql_for(chunk))?);
            }
            if let Some(stmt) = full.as_mut() {
                stmt.run(&bound)?;
            }
        } else {
            db.prepare(&sql_for(in_chunk))?.run(&bound)?;
        }
        done += in_chunk;
        in_chunk = 0;
        bound.clear();
    }
    Ok(())
}

impl Statement<'_> {
    /// Resets the statement and binds `values` to parameters 1..n for the `step`s of a query.
    pub(crate) fn bind_all(&mut self, values: &[Value<'_>]) -> Result<(), StoreError> {
        // SAFETY: a live statement of a locked connection.
        unsafe {
            ffi::sqlite3_reset(self.raw.as_ptr());
            ffi::sqlite3_clear_bindings(self.raw.as_ptr());
        }
        // Copied (SQLITE_TRANSIENT): query rows may be stepped after the caller's borrow ends.
        self.bind(values, ffi::SQLITE_TRANSIENT())
    }

    /// Binds `values` to parameters 1..n; text and blobs with `destructor` (STATIC: SQLite
    /// reads them in place, so they must outlive the steps; TRANSIENT: SQLite copies them).
    fn bind(
        &mut self,
        values: &[Value<'_>],
        destructor: ffi::sqlite3_destructor_type,
    ) -> Result<(), StoreError> {
        let stmt = self.raw.as_ptr();
        for (i, value) in values.iter().enumerate() {
            let index = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: `stmt` is a live statement of a locked connection; text pointers and
            // lengths describe live data, kept alive as the destructor's contract requires.
            let rc = unsafe {
                match value {
                    Value::Null => ffi::sqlite3_bind_null(stmt, index),
                    Value::Int(n) => ffi::sqlite3_bind_int64(stmt, index, *n),
                    Value::Real(x) => ffi::sqlite3_bind_double(stmt, index, *x),
                    Value::Text(t) => {
                        let len = c_int::try_from(t.len())
                            .map_err(|_| StoreError::Sqlite("a text longer than 2 GiB".into()))?;
                        ffi::sqlite3_bind_text(stmt, index, t.as_ptr().cast(), len, destructor)
                    }
                    Value::Blob(b) => {
                        let len = c_int::try_from(b.len())
                            .map_err(|_| StoreError::Sqlite("a blob longer than 2 GiB".into()))?;
                        ffi::sqlite3_bind_blob(stmt, index, b.as_ptr().cast(), len, destructor)
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(self.db.error("bind"));
            }
        }
        Ok(())
    }

    /// Advances to the next row: `true` while there is one.
    pub(crate) fn step(&mut self) -> Result<bool, StoreError> {
        // SAFETY: a live statement of a locked connection.
        match unsafe { ffi::sqlite3_step(self.raw.as_ptr()) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            _ => Err(self.db.error("step")),
        }
    }

    /// Integer column of the current row; NULL reads as `None`.
    pub(crate) fn int(&self, column: c_int) -> Option<i64> {
        let stmt = self.raw.as_ptr();
        // SAFETY: the statement has a current row (after `step` returned true).
        unsafe {
            if ffi::sqlite3_column_type(stmt, column) == ffi::SQLITE_NULL {
                None
            } else {
                Some(ffi::sqlite3_column_int64(stmt, column))
            }
        }
    }

    /// Text column of the current row, valid until the next `step`; NULL reads as "".
    pub(crate) fn text(&self, column: c_int) -> &str {
        let stmt = self.raw.as_ptr();
        // SAFETY: a current row; SQLite returns a pointer to `bytes` bytes that stays valid until
        // the next step/reset/finalize, all of which need `&mut self`.
        unsafe {
            let ptr = ffi::sqlite3_column_text(stmt, column);
            if ptr.is_null() {
                return "";
            }
            let len = usize::try_from(ffi::sqlite3_column_bytes(stmt, column)).unwrap_or(0);
            let bytes = std::slice::from_raw_parts(ptr, len);
            // SQLite stores what we bound, which was UTF-8; anything else reads as empty.
            std::str::from_utf8(bytes).unwrap_or("")
        }
    }

    /// Text column of the current row, owned; NULL reads as `None`.
    pub(crate) fn text_opt(&self, column: c_int) -> Option<String> {
        // SAFETY: the statement has a current row (after `step` returned true).
        let null =
            unsafe { ffi::sqlite3_column_type(self.raw.as_ptr(), column) == ffi::SQLITE_NULL };
        (!null).then(|| self.text(column).to_string())
    }

    /// Binds `values`, steps once and returns the first column of the row (an `INSERT …
    /// RETURNING id`, a lookup), then resets: a write statement left mid-step would keep
    /// its transaction from committing.
    pub(crate) fn query_int(&mut self, values: &[Value<'_>]) -> Result<Option<i64>, StoreError> {
        self.bind_all(values)?;
        let found = if self.step()? { self.int(0) } else { None };
        self.reset();
        Ok(found)
    }

    /// Returns the statement to its initial state (its bindings stay).
    pub(crate) fn reset(&mut self) {
        // SAFETY: a live statement of a locked connection.
        unsafe {
            ffi::sqlite3_reset(self.raw.as_ptr());
        }
    }

    /// Binds `values` to parameters 1..n, runs the statement to completion and resets it.
    /// Text is bound without a copy (SQLITE_STATIC): it only has to live until `step` returns,
    /// and it does, because `values` borrows it for this whole call.
    pub(crate) fn run(&mut self, values: &[Value<'_>]) -> Result<(), StoreError> {
        self.bind(values, ffi::SQLITE_STATIC())?;
        let stmt = self.raw.as_ptr();
        // SAFETY: as above; reset returns the statement to its initial state for reuse.
        let rc = unsafe { ffi::sqlite3_step(stmt) };
        let reset = unsafe { ffi::sqlite3_reset(stmt) };
        if rc != ffi::SQLITE_DONE || reset != ffi::SQLITE_OK {
            return Err(self.db.error("step"));
        }
        Ok(())
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        if let (Some(key), Some(cache)) = (self.cache_key.take(), &self.db.cache) {
            let mut cache = cache.borrow_mut();
            if cache.len() < CACHED_STATEMENTS && !cache.contains_key(&key) {
                // SAFETY: a live statement of this connection; reset ends its read of the
                // database (a statement left mid-step would hold its snapshot open).
                unsafe {
                    ffi::sqlite3_reset(self.raw.as_ptr());
                    ffi::sqlite3_clear_bindings(self.raw.as_ptr());
                }
                cache.insert(key, self.raw);
                return;
            }
        }
        // SAFETY: finalising a statement we prepared and no longer use.
        unsafe {
            ffi::sqlite3_finalize(self.raw.as_ptr());
        }
    }
}
