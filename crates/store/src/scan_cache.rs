//! The scorecard scan's rows, kept beside the database as one compact file: a report over
//! millions of posts then reads a few tens of megabytes sequentially instead of decoding every
//! row of SQLite's covering index again.
//!
//! The file is a cache and never the only copy of anything. It is valid for exactly one version
//! of the posts table: every transaction that writes posts replaces `posts_version` in
//! `store_meta` with a fresh random token ([`BUMP_POSTS_VERSION`]), the file names the token it
//! was written from, and a scan that finds another token reads SQLite and writes the file anew.
//! Deleting it costs one slower report. A migration that changes what the scan reads must change
//! [`MAGIC`], so that files of the old shape are ignored.
//!
//! Layout: `MAGIC`, the token (one length byte, then its bytes), then blocks of rows, each
//! `[payload bytes u32][rows u32][checksum u64][payload]`, ending with an empty block whose
//! checksum field holds the total row count. A payload is the byte length of its row area
//! (u32), the row area, then the strings of all its rows back to back, so that one UTF-8 check
//! per block covers every string. Rows are in id order and each is a few bit flags and varints
//! (ids as differences from the row's own id, which is itself a difference from the previous
//! row's, and string lengths); a citizen's mention takes about 35 bytes.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tawasul_core::scorecard::ScanPost;
use tawasul_core::snowflake::TWITTER_EPOCH_MS;
use tawasul_core::PostKind;

/// First bytes of a cache file; the digit is the format version.
pub(crate) const MAGIC: &[u8; 8] = b"TWSCAN01";

/// The statement every transaction that writes posts runs before it commits: a new random
/// token, so that no cache written before the change can be taken for the store after it.
pub(crate) const BUMP_POSTS_VERSION: &str = "INSERT INTO store_meta (key, value) \
     VALUES ('posts_version', lower(hex(randomblob(8)))) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// Reads the current token inside the scan's read transaction.
pub(crate) const POSTS_VERSION_SQL: &str =
    "SELECT value FROM store_meta WHERE key = 'posts_version'";

/// A block is written once its payload passes this size.
const BLOCK_BYTES: usize = 256 * 1024;
/// A block larger than this is not one this module wrote: the file is corrupt.
const MAX_BLOCK_BYTES: usize = 64 * 1024 * 1024;
const BLOCK_HEADER: usize = 16;
const MAX_TOKEN: usize = 64;

// Row flags, first byte.
const KIND_MASK: u8 = 0b11;
const MEDIA: u8 = 1 << 2;
const REPLY_TO_POST: u8 = 1 << 3;
const REPLY_TO_USER: u8 = 1 << 4;
const RETWEET_OF: u8 = 1 << 5;
const THREAD_IS_ID: u8 = 1 << 6;
const AUTHOR_ID: u8 = 1 << 7;
// Second byte: which strings follow.
const MENTIONED: u8 = 1;
const HASHTAGS: u8 = 1 << 1;
const REPLY_SETTINGS: u8 = 1 << 2;
const POST_TYPE: u8 = 1 << 3;
const INTENT: u8 = 1 << 4;
const AUTHOR_HANDLE: u8 = 1 << 5;
const REPLY_SETTINGS_EVERYONE: u8 = 1 << 6;
const THREAD_UNKNOWN: u8 = 1 << 7;
// Third byte: which metrics follow.
const LIKES: u8 = 1;
const REPLIES: u8 = 1 << 1;
const RETWEETS: u8 = 1 << 2;
const QUOTES: u8 = 1 << 3;

/// Where the scan cache of the database at `database` lives (beside it; safe to delete).
pub fn cache_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-scorecard-cache");
    PathBuf::from(name)
}

/// Why a cache file could not be read to the end after its rows had started to be handed out.
#[derive(Debug)]
pub(crate) struct Corrupt {
    /// What was wrong, with the block's byte offset.
    pub(crate) reason: String,
}

fn kind_code(kind: PostKind) -> u8 {
    match kind {
        PostKind::Original => 0,
        PostKind::Retweet => 1,
        PostKind::Reply => 2,
        PostKind::Quote => 3,
    }
}

fn kind_of_code(code: u8) -> PostKind {
    match code {
        1 => PostKind::Retweet,
        2 => PostKind::Reply,
        3 => PostKind::Quote,
        _ => PostKind::Original,
    }
}

/// The time a snowflake id carries, used as the base the stored time differs from (exactly
/// the stored time for nearly every post, so the difference takes one byte).
fn time_base(id: u64) -> i64 {
    ((id >> 22) as i64).wrapping_add(TWITTER_EPOCH_MS)
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A word-at-a-time hash of a block: catches a damaged or foreign file before its rows are
/// trusted, at several gigabytes a second.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = K ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        hash = (hash.rotate_left(23) ^ u64::from_le_bytes(eight)).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    hash = (hash.rotate_left(23) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    hash ^ (hash >> 29)
}

/// Encodes one row after `previous_id` (the row before it, 0 for the first): its fields into
/// `out`, its strings into `texts`.
fn encode_row(out: &mut Vec<u8>, texts: &mut Vec<u8>, previous_id: u64, post: &ScanPost<'_>) {
    let id = post.id;
    let mut flags = kind_code(post.kind);
    let mut strings = 0u8;
    let mut metrics = 0u8;
    let set = |bits: &mut u8, bit: u8, on: bool| {
        if on {
            *bits |= bit;
        }
    };
    set(&mut flags, MEDIA, post.has_media);
    set(&mut flags, REPLY_TO_POST, post.reply_to_post != 0);
    set(&mut flags, REPLY_TO_USER, post.reply_to_user != 0);
    set(&mut flags, RETWEET_OF, post.retweet_of != 0);
    set(&mut flags, THREAD_IS_ID, post.thread == id);
    set(&mut flags, AUTHOR_ID, post.author_id != 0);
    set(
        &mut strings,
        MENTIONED,
        !post.mentioned_government.is_empty(),
    );
    set(&mut strings, HASHTAGS, !post.hashtags_json.is_empty());
    let everyone = post.reply_settings == "everyone";
    set(&mut strings, REPLY_SETTINGS_EVERYONE, everyone);
    set(
        &mut strings,
        REPLY_SETTINGS,
        !everyone && !post.reply_settings.is_empty(),
    );
    set(&mut strings, POST_TYPE, !post.post_type.is_empty());
    set(&mut strings, INTENT, !post.intent.is_empty());
    set(&mut strings, AUTHOR_HANDLE, !post.author_handle.is_empty());
    set(&mut strings, THREAD_UNKNOWN, post.thread == 0 && id != 0);
    set(&mut metrics, LIKES, post.likes.is_some());
    set(&mut metrics, REPLIES, post.replies.is_some());
    set(&mut metrics, RETWEETS, post.retweets.is_some());
    set(&mut metrics, QUOTES, post.quotes.is_some());
    out.extend_from_slice(&[flags, strings, metrics]);
    push_varint(out, id.wrapping_sub(previous_id));
    if post.author_id != 0 {
        push_varint(out, post.author_id);
    }
    push_varint(out, zigzag(post.time_ms.wrapping_sub(time_base(id))));
    if post.reply_to_post != 0 {
        push_varint(out, zigzag(id.wrapping_sub(post.reply_to_post) as i64));
    }
    if post.reply_to_user != 0 {
        push_varint(out, post.reply_to_user);
    }
    if post.retweet_of != 0 {
        push_varint(out, zigzag(id.wrapping_sub(post.retweet_of) as i64));
    }
    if post.thread != id && post.thread != 0 {
        push_varint(out, zigzag(id.wrapping_sub(post.thread) as i64));
    }
    for value in [post.likes, post.replies, post.retweets, post.quotes]
        .into_iter()
        .flatten()
    {
        push_varint(out, value);
    }
    for (bit, text) in [
        (MENTIONED, post.mentioned_government),
        (HASHTAGS, post.hashtags_json),
        (REPLY_SETTINGS, post.reply_settings),
        (POST_TYPE, post.post_type),
        (INTENT, post.intent),
        (AUTHOR_HANDLE, post.author_handle),
    ] {
        if strings & bit != 0 {
            push_varint(out, text.len() as u64);
            texts.extend_from_slice(text.as_bytes());
        }
    }
}

/// Reads one row's fields from a verified block; `None` when the bytes do not make a row.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The block's strings, checked as UTF-8 once.
    texts: &'a str,
    text_at: usize,
}

/// A string of a decoded row: a range of its block's text area, or the one value stored as a
/// flag instead of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TextRange {
    start: u32,
    end: u32,
}

/// `reply_settings` stored as a flag (`REPLY_SETTINGS_EVERYONE`), not as text.
const EVERYONE: TextRange = TextRange {
    start: u32::MAX,
    end: u32::MAX,
};

/// One row decoded without borrowing its block, so that a reader thread can decode a block
/// while the scan visits the one before; [`RawRow::post`] lends it out with its strings.
#[derive(Debug, Clone, Copy, Default)]
struct RawRow {
    id: u64,
    author_id: u64,
    time_ms: i64,
    reply_to_post: u64,
    reply_to_user: u64,
    thread: u64,
    retweet_of: u64,
    /// Likes, replies, retweets, quotes; each meaningful only when its `metrics` bit is set.
    counts: [u64; 4],
    /// Mentioned accounts, hashtags, reply settings, post type, intent, author handle.
    strings: [TextRange; 6],
    flags: u8,
    metrics: u8,
}

impl RawRow {
    /// The row as the scorecard reads it, its strings taken from the block's `texts` (the
    /// text area the row was decoded against, so every range is a valid one of it).
    fn post<'a>(&self, texts: &'a str) -> ScanPost<'a> {
        let text = |range: TextRange| -> &'a str {
            if range == EVERYONE {
                "everyone"
            } else {
                texts
                    .get(range.start as usize..range.end as usize)
                    .unwrap_or_default()
            }
        };
        let count = |bit: u8, index: usize| (self.metrics & bit != 0).then_some(self.counts[index]);
        ScanPost {
            id: self.id,
            author_id: self.author_id,
            author_handle: text(self.strings[5]),
            time_ms: self.time_ms,
            kind: kind_of_code(self.flags & KIND_MASK),
            reply_to_post: self.reply_to_post,
            reply_to_user: self.reply_to_user,
            thread: self.thread,
            retweet_of: self.retweet_of,
            mentioned_government: text(self.strings[0]),
            hashtags_json: text(self.strings[1]),
            has_media: self.flags & MEDIA != 0,
            reply_settings: text(self.strings[2]),
            likes: count(LIKES, 0),
            replies: count(REPLIES, 1),
            retweets: count(RETWEETS, 2),
            quotes: count(QUOTES, 3),
            post_type: text(self.strings[3]),
            intent: text(self.strings[4]),
        }
    }
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn varint(&mut self) -> Option<u64> {
        let rest = self.bytes.get(self.at..)?;
        let first = *rest.first()?;
        if first < 0x80 {
            self.at += 1;
            return Some(u64::from(first));
        }
        let mut value = 0u64;
        for (index, &byte) in rest.iter().take(10).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte < 0x80 {
                self.at += index + 1;
                return Some(value);
            }
        }
        None
    }

    /// The next string's range; refuses one that runs past the text area or splits a
    /// character, so every range handed out is a valid slice of `texts`.
    fn text(&mut self) -> Option<TextRange> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.text_at.checked_add(len)?;
        if end > self.texts.len() || !self.texts.is_char_boundary(end) {
            return None;
        }
        let range = TextRange {
            start: u32::try_from(self.text_at).ok()?,
            end: u32::try_from(end).ok()?,
        };
        self.text_at = end;
        Some(range)
    }

    fn text_if(&mut self, flags: u8, bit: u8) -> Option<TextRange> {
        if flags & bit != 0 {
            self.text()
        } else {
            Some(TextRange::default())
        }
    }

    fn count_if(&mut self, flags: u8, bit: u8) -> Option<u64> {
        if flags & bit != 0 {
            self.varint()
        } else {
            Some(0)
        }
    }

    fn row(&mut self, previous_id: u64) -> Option<RawRow> {
        let flags = self.byte()?;
        let strings = self.byte()?;
        let metrics = self.byte()?;
        let id = previous_id.wrapping_add(self.varint()?);
        let author_id = if flags & AUTHOR_ID != 0 {
            self.varint()?
        } else {
            0
        };
        let time_ms = time_base(id).wrapping_add(unzigzag(self.varint()?));
        let reply_to_post = if flags & REPLY_TO_POST != 0 {
            id.wrapping_sub(unzigzag(self.varint()?) as u64)
        } else {
            0
        };
        let reply_to_user = if flags & REPLY_TO_USER != 0 {
            self.varint()?
        } else {
            0
        };
        let retweet_of = if flags & RETWEET_OF != 0 {
            id.wrapping_sub(unzigzag(self.varint()?) as u64)
        } else {
            0
        };
        let thread = if flags & THREAD_IS_ID != 0 {
            id
        } else if strings & THREAD_UNKNOWN != 0 {
            0
        } else {
            id.wrapping_sub(unzigzag(self.varint()?) as u64)
        };
        let counts = [
            self.count_if(metrics, LIKES)?,
            self.count_if(metrics, REPLIES)?,
            self.count_if(metrics, RETWEETS)?,
            self.count_if(metrics, QUOTES)?,
        ];
        let mentioned_government = self.text_if(strings, MENTIONED)?;
        let hashtags_json = self.text_if(strings, HASHTAGS)?;
        let reply_settings = if strings & REPLY_SETTINGS_EVERYONE != 0 {
            EVERYONE
        } else {
            self.text_if(strings, REPLY_SETTINGS)?
        };
        let post_type = self.text_if(strings, POST_TYPE)?;
        let intent = self.text_if(strings, INTENT)?;
        let author_handle = self.text_if(strings, AUTHOR_HANDLE)?;
        Some(RawRow {
            id,
            author_id,
            time_ms,
            reply_to_post,
            reply_to_user,
            thread,
            retweet_of,
            counts,
            strings: [
                mentioned_government,
                hashtags_json,
                reply_settings,
                post_type,
                intent,
                author_handle,
            ],
            flags,
            metrics,
        })
    }
}

/// Writes a cache file while a scan reads SQLite. Any I/O failure only means no cache: the
/// writer stops quietly and removes its temporary file, and the scan goes on.
pub(crate) struct CacheWriter {
    file: Option<BufWriter<File>>,
    temporary: PathBuf,
    destination: PathBuf,
    block: Vec<u8>,
    texts: Vec<u8>,
    payload: Vec<u8>,
    block_rows: u32,
    rows: u64,
    previous_id: u64,
}

impl CacheWriter {
    /// Starts a cache for the store version `token`; `None` when the file cannot be created
    /// (a read-only directory, say) or the token is not one this module writes.
    pub(crate) fn create(destination: PathBuf, token: &str) -> Option<Self> {
        if token.is_empty() || token.len() > MAX_TOKEN {
            return None;
        }
        // Unique per writer, so that two scans at once (two processes, or two page views of
        // one server) never write into the same temporary file.
        static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut temporary = destination.as_os_str().to_owned();
        temporary.push(format!(".{}-{writer}.tmp", std::process::id()));
        let temporary = PathBuf::from(temporary);
        let file = File::create(&temporary).ok()?;
        let mut writer = Self {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            temporary,
            destination,
            block: Vec::with_capacity(BLOCK_BYTES + 4096),
            texts: Vec::with_capacity(BLOCK_BYTES + 4096),
            payload: Vec::with_capacity(2 * BLOCK_BYTES + 8192),
            block_rows: 0,
            rows: 0,
            previous_id: 0,
        };
        let mut header = Vec::with_capacity(MAGIC.len() + 1 + token.len());
        header.extend_from_slice(MAGIC);
        header.push(token.len() as u8);
        header.extend_from_slice(token.as_bytes());
        writer.write(&header);
        Some(writer)
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(file) = self.file.as_mut() {
            if file.write_all(bytes).is_err() {
                self.file = None;
            }
        }
    }

    fn write_block(&mut self, checksum_field: u64) {
        let Ok(len) = u32::try_from(self.payload.len()) else {
            self.file = None;
            return;
        };
        let mut header = [0u8; BLOCK_HEADER];
        header[..4].copy_from_slice(&len.to_le_bytes());
        header[4..8].copy_from_slice(&self.block_rows.to_le_bytes());
        header[8..].copy_from_slice(&checksum_field.to_le_bytes());
        self.write(&header);
        let payload = std::mem::take(&mut self.payload);
        self.write(&payload);
        self.payload = payload;
        self.payload.clear();
        self.block_rows = 0;
    }

    fn flush_block(&mut self) {
        let Ok(rows_len) = u32::try_from(self.block.len()) else {
            self.file = None;
            return;
        };
        self.payload.clear();
        self.payload.extend_from_slice(&rows_len.to_le_bytes());
        self.payload.extend_from_slice(&self.block);
        self.payload.extend_from_slice(&self.texts);
        self.block.clear();
        self.texts.clear();
        let sum = checksum(&self.payload);
        self.write_block(sum);
    }

    /// Adds the next row (rows come in id order).
    pub(crate) fn push(&mut self, post: &ScanPost<'_>) {
        if self.file.is_none() {
            return;
        }
        encode_row(&mut self.block, &mut self.texts, self.previous_id, post);
        self.previous_id = post.id;
        self.block_rows += 1;
        self.rows += 1;
        let size = self.block.len() + self.texts.len();
        if size > MAX_BLOCK_BYTES {
            // One row larger than any block may be: this file cannot hold the store.
            self.file = None;
        } else if size >= BLOCK_BYTES {
            self.flush_block();
        }
    }

    /// Ends the file and puts it in place in one rename, so that a reader sees either the old
    /// file or the whole new one.
    /// Writes the end marker and puts the file in place; `false` when the writer had given up
    /// or the file could not be completed, so that no cache was left.
    pub(crate) fn finish(mut self) -> bool {
        if self.block_rows > 0 {
            self.flush_block();
        }
        let rows = self.rows;
        self.payload.clear();
        self.write_block(rows);
        let Some(file) = self.file.take() else {
            return false;
        };
        // No fsync: a file cut short by a crash fails its row count or a checksum and is
        // then read from SQLite again, which is all a cache needs.
        if file.into_inner().is_err() {
            return false;
        }
        if std::fs::rename(&self.temporary, &self.destination).is_err() {
            let _ = std::fs::remove_file(&self.temporary);
            return false;
        }
        true
    }
}

impl Drop for CacheWriter {
    fn drop(&mut self) {
        // Left unfinished (an error, a failed write) or already renamed: either way nothing
        // of this writer may stay behind under the temporary name.
        let _ = std::fs::remove_file(&self.temporary);
    }
}

/// A block as the reader thread hands it over: checksummed, its strings checked and copied
/// out, its rows decoded.
#[derive(Default)]
struct DecodedBlock {
    texts: String,
    rows: Vec<RawRow>,
}

/// What the reader thread sends: the next block, `None` at a verified end, or the damage found.
type Handed = Result<Option<DecodedBlock>, Corrupt>;

/// Whether the file at `path` is a cache written for `token`. Only its header is read: the
/// blocks are checked when a scan reads them, and a damaged one is then read from SQLite again.
pub(crate) fn is_current(path: &Path, token: &str) -> bool {
    open_for(path, token).is_some()
}

/// How many rows the cache at `path` holds if it was written for `token`, from its end marker
/// alone: a size hint that lets a scan's consumer allocate once. `None` for a file of another
/// version or one without a whole end marker.
pub(crate) fn row_count(path: &Path, token: &str) -> Option<u64> {
    use std::io::{Seek, SeekFrom};
    let (mut file, offset) = open_for(path, token)?;
    let end = file.seek(SeekFrom::End(-(BLOCK_HEADER as i64))).ok()?;
    if end < offset {
        return None;
    }
    let mut marker = [0u8; BLOCK_HEADER];
    file.read_exact(&mut marker).ok()?;
    if marker[..8] != [0u8; 8] {
        return None;
    }
    let mut rows = [0u8; 8];
    rows.copy_from_slice(&marker[8..]);
    Some(u64::from_le_bytes(rows))
}

/// The cache file at `path`, positioned at its first block, if its header names `token`.
fn open_for(path: &Path, token: &str) -> Option<(File, u64)> {
    let mut file = File::open(path).ok()?;
    let mut header = [0u8; MAGIC.len() + 1];
    if file.read_exact(&mut header).is_err() || &header[..MAGIC.len()] != MAGIC {
        return None;
    }
    let mut stored = vec![0u8; usize::from(header[MAGIC.len()])];
    if file.read_exact(&mut stored).is_err() || stored != token.as_bytes() {
        return None;
    }
    Some((file, (MAGIC.len() + 1 + stored.len()) as u64))
}

/// Streams the cache's rows to `visit` if the file at `path` was written for `token`:
/// `Ok(None)` when there is no such file (or it is of another version or format), the number
/// of rows when all were read, `Err` when the file is damaged (rows already handed out must
/// then be thrown away). A second thread reads, checks and decodes the next block while
/// `visit` runs over the current one, so the scorecard's own work is the only wait.
pub(crate) fn read_cache(
    path: &Path,
    token: &str,
    visit: &mut impl FnMut(&ScanPost<'_>),
) -> Result<Option<u64>, Corrupt> {
    let Some((file, offset)) = open_for(path, token) else {
        return Ok(None);
    };
    // Two blocks in flight at most: the reader stays one ahead without buffering the file.
    let (full_tx, full_rx) = mpsc::sync_channel::<Handed>(1);
    let (empty_tx, empty_rx) = mpsc::channel::<DecodedBlock>();
    std::thread::scope(|scope| {
        scope.spawn(move || read_blocks(file, path, offset, full_tx, empty_rx));
        let mut rows = 0u64;
        // Dropping the receiver on an early return stops the reader at its next send.
        for handed in full_rx {
            let Some(block) = handed? else {
                return Ok(Some(rows));
            };
            for raw in &block.rows {
                visit(&raw.post(&block.texts));
            }
            rows += block.rows.len() as u64;
            // The reader may have finished already; then the buffers are simply dropped.
            let _ = empty_tx.send(block);
        }
        Err(Corrupt {
            reason: format!("{}: the cache reader stopped early", path.display()),
        })
    })
}

/// The reader thread of [`read_cache`]: sends each block of `file` from `offset` on, decoded
/// into a buffer handed back through `empty` when there is one, then the end or the damage.
fn read_blocks(
    mut file: File,
    path: &Path,
    mut offset: u64,
    full: mpsc::SyncSender<Handed>,
    empty: mpsc::Receiver<DecodedBlock>,
) {
    let mut payload = Vec::with_capacity(BLOCK_BYTES + 4096);
    let mut rows = 0u64;
    let mut previous_id = 0u64;
    loop {
        let block = empty.try_recv().unwrap_or_default();
        let handed = read_block(
            &mut file,
            path,
            &mut offset,
            &mut payload,
            &mut rows,
            &mut previous_id,
            block,
        );
        let more = matches!(handed, Ok(Some(_)));
        if full.send(handed).is_err() || !more {
            return;
        }
    }
}

/// Reads, checks and decodes the block at `offset` into `block` (`None` at the end marker).
fn read_block(
    file: &mut File,
    path: &Path,
    offset: &mut u64,
    payload: &mut Vec<u8>,
    rows: &mut u64,
    previous_id: &mut u64,
    mut block: DecodedBlock,
) -> Handed {
    let at = *offset;
    let corrupt = |what: &str| Corrupt {
        reason: format!("{} at byte {at}: {what}", path.display()),
    };
    let mut block_header = [0u8; BLOCK_HEADER];
    file.read_exact(&mut block_header)
        .map_err(|_| corrupt("the file ends inside a block header"))?;
    let mut four = [0u8; 4];
    four.copy_from_slice(&block_header[..4]);
    let len = u32::from_le_bytes(four) as usize;
    four.copy_from_slice(&block_header[4..8]);
    let block_rows = u32::from_le_bytes(four);
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&block_header[8..]);
    let sum = u64::from_le_bytes(eight);
    if len == 0 && block_rows == 0 {
        if sum != *rows {
            return Err(corrupt("the row count at the end does not match"));
        }
        return Ok(None);
    }
    if len > MAX_BLOCK_BYTES {
        return Err(corrupt("a block longer than any this format writes"));
    }
    payload.resize(len, 0);
    file.read_exact(payload)
        .map_err(|_| corrupt("the file ends inside a block"))?;
    if checksum(payload) != sum {
        return Err(corrupt("a block's checksum does not match"));
    }
    let rows_end = payload
        .get(..4)
        .map(|head| {
            four.copy_from_slice(head);
            4 + u32::from_le_bytes(four) as usize
        })
        .filter(|&end| end <= payload.len())
        .ok_or_else(|| corrupt("a row area longer than its block"))?;
    let texts = std::str::from_utf8(&payload[rows_end..])
        .map_err(|_| corrupt("strings that are not UTF-8"))?;
    block.texts.clear();
    block.texts.push_str(texts);
    block.rows.clear();
    let mut cursor = Cursor {
        bytes: &payload[..rows_end],
        at: 4,
        texts,
        text_at: 0,
    };
    // A row takes at least four bytes, so a lying row count ends in a decode error, not in
    // an outsized buffer.
    for _ in 0..block_rows {
        let raw = cursor
            .row(*previous_id)
            .ok_or_else(|| corrupt("a row does not decode"))?;
        *previous_id = raw.id;
        block.rows.push(raw);
    }
    if cursor.at != rows_end || cursor.text_at != texts.len() {
        return Err(corrupt("bytes after a block's last row"));
    }
    *rows += u64::from(block_rows);
    *offset += (BLOCK_HEADER + len) as u64;
    Ok(Some(block))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(post: &ScanPost<'_>) -> String {
        format!("{post:?}")
    }

    fn sample(i: u64) -> ScanPost<'static> {
        let id = 1_600_000_000_000_000_000 + i * 4_194_304 * 1000;
        ScanPost {
            id,
            author_id: if i.is_multiple_of(7) { 0 } else { 10_000 + i },
            author_handle: if i.is_multiple_of(7) {
                "NoId_Author"
            } else {
                ""
            },
            time_ms: time_base(id) + if i.is_multiple_of(11) { -5 } else { 0 },
            kind: kind_of_code((i % 4) as u8),
            reply_to_post: if i.is_multiple_of(3) { id - 77 } else { 0 },
            reply_to_user: if i.is_multiple_of(3) { 1000 } else { 0 },
            thread: match i % 5 {
                0 => 0,
                1 => id,
                _ => id - 4_194_304 * 3,
            },
            retweet_of: if i % 4 == 1 { id + 9 } else { 0 },
            mentioned_government: if i.is_multiple_of(2) {
                "mohpegypt,moiegy"
            } else {
                ""
            },
            hashtags_json: if i.is_multiple_of(6) {
                "[\"مصر\"]"
            } else {
                ""
            },
            has_media: i % 2 == 1,
            reply_settings: ["", "everyone", "mentionedUsers"][(i % 3) as usize],
            likes: i.is_multiple_of(2).then_some(i * 1_000_003),
            replies: i.is_multiple_of(3).then_some(0),
            retweets: Some(u64::MAX - i),
            quotes: None,
            post_type: if i.is_multiple_of(2) { "news" } else { "" },
            intent: if i % 2 == 1 { "complaint" } else { "" },
        }
    }

    fn write(path: &Path, token: &str, rows: u64) -> Vec<String> {
        let mut writer = CacheWriter::create(path.to_path_buf(), token).expect("cache created");
        let mut expected = Vec::new();
        for i in 0..rows {
            let post = sample(i);
            expected.push(owned(&post));
            writer.push(&post);
        }
        assert!(writer.finish(), "the cache is put in place");
        expected
    }

    fn read(path: &Path, token: &str) -> Result<Option<Vec<String>>, Corrupt> {
        let mut seen = Vec::new();
        let rows = read_cache(path, token, &mut |post| seen.push(owned(post)))?;
        Ok(rows.map(|n| {
            assert_eq!(n as usize, seen.len());
            seen
        }))
    }

    #[test]
    fn every_field_of_every_row_reads_back_across_blocks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache");
        // Enough rows for several blocks.
        let expected = write(&path, "00ff", 30_000);
        assert!(std::fs::metadata(&path).expect("written").len() > 2 * BLOCK_BYTES as u64);
        assert_eq!(read(&path, "00ff").expect("valid"), Some(expected));
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file stays behind");
    }

    #[test]
    fn two_writers_of_one_cache_at_once_leave_one_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache");
        let mut first = CacheWriter::create(path.clone(), "0001").expect("first");
        let mut second = CacheWriter::create(path.clone(), "0001").expect("second");
        let mut expected = Vec::new();
        for i in 0..20_000 {
            let post = sample(i);
            expected.push(owned(&post));
            first.push(&post);
            second.push(&post);
        }
        assert!(first.finish());
        assert!(second.finish(), "the later writer replaces the earlier one");
        assert_eq!(read(&path, "0001").expect("whole"), Some(expected));
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn a_cache_of_another_store_version_is_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache");
        write(&path, "aaaa", 10);
        assert_eq!(read(&path, "aaab").expect("no error"), None);
        assert_eq!(read(&dir.path().join("missing"), "aaaa").expect("ok"), None);
        std::fs::write(&path, b"TWSCAN00\x04aaaa").expect("write");
        assert_eq!(read(&path, "aaaa").expect("older format ignored"), None);
    }

    #[test]
    fn damage_anywhere_after_the_header_is_reported_not_read_as_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache");
        write(&path, "beef", 5_000);
        let good = std::fs::read(&path).expect("read");
        let header = MAGIC.len() + 1 + 4;
        for at in [
            header + 3,
            header + BLOCK_HEADER + 100,
            good.len() / 2,
            good.len() - 3,
        ] {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            std::fs::write(&path, &bad).expect("write");
            let err = read(&path, "beef").expect_err("damage detected");
            assert!(err.reason.contains("at byte"), "{}", err.reason);
        }
        std::fs::write(&path, &good[..good.len() - 10]).expect("truncate");
        assert!(read(&path, "beef").is_err(), "a cut file is detected");
    }

    #[test]
    fn varints_and_zigzag_round_trip_at_the_extremes() {
        for value in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX / 2, u64::MAX] {
            let mut out = Vec::new();
            push_varint(&mut out, value);
            let mut cursor = Cursor {
                bytes: &out,
                at: 0,
                texts: "",
                text_at: 0,
            };
            assert_eq!(cursor.varint(), Some(value));
            assert_eq!(cursor.at, out.len());
        }
        for value in [0i64, 1, -1, i64::MAX, i64::MIN, 12_345, -12_345] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
        let overlong = [0xffu8; 11];
        let mut cursor = Cursor {
            bytes: &overlong,
            at: 0,
            texts: "",
            text_at: 0,
        };
        assert_eq!(cursor.varint(), None);
    }
}
