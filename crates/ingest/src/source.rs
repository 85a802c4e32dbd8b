//! Opening inputs (plain, `.gz`, `.zip`), detecting their format, and driving the per-format
//! readers line by line with bounded memory.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use tawasul_core::Record;

use crate::delimited::{self, ColumnMap, TwarcColumns};
use crate::v1::{self, ArchiveOwner, DmConversationArchive, DmEventV1, TweetV1};
use crate::v2::{self, PageV2};
use crate::{IngestError, LineError, Sink, Stop, MAX_LINE_BYTES};

/// Input formats. `Auto` looks at the content, never at the file name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Detect from content.
    Auto,
    /// X API v2 JSON lines (twarc2 pages, stream lines, flattened tweets, DM events).
    XV2,
    /// X API v1.1 JSON lines (tweets, DM events, account-activity envelopes).
    XV1,
    /// The X account archive (`window.YTD…` files, or a zip of the whole archive).
    XArchive,
    /// twarc-csv CSV.
    TwarcCsv,
    /// Any delimited file with a column mapping.
    Delimited,
}

impl Format {
    /// CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::XV2 => "x-v2",
            Format::XV1 => "x-v1",
            Format::XArchive => "x-archive",
            Format::TwarcCsv => "twarc-csv",
            Format::Delimited => "delimited",
        }
    }

    /// Parses the CLI spelling.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Format::Auto,
            Format::XV2,
            Format::XV1,
            Format::XArchive,
            Format::TwarcCsv,
            Format::Delimited,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }
}

/// How to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Requested format; anything else in the file is a line error.
    pub format: Format,
    /// Column mapping for delimited files (`field=column,...`).
    pub columns: String,
    /// Keep each post's source JSON in the record.
    pub keep_raw: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: Format::Auto,
            columns: String::new(),
            keep_raw: true,
        }
    }
}

/// Counts the bytes read from the underlying file, for progress bars.
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    /// Wraps `inner`, adding every byte read to `counter`.
    pub fn new(inner: R, counter: Arc<AtomicU64>) -> Self {
        CountingReader { inner, counter }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const BUFFER: usize = 1 << 18;

/// Reads one file of any supported kind, feeding `sink`. `progress` receives bytes read from
/// disk. Returns the detected format.
pub fn read_path(
    path: &Path,
    options: &ReadOptions,
    progress: Arc<AtomicU64>,
    sink: &mut dyn Sink,
) -> Result<Format, IngestError> {
    let name = path.display().to_string();
    let io_err = |source| IngestError::Io {
        file: name.clone(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic).map_err(io_err)?;
    drop(file);
    if got == 4 && magic == *b"PK\x03\x04" {
        return read_zip(path, &name, options, &progress, sink);
    }
    let file = File::open(path).map_err(io_err)?;
    let counted = CountingReader::new(file, progress);
    let mut owner = sibling_archive_owner(path);
    let gzipped = got >= 2 && magic[..2] == [0x1f, 0x8b];
    read_plain_or_gz(&name, counted, gzipped, options, &mut owner, sink)
}

/// Buffers `input`, decompressing it first when it is gzip.
fn read_plain_or_gz(
    name: &str,
    input: impl Read,
    gzipped: bool,
    options: &ReadOptions,
    owner: &mut Option<ArchiveOwner>,
    sink: &mut dyn Sink,
) -> Result<Format, IngestError> {
    let input: Box<dyn Read + '_> = if gzipped {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            BUFFER, input,
        )))
    } else {
        Box::new(input)
    };
    read_reader(
        name,
        BufReader::with_capacity(BUFFER, input),
        options,
        owner,
        sink,
    )
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// An archive's `tweets.js` has no author: take it from `account.js` beside it when present.
fn sibling_archive_owner(path: &Path) -> Option<ArchiveOwner> {
    let account = path.parent()?.join("account.js");
    if path.file_name()? == "account.js" || !account.is_file() {
        return None;
    }
    let mut owner = None;
    let mut ignore = CollectNothing;
    let file = File::open(&account).ok()?;
    let options = ReadOptions {
        format: Format::XArchive,
        ..ReadOptions::default()
    };
    read_reader(
        &account.display().to_string(),
        BufReader::new(file),
        &options,
        &mut owner,
        &mut ignore,
    )
    .ok()?;
    owner
}

struct CollectNothing;

impl Sink for CollectNothing {
    fn records(&mut self, _: &str, _: u64, records: &mut Vec<Record>) -> Result<(), Stop> {
        records.clear();
        Ok(())
    }
    fn line_error(&mut self, _: LineError) -> Result<(), Stop> {
        Ok(())
    }
}

fn read_zip(
    path: &Path,
    name: &str,
    options: &ReadOptions,
    progress: &Arc<AtomicU64>,
    sink: &mut dyn Sink,
) -> Result<Format, IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io {
        file: name.to_string(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| IngestError::Format {
        file: name.to_string(),
        reason: format!("not a readable zip: {e}"),
    })?;
    // account.js first: archive tweets carry no author.
    let mut entries: Vec<(u8, usize, String)> = (0..zip.len())
        .filter_map(|i| {
            let entry = zip.by_index_raw(i).ok()?;
            let entry_name = entry.name().to_string();
            let base = entry_name
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let wanted = base.ends_with(".js")
                || base.ends_with(".jsonl")
                || base.ends_with(".json")
                || base.ends_with(".csv")
                || base.ends_with(".tsv")
                || base.ends_with(".gz");
            (!entry.is_dir() && wanted).then(|| (u8::from(base != "account.js"), i, entry_name))
        })
        .collect();
    entries.sort();
    let mut owner = None;
    let mut detected = Format::Auto;
    for (_, index, entry_name) in entries {
        let base = entry_name.rsplit('/').next().unwrap_or("").to_string();
        if base.ends_with(".js") && !is_archive_data_file(&base) {
            continue;
        }
        let entry = zip.by_index(index).map_err(|e| IngestError::Format {
            file: format!("{name}!{entry_name}"),
            reason: format!("unreadable zip entry: {e}"),
        })?;
        let compressed = entry.compressed_size();
        let label = format!("{name}!{entry_name}");
        let format = read_plain_or_gz(
            &label,
            entry,
            base.ends_with(".gz"),
            options,
            &mut owner,
            sink,
        )?;
        progress.fetch_add(compressed, Ordering::Relaxed);
        if detected == Format::Auto || format == Format::XArchive {
            detected = format;
        }
    }
    Ok(detected)
}

/// Archive files worth reading: posts, DMs and the account; media lists, likes and followers
/// are not messages.
fn is_archive_data_file(base: &str) -> bool {
    let stem = base.trim_end_matches(".js");
    let stem = stem.split("-part").next().unwrap_or(stem);
    matches!(
        stem,
        "tweets"
            | "tweet"
            | "direct-messages"
            | "direct-message"
            | "direct-messages-group"
            | "direct-message-group"
            | "account"
    )
}

/// Detects the format of a buffered start of content; `None` for empty content.
pub fn detect(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if head.starts_with(b"window.") || head.starts_with(b"[") {
        return Some(Format::XArchive);
    }
    if head.starts_with(b"{") {
        let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
        let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
        let v1 = has(b"\"id_str\"")
            || has(b"\"full_text\"")
            || has(b"\"message_create\"")
            || has(b"\"tweet_create_events\"");
        return Some(if v1 && !has(b"\"data\"") {
            Format::XV1
        } else {
            Format::XV2
        });
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
    Some(
        if has(b"referenced_tweets.replied_to.id") && has(b"conversation_id") {
            Format::TwarcCsv
        } else {
            Format::Delimited
        },
    )
}

/// Reads decompressed content. `owner` carries an archive's account from `account.js` to the
/// files read after it.
pub fn read_reader<R: BufRead>(
    name: &str,
    mut reader: R,
    options: &ReadOptions,
    owner: &mut Option<ArchiveOwner>,
    sink: &mut dyn Sink,
) -> Result<Format, IngestError> {
    let io_err = |source| IngestError::Io {
        file: name.to_string(),
        source,
    };
    let head = reader.fill_buf().map_err(io_err)?;
    let Some(found) = detect(head) else {
        return Ok(options.format); // empty input: valid, yields nothing
    };
    let json_lines = matches!(found, Format::XV2 | Format::XV1);
    let format = match options.format {
        Format::Auto => found,
        Format::XV2 | Format::XV1 if json_lines => options.format,
        Format::XArchive if found == Format::XArchive => found,
        Format::TwarcCsv | Format::Delimited if !json_lines && found != Format::XArchive => {
            options.format
        }
        asked => {
            return Err(IngestError::Format {
                file: name.to_string(),
                reason: format!(
                    "asked for {} but the content looks like {}",
                    asked.as_str(),
                    found.as_str()
                ),
            })
        }
    };
    match format {
        Format::XV2 | Format::XV1 => read_json_lines(name, reader, options, format, sink)?,
        Format::XArchive => read_json_array(name, reader, options, owner, sink)?,
        Format::TwarcCsv | Format::Delimited => read_csv(name, reader, options, format, sink)?,
        Format::Auto => unreachable!("detect never answers Auto"),
    }
    Ok(format)
}

enum Line {
    Eof,
    Ok,
    TooLong(usize),
}

/// Reads one line into `buf` (without the newline), never holding more than `MAX_LINE_BYTES`.
fn next_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let mut seen = 0usize;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (any, seen > MAX_LINE_BYTES) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong(seen),
                (true, false) => Line::Ok,
            });
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        seen += chunk.len();
        if seen <= MAX_LINE_BYTES {
            buf.extend_from_slice(chunk);
        } else {
            buf.clear();
        }
        let used = done.unwrap_or(chunk.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(if seen > MAX_LINE_BYTES {
                Line::TooLong(seen)
            } else {
                Line::Ok
            });
        }
    }
}

fn line_error(
    sink: &mut dyn Sink,
    file: &str,
    line: u64,
    reason: String,
) -> Result<(), IngestError> {
    sink.line_error(LineError {
        file: file.to_string(),
        line,
        reason,
    })
    .map_err(|_| IngestError::Stopped)
}

fn read_json_lines<R: BufRead>(
    name: &str,
    mut reader: R,
    options: &ReadOptions,
    format: Format,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut buf = Vec::with_capacity(1 << 16);
    let mut records = Vec::with_capacity(256);
    let mut number = 0u64;
    loop {
        let state = next_line(&mut reader, &mut buf).map_err(|source| IngestError::Io {
            file: name.to_string(),
            source,
        })?;
        number += 1;
        match state {
            Line::Eof => return Ok(()),
            Line::TooLong(len) => {
                line_error(
                    sink,
                    name,
                    number,
                    format!("line of {len} bytes is longer than the {MAX_LINE_BYTES}-byte limit"),
                )?;
                continue;
            }
            Line::Ok => {}
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(e) => {
                line_error(
                    sink,
                    name,
                    number,
                    format!("not UTF-8 (byte {})", e.valid_up_to()),
                )?;
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        match json_line(text, options.keep_raw, format, &mut records) {
            Ok(()) => sink
                .records(name, number, &mut records)
                .map_err(|_| IngestError::Stopped)?,
            Err(reason) => {
                records.clear();
                line_error(sink, name, number, reason)?;
            }
        }
    }
}

/// Dispatches one JSON object (a line, or an element of a JSON array) on its shape.
fn json_line(
    text: &str,
    keep_raw: bool,
    format: Format,
    out: &mut Vec<Record>,
) -> Result<(), String> {
    let page: PageV2 = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let is_v1 = page.id_str.is_some() || page.full_text.is_some() || page.user.is_some();
    let v1_events = page.event.or(page.events).or(page.direct_message_events);
    if page.data.is_some() || page.includes.is_some() {
        if format == Format::XV1 {
            return Err("an X API v2 page in a file read as x-v1".to_string());
        }
        v2::read_page(text, &page, keep_raw, out)?;
        return Ok(());
    }
    if let Some(tweets) = page.tweet_create_events {
        let list: Vec<&RawValue> =
            serde_json::from_str(tweets.get()).map_err(|e| format!("tweet_create_events: {e}"))?;
        for raw in list {
            let tweet: TweetV1 =
                serde_json::from_str(raw.get()).map_err(|e| format!("tweet_create_events: {e}"))?;
            v1::push_tweet(&tweet, raw.get(), None, keep_raw, out)?;
        }
        if let Some(events) = v1_events {
            push_v1_events(events, keep_raw, out)?;
        }
        return Ok(());
    }
    if let Some(events) = v1_events {
        return push_v1_events(events, keep_raw, out);
    }
    if page.message_create.is_some() {
        let event: DmEventV1 = serde_json::from_str(text).map_err(|e| e.to_string())?;
        out.push(Record::DirectMessage(v1::dm_from_v1(
            &event, text, keep_raw,
        )?));
        return Ok(());
    }
    if is_v1 {
        if format == Format::XV2 {
            return Err("an X API v1.1 tweet in a file read as x-v2".to_string());
        }
        let tweet: TweetV1 = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return v1::push_tweet(&tweet, text, None, keep_raw, out);
    }
    if page.text.is_some()
        || page.edit_history_tweet_ids.is_some()
        || page.author_id.is_some()
        || page.event_type.is_some()
    {
        if format == Format::XV1 {
            return Err("an X API v2 tweet in a file read as x-v1".to_string());
        }
        v2::read_flat(text, keep_raw, out)?;
        return Ok(());
    }
    Err("a JSON object that is neither an X page, a tweet nor a DM event".to_string())
}

fn push_v1_events(events: &RawValue, keep_raw: bool, out: &mut Vec<Record>) -> Result<(), String> {
    let text = events.get();
    let list: Vec<&RawValue> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("events: {e}"))?
    } else {
        vec![events]
    };
    for raw in list {
        let event: DmEventV1 =
            serde_json::from_str(raw.get()).map_err(|e| format!("DM event: {e}"))?;
        if event.message_create_present() {
            out.push(Record::DirectMessage(v1::dm_from_v1(
                &event,
                raw.get(),
                keep_raw,
            )?));
        }
    }
    Ok(())
}

/// A reader that counts newlines (for error positions) and bounds one element's size.
struct Tracked<R> {
    inner: R,
    line: Rc<Cell<u64>>,
    since_mark: Rc<Cell<usize>>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.line.set(self.line.get() + newlines);
        let size = self.since_mark.get() + n;
        self.since_mark.set(size);
        if size > MAX_LINE_BYTES + BUFFER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("an element longer than the {MAX_LINE_BYTES}-byte limit"),
            ));
        }
        Ok(n)
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ArchiveElement<'a> {
    #[serde(borrow)]
    tweet: Option<&'a RawValue>,
    #[serde(borrow)]
    dm_conversation: Option<DmConversationArchive<'a>>,
    #[serde(borrow)]
    account: Option<v1::ArchiveAccount<'a>>,
    note_tweet: Option<serde::de::IgnoredAny>,
}

/// `window.YTD.x.partN = [ … ]` or a plain JSON array: streamed one element at a time.
fn read_json_array<R: BufRead>(
    name: &str,
    mut reader: R,
    options: &ReadOptions,
    owner: &mut Option<ArchiveOwner>,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let io_err = |source| IngestError::Io {
        file: name.to_string(),
        source,
    };
    let line = Rc::new(Cell::new(1u64));
    // Skip the JavaScript assignment up to `=`, never evaluating it.
    let head = reader.fill_buf().map_err(io_err)?;
    if memchr::memmem::find(&head[..head.len().min(512)], b"window.").is_some() {
        let mut prefix = Vec::new();
        reader.read_until(b'=', &mut prefix).map_err(io_err)?;
        line.set(1 + memchr::memchr_iter(b'\n', &prefix).count() as u64);
    }
    // serde_json counts lines from where it starts, after the prefix.
    let base_line = line.get();
    let since_mark = Rc::new(Cell::new(0usize));
    let tracked = Tracked {
        inner: reader,
        line: line.clone(),
        since_mark: since_mark.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(tracked);
    let mut state = ArrayState {
        name,
        options,
        owner,
        sink,
        line: line.clone(),
        since_mark,
        stopped: false,
        records: Vec::with_capacity(64),
    };
    let result = de.deserialize_seq(ArrayVisitor { state: &mut state });
    if state.stopped {
        return Err(IngestError::Stopped);
    }
    if let Err(e) = result {
        // A broken array cannot be resynchronised: report where, keep what came before.
        let at = base_line + (e.line() as u64).saturating_sub(1);
        line_error(state.sink, name, at, format!("invalid archive JSON: {e}"))?;
    }
    Ok(())
}

struct ArrayState<'s> {
    name: &'s str,
    options: &'s ReadOptions,
    owner: &'s mut Option<ArchiveOwner>,
    sink: &'s mut dyn Sink,
    line: Rc<Cell<u64>>,
    since_mark: Rc<Cell<usize>>,
    stopped: bool,
    records: Vec<Record>,
}

struct ArrayVisitor<'v, 's> {
    state: &'v mut ArrayState<'s>,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of archive elements or tweets")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        loop {
            state.since_mark.set(0);
            let Some(raw) = seq.next_element_seed(RawSeed)? else {
                return Ok(());
            };
            // The element ends on the current line; it began as many lines up as it spans.
            let spanned = memchr::memchr_iter(b'\n', raw.get().as_bytes()).count() as u64;
            let start_line = state.line.get().saturating_sub(spanned).max(1);
            let outcome = archive_element(raw.get(), state);
            match outcome {
                Ok(()) => {
                    if state
                        .sink
                        .records(state.name, start_line, &mut state.records)
                        .is_err()
                    {
                        state.stopped = true;
                        return Err(serde::de::Error::custom("stopped"));
                    }
                }
                Err(reason) => {
                    state.records.clear();
                    let error = LineError {
                        file: state.name.to_string(),
                        line: start_line,
                        reason,
                    };
                    if state.sink.line_error(error).is_err() {
                        state.stopped = true;
                        return Err(serde::de::Error::custom("stopped"));
                    }
                }
            }
        }
    }
}

struct RawSeed;

impl<'de> DeserializeSeed<'de> for RawSeed {
    type Value = Box<RawValue>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Box::<RawValue>::deserialize(d)
    }
}

fn archive_element(text: &str, state: &mut ArrayState) -> Result<(), String> {
    let element: ArchiveElement =
        serde_json::from_str(text).map_err(|e| format!("invalid element: {e}"))?;
    let keep_raw = state.options.keep_raw;
    if let Some(tweet) = element.tweet {
        let parsed: TweetV1 =
            serde_json::from_str(tweet.get()).map_err(|e| format!("tweet: {e}"))?;
        return v1::push_tweet(
            &parsed,
            tweet.get(),
            state.owner.as_ref(),
            keep_raw,
            &mut state.records,
        );
    }
    if let Some(conversation) = &element.dm_conversation {
        v1::push_archive_dms(conversation, &mut state.records)?;
        return Ok(());
    }
    if let Some(account) = &element.account {
        *state.owner = Some(account.owner());
        state.records.extend(account.account().map(Record::Account));
        return Ok(());
    }
    if element.note_tweet.is_some() {
        return Ok(());
    }
    // A plain array of tweets (v1.1 timeline dump, v2 list).
    let format = match state.options.format {
        Format::XV1 | Format::XV2 => state.options.format,
        _ => Format::Auto,
    };
    json_line(text, keep_raw, format, &mut state.records)
}

fn read_csv<R: BufRead>(
    name: &str,
    mut reader: R,
    options: &ReadOptions,
    format: Format,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let head = reader.fill_buf().map_err(|source| IngestError::Io {
        file: name.to_string(),
        source,
    })?;
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    // Tab-separated files in the wild (and in shared/data) do not quote: a `"` is text.
    let tabs = memchr::memchr(b'\t', first_line).is_some();
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(if tabs { b'\t' } else { b',' })
        .quoting(!tabs)
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| IngestError::Format {
            file: name.to_string(),
            reason: format!("header: {e}"),
        })?
        .clone();
    let format_err = |reason: String| IngestError::Format {
        file: name.to_string(),
        reason,
    };
    enum Mapping {
        Twarc(TwarcColumns),
        Columns(ColumnMap),
    }
    let mapping = if format == Format::TwarcCsv {
        if !delimited::is_twarc_header(&header) {
            return Err(format_err("not a twarc-csv header (id, conversation_id, author_id, referenced_tweets.* expected)".into()));
        }
        Mapping::Twarc(TwarcColumns::new(&header))
    } else {
        Mapping::Columns(ColumnMap::resolve(&options.columns, &header).map_err(format_err)?)
    };
    let mut record = csv::StringRecord::new();
    let mut records = Vec::with_capacity(4);
    loop {
        let line = csv.position().line() + u64::from(csv.position().line() == 0);
        match csv.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map(|p| p.line()).unwrap_or(line);
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("{len} fields where the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "not UTF-8".to_string(),
                    _ => e.to_string(),
                };
                line_error(sink, name, at, reason)?;
                continue;
            }
        }
        let at = record.position().map(|p| p.line()).unwrap_or(line);
        let result = match &mapping {
            Mapping::Twarc(cols) => delimited::twarc_row(cols, &record, &mut records),
            Mapping::Columns(map) => {
                delimited::delimited_post(map, &record).map(|p| records.push(Record::Post(p)))
            }
        };
        match result {
            Ok(()) => sink
                .records(name, at, &mut records)
                .map_err(|_| IngestError::Stopped)?,
            Err(reason) => {
                records.clear();
                line_error(sink, name, at, reason)?;
            }
        }
    }
}
