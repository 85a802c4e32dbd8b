//! `tawasul import` and `tawasul stats`: files in, one-line JSON summary out.
//!
//! A reader thread parses while the main thread writes batches to the store, so parsing and
//! SQLite work overlap on two cores. Each batch is one transaction: a kill loses at most the
//! batch in flight, and a re-run upserts the same rows again.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::Serialize;
use tawasul_core::{Record, Registry};
use tawasul_ingest::{Format, IngestError, LineError, ReadOptions, Sink, Stop};
use tawasul_store::{ImportRecord, PreparedBatch, SqliteStore, Store};

/// Records per transaction: large enough to amortise the commit, small enough that a kill loses
/// little and memory stays flat.
const BATCH_RECORDS: usize = 5_000;
/// Errors listed in the summary; the count covers all of them.
const LISTED_ERRORS: usize = 1000;

/// Options of one `import` run.
pub struct ImportArgs {
    pub data_dir: PathBuf,
    pub registry: Option<PathBuf>,
    pub files: Vec<PathBuf>,
    pub format: Format,
    pub columns: String,
    pub strict: bool,
    pub keep_raw: bool,
    pub quiet: bool,
    /// Run the labelling pass (post type, intent, body) on the new posts.
    pub classify: bool,
    /// Whether the posts indexes come off while the files are written.
    pub indexes: IndexPolicy,
}

/// Whether an import takes the secondary indexes off `posts` while it writes and builds them
/// once after: a sort instead of a random page write per row, paid for by a rebuild over
/// every stored post and by readers of the store scanning meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexPolicy {
    /// Defer when the files are large and large next to the store.
    Auto,
    /// Always defer.
    Defer,
    /// Never defer: a live store's readers keep their indexes throughout.
    Keep,
}

impl IndexPolicy {
    /// Reads the `--indexes` value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(IndexPolicy::Auto),
            "defer" => Some(IndexPolicy::Defer),
            "keep" => Some(IndexPolicy::Keep),
            _ => None,
        }
    }
}

/// Below this many input bytes an import keeps its indexes: the rows fit the page cache's
/// reach and the saving is smaller than a rebuild's fixed cost.
const DEFER_MIN_BYTES: u64 = 64_000_000;
/// Bytes of input per post in a twarc2 collection (includes and metadata shared out); other
/// formats carry fewer, so the estimate errs towards keeping the indexes.
const BYTES_PER_POST: u64 = 1_700;
/// How much larger than the file a `.gz` or `.zip` of X JSON unpacks (measured 8-10x).
const COMPRESSION_RATIO: u64 = 8;

/// Uncompressed input bytes, estimated from the files' sizes and names.
fn input_bytes_estimate(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .map(|f| {
            let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            let compressed = f
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("zip"));
            if compressed {
                size.saturating_mul(COMPRESSION_RATIO)
            } else {
                size
            }
        })
        .sum()
}

/// The policy applied: `Auto` defers when the input is at least [`DEFER_MIN_BYTES`] and adds
/// at least half as many posts as the store holds, since the rebuild sorts all of them while
/// the saving grows with the new ones. A 1.2 GB collection into an empty store, ingest only:
/// 25.1 s with the indexes kept, 20.2 s deferred, rebuild included (medians of three).
fn defers_indexes(policy: IndexPolicy, input_bytes: u64, stored_posts: u64) -> bool {
    match policy {
        IndexPolicy::Defer => true,
        IndexPolicy::Keep => false,
        IndexPolicy::Auto => {
            input_bytes >= DEFER_MIN_BYTES && input_bytes / BYTES_PER_POST >= stored_posts / 2
        }
    }
}

#[derive(Serialize, Default)]
struct Summary {
    files: u64,
    posts: u64,
    direct_messages: u64,
    accounts: u64,
    skipped: u64,
    bytes: u64,
    seconds: f64,
    /// Of `seconds`, the time spent threading reply trees into conversations at the end.
    threading_seconds: f64,
    /// Of `seconds`, the labelling pass (None with --no-classify).
    labelling: Option<crate::label_cmd::LabelSummary>,
    /// Of `seconds`, writing the scorecard scan cache for the store as imported, so that the
    /// first report reads it instead of SQLite (next to nothing when it was current).
    scan_cache_seconds: f64,
    mb_per_s: f64,
    errors: Vec<ErrorEntry>,
    errors_not_listed: u64,
}

#[derive(Serialize)]
struct ErrorEntry {
    file: String,
    line: u64,
    reason: String,
}

/// What the reader of one file counted.
struct FileCounts {
    errors: Vec<LineError>,
    error_count: u64,
    posts: u64,
    direct_messages: u64,
    accounts: u64,
}

enum Message {
    Batch(PreparedBatch),
    /// Strict mode stopped on this line; everything sent before is to be committed.
    Strict(LineError),
}

/// Collects records into batches for the writer, and errors for the summary.
struct BatchSink {
    tx: SyncSender<Message>,
    batch: Vec<Record>,
    strict: bool,
    errors: Vec<LineError>,
    error_count: u64,
    posts: u64,
    direct_messages: u64,
    accounts: u64,
    items: Arc<AtomicU64>,
}

impl BatchSink {
    fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_RECORDS + 512));
        // Columns and compression are built here, on the reader's thread.
        self.tx
            .send(Message::Batch(PreparedBatch::new(full)))
            .map_err(|_| Stop)
    }
}

impl Sink for BatchSink {
    fn records(&mut self, _file: &str, _unit: u64, records: &mut Vec<Record>) -> Result<(), Stop> {
        for record in records.drain(..) {
            match &record {
                Record::Post(_) => self.posts += 1,
                Record::DirectMessage(_) => self.direct_messages += 1,
                Record::Account(_) => self.accounts += 1,
            }
            self.batch.push(record);
        }
        self.items.fetch_add(1, Ordering::Relaxed);
        if self.batch.len() >= BATCH_RECORDS {
            self.flush()?;
        }
        Ok(())
    }

    fn line_error(&mut self, error: LineError) -> Result<(), Stop> {
        self.error_count += 1;
        if self.strict {
            self.flush()?;
            let _ = self.tx.send(Message::Strict(error));
            return Err(Stop);
        }
        if self.errors.len() < LISTED_ERRORS {
            self.errors.push(error);
        }
        Ok(())
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Opens the store of a data directory. A registry file given on the command line replaces the
/// stored one; otherwise a new store gets the shipped registry.
pub fn open_store(
    runtime: &tokio::runtime::Runtime,
    data_dir: &Path,
    registry: Option<&Path>,
) -> Result<SqliteStore> {
    // Read and check the file before touching the store: a bad registry changes nothing.
    let loaded = match registry {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the registry {}", path.display()))?;
            Some(Registry::from_toml(&text, &path.display().to_string())?)
        }
        None => None,
    };
    runtime.block_on(async {
        let store = SqliteStore::open_dir(data_dir)
            .await
            .with_context(|| format!("opening the store in {}", data_dir.display()))?;
        match loaded {
            Some(registry) => store.save_registry(&registry).await?,
            None if store.registry_is_empty().await? => {
                store.save_registry(&Registry::shipped()).await?
            }
            None => {}
        }
        Ok(store)
    })
}

/// A single-threaded runtime: the store's work is one writer, the parsing has its own thread.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Imports one file strictly and quietly with labelling (demo and benchmark stores); fails if
/// any line is bad.
pub fn import_strict_quiet(data_dir: &Path, file: PathBuf) -> Result<()> {
    let code = import(ImportArgs {
        data_dir: data_dir.to_path_buf(),
        registry: None,
        files: vec![file],
        format: tawasul_ingest::Format::Auto,
        columns: String::new(),
        strict: true,
        keep_raw: true,
        quiet: true,
        classify: true,
        indexes: IndexPolicy::Auto,
    })?;
    if code != ExitCode::SUCCESS {
        anyhow::bail!("importing failed");
    }
    Ok(())
}

/// Runs `tawasul import`.
pub fn import(args: ImportArgs) -> Result<ExitCode> {
    let runtime = runtime()?;
    let store = open_store(&runtime, &args.data_dir, args.registry.as_deref())?;
    let total_bytes: u64 = args
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let input_bytes = input_bytes_estimate(&args.files);
    // Counting the posts reads an index; only the one policy that weighs them asks.
    let stored_posts = if args.indexes == IndexPolicy::Auto && input_bytes >= DEFER_MIN_BYTES {
        runtime.block_on(store.post_count())?
    } else {
        0
    };
    // Built again by the threading pass below, or, if this process dies first, by the next
    // open of the store.
    if defers_indexes(args.indexes, input_bytes, stored_posts) {
        runtime.block_on(store.defer_post_indexes(Some(tawasul_store::SCATTERED_POST_INDEXES)))?;
    }
    let progress = Arc::new(AtomicU64::new(0));
    let items = Arc::new(AtomicU64::new(0));
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(total_bytes));
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut strict_failure: Option<LineError> = None;

    for file in &args.files {
        let file_started = now_ms();
        let (tx, rx) = sync_channel::<Message>(2);
        let options = ReadOptions {
            format: args.format,
            columns: args.columns.clone(),
            keep_raw: args.keep_raw,
        };
        let path = file.clone();
        let progress_in = progress.clone();
        let items_in = items.clone();
        let strict = args.strict;
        let reader = std::thread::spawn(move || {
            let mut sink = BatchSink {
                tx,
                batch: Vec::with_capacity(BATCH_RECORDS + 512),
                strict,
                errors: Vec::new(),
                error_count: 0,
                posts: 0,
                direct_messages: 0,
                accounts: 0,
                items: items_in,
            };
            let result = tawasul_ingest::read_path(&path, &options, progress_in, &mut sink);
            let _ = sink.flush();
            // Hang up so the writer's loop ends.
            let counts = FileCounts {
                errors: std::mem::take(&mut sink.errors),
                error_count: sink.error_count,
                posts: sink.posts,
                direct_messages: sink.direct_messages,
                accounts: sink.accounts,
            };
            drop(sink);
            (result, counts)
        });
        let write_result = write_all(
            &runtime,
            &store,
            rx,
            bar.as_ref(),
            &progress,
            &items,
            started,
        );
        let (result, sink) = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reader thread panicked on {}", file.display()))?;
        let strict_error = write_result?;
        summary.files += 1;
        summary.posts += sink.posts;
        summary.direct_messages += sink.direct_messages;
        summary.accounts += sink.accounts;
        summary.skipped += sink.error_count;
        for e in sink.errors {
            if summary.errors.len() < LISTED_ERRORS {
                summary.errors.push(ErrorEntry {
                    file: e.file,
                    line: e.line,
                    reason: e.reason,
                });
            } else {
                summary.errors_not_listed += 1;
            }
        }
        let format = match result {
            Ok(format) => format.as_str().to_string(),
            Err(IngestError::Stopped) => args.format.as_str().to_string(),
            Err(e) => {
                // The whole file is unreadable: report it like a line error, at line 0.
                if args.strict {
                    runtime.block_on(store.thread_conversations())?;
                    return Err(anyhow::anyhow!(e));
                }
                summary.skipped += 1;
                summary.errors.push(ErrorEntry {
                    file: file.display().to_string(),
                    line: 0,
                    reason: e.to_string(),
                });
                String::from("unreadable")
            }
        };
        runtime.block_on(store.log_import(&ImportRecord {
            path: file.display().to_string(),
            format,
            started_at_ms: file_started,
            finished_at_ms: now_ms(),
            posts: sink.posts,
            direct_messages: sink.direct_messages,
            errors: sink.error_count,
        }))?;
        if let Some(e) = strict_error {
            strict_failure = Some(e);
            break;
        }
    }
    let threading = Instant::now();
    runtime.block_on(store.thread_conversations())?;
    summary.threading_seconds = threading.elapsed().as_secs_f64();
    if args.classify {
        summary.labelling = Some(runtime.block_on(crate::label_cmd::label_new_posts(&store))?);
    }
    let caching = Instant::now();
    runtime.block_on(store.prepare_scan_cache())?;
    summary.scan_cache_seconds = caching.elapsed().as_secs_f64();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    summary.bytes = progress.load(Ordering::Relaxed);
    summary.seconds = started.elapsed().as_secs_f64();
    summary.mb_per_s = summary.bytes as f64 / 1e6 / summary.seconds.max(1e-9);
    runtime.block_on(store.close());
    println!("{}", serde_json::to_string(&summary)?);
    if let Some(e) = strict_failure {
        eprintln!(
            "tawasul: error: {}:{}: {} (--strict: stopped; everything before this line is stored)",
            e.file, e.line, e.reason
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes batches until the reader hangs up; returns the strict-mode error if it stopped.
fn write_all(
    runtime: &tokio::runtime::Runtime,
    store: &SqliteStore,
    rx: Receiver<Message>,
    bar: Option<&indicatif::ProgressBar>,
    progress: &AtomicU64,
    items: &AtomicU64,
    started: Instant,
) -> Result<Option<LineError>> {
    let mut strict = None;
    for message in rx {
        match message {
            Message::Batch(batch) => runtime.block_on(store.write_prepared(&batch))?,
            Message::Strict(e) => strict = Some(e),
        }
        if let Some(bar) = bar {
            bar.set_position(progress.load(Ordering::Relaxed));
            let rate =
                items.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{rate:.0} items/s"));
        }
    }
    Ok(strict)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs `tawasul stats`.
pub fn stats(data_dir: &Path, registry: Option<&Path>, json: bool) -> Result<ExitCode> {
    let runtime = runtime()?;
    let store = open_store(&runtime, data_dir, registry)?;
    let stats = runtime.block_on(store.stats())?;
    runtime.block_on(store.close());
    if json {
        println!("{}", serde_json::to_string(&stats)?);
    } else {
        println!("posts            {:>10}", stats.posts);
        println!("  original       {:>10}", stats.by_kind.original);
        println!("  retweet        {:>10}", stats.by_kind.retweet);
        println!("  reply          {:>10}", stats.by_kind.reply);
        println!("  quote          {:>10}", stats.by_kind.quote);
        println!("accounts         {:>10}", stats.accounts);
        println!("direct messages  {:>10}", stats.direct_messages);
        println!("conversations    {:>10}", stats.conversations);
        println!("bodies           {:>10}", stats.bodies);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_defers_only_for_large_files_that_are_large_next_to_the_store() {
        let big = 1_200_000_000;
        assert!(defers_indexes(IndexPolicy::Auto, big, 0));
        // About 700K new posts against 1M stored: still worth it.
        assert!(defers_indexes(IndexPolicy::Auto, big, 1_000_000));
        // Against 10M stored the rebuild would sort far more than the import adds.
        assert!(!defers_indexes(IndexPolicy::Auto, big, 10_000_000));
        // Small files never, even into an empty store.
        assert!(!defers_indexes(IndexPolicy::Auto, 10_000_000, 0));
        assert!(defers_indexes(IndexPolicy::Defer, 1, 10_000_000));
        assert!(!defers_indexes(IndexPolicy::Keep, big, 0));
    }

    #[test]
    fn compressed_inputs_count_as_what_they_unpack_to() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("a.jsonl");
        let packed = dir.path().join("b.jsonl.GZ");
        std::fs::write(&plain, vec![b'x'; 1000]).expect("write");
        std::fs::write(&packed, vec![b'x'; 1000]).expect("write");
        assert_eq!(input_bytes_estimate(std::slice::from_ref(&plain)), 1000);
        assert_eq!(
            input_bytes_estimate(&[plain, packed, dir.path().join("missing")]),
            1000 + 1000 * COMPRESSION_RATIO
        );
    }

    #[test]
    fn index_policies_parse_from_their_flag_values() {
        assert_eq!(IndexPolicy::parse("auto"), Some(IndexPolicy::Auto));
        assert_eq!(IndexPolicy::parse("defer"), Some(IndexPolicy::Defer));
        assert_eq!(IndexPolicy::parse("keep"), Some(IndexPolicy::Keep));
        assert_eq!(IndexPolicy::parse("sometimes"), None);
    }
}
