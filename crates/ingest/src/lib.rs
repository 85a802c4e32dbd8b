//! Readers for every X/Twitter format tawasul imports, producing `tawasul_core::Record`s.
//!
//! Streaming and constant-memory: JSON lines are read one bounded line at a time, archive
//! `.js` arrays one element at a time, CSV one row at a time; `.gz` and `.zip` are decompressed
//! on the fly. Each bad line is reported with its number and skipped, unless the caller stops.
#![deny(missing_docs)]

mod delimited;
mod entities;
mod source;
mod v1;
mod v2;
pub mod value;

pub use delimited::{ColumnMap, FIELDS};
pub use source::{detect, read_path, read_reader, CountingReader, Format, ReadOptions};
pub use v1::ArchiveOwner;

use tawasul_core::Record;

/// Longest line or archive element accepted; longer ones are reported and skipped without
/// being held in memory. A twarc2 page of 500 tweets with includes is about 2 MB.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// A problem with one line (or row, or archive element) of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The file, with `!entry` for a member of a zip.
    pub file: String,
    /// 1-based line number (for CSV, the row's first line; for archives, the element's).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Errors that stop reading a file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The content is not in the requested (or any known) format.
    #[error("{file}: {reason}")]
    Format {
        /// The file.
        file: String,
        /// What was expected and found.
        reason: String,
    },
    /// The consumer asked to stop (strict mode, or it failed).
    #[error("stopped by the consumer")]
    Stopped,
}

/// A consumer's request to stop reading (strict mode, or the consumer failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// What a reader hands to its consumer. Returning `Err(Stop)` from any method stops the reader.
pub trait Sink {
    /// Records from one line (or element); `unit` is its 1-based line number.
    fn records(&mut self, file: &str, unit: u64, records: &mut Vec<Record>) -> Result<(), Stop>;
    /// A line that could not be read; it is skipped if this returns `Ok`.
    fn line_error(&mut self, error: LineError) -> Result<(), Stop>;
}

/// Conversation key of a one-to-one DM thread: both directions meet on the same key.
pub(crate) fn pair_key(a: Option<u64>, b: Option<u64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{}-{}", a.min(b), a.max(b)),
        (Some(a), None) | (None, Some(a)) => a.to_string(),
        (None, None) => String::from("unknown"),
    }
}
