//! `tawasul bench import`: a large synthetic twarc2 collection, imported by a child `tawasul
//! import` whose wall time and peak memory are measured.
//!
//! The collection has the shape of real twarc2 output (pages of 100 tweets with `includes`,
//! non-ASCII escaped as Python's `json.dumps` does), with the mix a ministry's collection has:
//! citizen replies and mentions, retweets with their originals, quotes and originals.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The import bars of issue 3.
const IMPORT_MB_S_BAR: f64 = 100.0;
const PEAK_RSS_MB_BAR: f64 = 300.0;

const WORDS: &[&str] = &[
    "متى",
    "يتم",
    "تفعيل",
    "خدمة",
    "الإنترنت",
    "المنزلي",
    "الوزارة",
    "تعلن",
    "عن",
    "بدء",
    "التقديم",
    "في",
    "مسابقة",
    "الوظائف",
    "الجديدة",
    "لو",
    "سمحت",
    "عايز",
    "أعرف",
    "ازاي",
    "أجدد",
    "البطاقة",
    "المستشفى",
    "مفيهاش",
    "دكاترة",
    "شكرا",
    "لتواصلك",
    "يرجى",
    "مراسلتنا",
    "على",
    "الخاص",
    "لمتابعة",
    "الطلب",
    "وزير",
    "المالية",
    "يلتقي",
    "وفد",
    "البنك",
    "الدولي",
    "لبحث",
    "التعاون",
    "المشترك",
    "الموازنة",
    "العامة",
    "للدولة",
    "مليار",
    "جنيه",
    "المعاش",
    "اتأخر",
    "ليه",
    "الشكوى",
    "رقم",
];
const HASHTAGS: &[&str] = &["اعرف_حقك", "مصر", "أخبار_تهمك", "الصحة", "التحول_الرقمي"];
const OFFICIAL: &[(&str, &str)] = &[
    ("800000000000000001", "MCIT_News"),
    ("800000000000000002", "MofEgypt"),
    ("800000000000000003", "mohpegypt"),
    ("800000000000000004", "CabinetEgy"),
    ("800000000000000005", "AlsisiOfficial"),
];

/// Small deterministic generator: the same seed gives the same file everywhere.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Writes `text` as a JSON string with every non-ASCII character escaped, like twarc2.
fn json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

fn sentence(rng: &mut Rng, min: usize, spread: usize) -> String {
    let words = min + rng.below(spread);
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len())]);
    }
    s
}

struct Tweet {
    id: u64,
    author: (String, String),
    text: String,
    refs: Vec<(&'static str, u64)>,
    reply_to_user: Option<String>,
    conversation: u64,
}

fn tweet_json(out: &mut String, t: &Tweet, rng: &mut Rng) {
    out.push_str("{\"id\": \"");
    out.push_str(&t.id.to_string());
    out.push_str("\", \"text\": ");
    json_str(out, &t.text);
    let created = (t.id >> 22) as i64 + tawasul_core::snowflake::TWITTER_EPOCH_MS;
    out.push_str(&format!(
        ", \"author_id\": \"{}\", \"conversation_id\": \"{}\", \"created_at\": \"{}\", \"lang\": \"ar\", \"source\": \"Twitter for Android\", \"possibly_sensitive\": false, \"reply_settings\": \"everyone\", \"edit_history_tweet_ids\": [\"{}\"]",
        t.author.0,
        t.conversation,
        rfc3339(created),
        t.id
    ));
    if let Some(user) = &t.reply_to_user {
        out.push_str(&format!(", \"in_reply_to_user_id\": \"{user}\""));
    }
    if !t.refs.is_empty() {
        out.push_str(", \"referenced_tweets\": [");
        for (i, (kind, id)) in t.refs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("{{\"type\": \"{kind}\", \"id\": \"{id}\"}}"));
        }
        out.push(']');
    }
    let tag = HASHTAGS[rng.below(HASHTAGS.len())];
    out.push_str(", \"entities\": {\"hashtags\": [{\"start\": 0, \"end\": 5, \"tag\": ");
    json_str(out, tag);
    out.push_str("}]}");
    out.push_str(&format!(
        ", \"public_metrics\": {{\"retweet_count\": {}, \"reply_count\": {}, \"like_count\": {}, \"quote_count\": {}, \"impression_count\": {}}}, \"edit_controls\": {{\"edits_remaining\": \"5\", \"is_edit_eligible\": false, \"editable_until\": \"2024-03-10T10:15:02.000Z\"}}}}",
        rng.below(500),
        rng.below(100),
        rng.below(5000),
        rng.below(50),
        rng.below(100_000)
    ));
}

pub(crate) fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil from days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn user_json(out: &mut String, id: &str, handle: &str, rng: &mut Rng) {
    out.push_str(&format!(
        "{{\"id\": \"{id}\", \"username\": \"{handle}\", \"name\": "
    ));
    json_str(out, "مواطن مصري");
    out.push_str(&format!(
        ", \"created_at\": \"2015-01-01T00:00:00.000Z\", \"protected\": false, \"verified\": false, \"public_metrics\": {{\"followers_count\": {}, \"following_count\": {}, \"tweet_count\": {}, \"listed_count\": 0}}, \"description\": \"\", \"location\": \"Cairo\"}}",
        rng.below(1_000_000),
        rng.below(2000),
        rng.below(50_000)
    ));
}

/// Writes a synthetic twarc2 collection of at least `target_bytes`; returns posts written.
pub fn generate(path: &Path, target_bytes: u64, seed: u64) -> Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng(seed | 1);
    // Snowflake ids from 2024-03-10, a few hundred milliseconds apart.
    let mut next_id: u64 = 1_766_754_625_639_153_664;
    let mut written = 0u64;
    let mut posts = 0u64;
    let mut line = String::with_capacity(1 << 20);
    let mut recent_official: Vec<u64> = vec![next_id - (1 << 30)];
    while written < target_bytes {
        line.clear();
        let mut data = Vec::with_capacity(100);
        let mut included = Vec::new();
        let mut users: Vec<(String, String)> = Vec::new();
        for _ in 0..100 {
            next_id += (rng.below(400) as u64 + 1) << 22;
            let roll = rng.below(100);
            let official = OFFICIAL[rng.below(OFFICIAL.len())];
            let official = (official.0.to_string(), official.1.to_string());
            let citizen_n = rng.below(1_000_000) as u64 + 900_000_000_000_000_000;
            let citizen = (
                citizen_n.to_string(),
                format!("citizen_{}", citizen_n % 1_000_000),
            );
            let tweet = if roll < 40 {
                // a citizen answering an official post
                let parent = recent_official[rng.below(recent_official.len())];
                Tweet {
                    id: next_id,
                    author: citizen.clone(),
                    text: format!("@{} {}؟", official.1, sentence(&mut rng, 8, 20)),
                    refs: vec![("replied_to", parent)],
                    reply_to_user: Some(official.0.clone()),
                    conversation: parent,
                }
            } else if roll < 60 {
                // an official retweet: the original comes in includes
                next_id += 1 << 22;
                let original = Tweet {
                    id: next_id - (1 << 22),
                    author: (OFFICIAL[4].0.to_string(), OFFICIAL[4].1.to_string()),
                    text: sentence(&mut rng, 20, 20),
                    refs: vec![],
                    reply_to_user: None,
                    conversation: next_id - (1 << 22),
                };
                let t = Tweet {
                    id: next_id,
                    author: official.clone(),
                    text: format!(
                        "RT @{}: {}",
                        OFFICIAL[4].1,
                        original.text.chars().take(110).collect::<String>()
                    ),
                    refs: vec![("retweeted", original.id)],
                    reply_to_user: None,
                    conversation: next_id,
                };
                users.push((original.author.0.clone(), original.author.1.clone()));
                included.push(original);
                t
            } else if roll < 70 {
                let quoted = recent_official[rng.below(recent_official.len())];
                Tweet {
                    id: next_id,
                    author: citizen.clone(),
                    text: sentence(&mut rng, 10, 15),
                    refs: vec![("quoted", quoted)],
                    reply_to_user: None,
                    conversation: next_id,
                }
            } else {
                recent_official.push(next_id);
                if recent_official.len() > 64 {
                    recent_official.remove(0);
                }
                Tweet {
                    id: next_id,
                    author: official.clone(),
                    text: {
                        let tag = HASHTAGS[rng.below(HASHTAGS.len())];
                        format!("#{tag} {}", sentence(&mut rng, 25, 20))
                    },
                    refs: vec![],
                    reply_to_user: None,
                    conversation: next_id,
                }
            };
            users.push(tweet.author.clone());
            data.push(tweet);
        }
        line.push_str("{\"data\": [");
        for (i, t) in data.iter().enumerate() {
            if i > 0 {
                line.push_str(", ");
            }
            tweet_json(&mut line, t, &mut rng);
        }
        line.push_str("], \"includes\": {\"users\": [");
        users.sort();
        users.dedup();
        for (i, (id, handle)) in users.iter().enumerate() {
            if i > 0 {
                line.push_str(", ");
            }
            user_json(&mut line, id, handle, &mut rng);
        }
        line.push_str("], \"tweets\": [");
        for (i, t) in included.iter().enumerate() {
            if i > 0 {
                line.push_str(", ");
            }
            tweet_json(&mut line, t, &mut rng);
        }
        let newest = data.last().map(|t| t.id).unwrap_or(0);
        let oldest = data.first().map(|t| t.id).unwrap_or(0);
        line.push_str(&format!(
            "]}}, \"meta\": {{\"newest_id\": \"{newest}\", \"oldest_id\": \"{oldest}\", \"result_count\": {}, \"next_token\": \"b26v89c19zqg8o3fpz\"}}, \"__twarc\": {{\"url\": \"https://api.twitter.com/2/tweets/search/all?query=%40MCIT_News\", \"version\": \"2.14.0\", \"retrieved_at\": \"2024-06-01T12:00:00+00:00\"}}}}\n",
            data.len()
        ));
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        posts += (data.len() + included.len()) as u64;
    }
    out.flush()?;
    Ok(posts)
}

/// Peak resident memory of a finished child, in bytes (Linux `wait4`).
fn run_measured(mut command: Command) -> Result<(std::process::ExitStatus, f64, u64, String)> {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting tawasul import")?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.context("child stdout")?;
    let mut output = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut output)?;
    let mut status: libc::c_int = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        bail!(
            "waiting for the import: {}",
            std::io::Error::last_os_error()
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    use std::os::unix::process::ExitStatusExt;
    Ok((
        std::process::ExitStatus::from_raw(status),
        seconds,
        usage.ru_maxrss as u64 * 1024,
        output,
    ))
}

/// Runs the import benchmark and prints one JSON object.
pub fn bench(
    input: Option<PathBuf>,
    mb: u64,
    keep: Option<PathBuf>,
    check: bool,
) -> Result<ExitCode> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let (file, generated) = match input {
        Some(path) => (path, false),
        None => {
            let path = keep
                .clone()
                .unwrap_or_else(|| scratch.path().join("collection.jsonl"));
            let started = Instant::now();
            let posts = generate(&path, mb * 1_000_000, 20_240_310)?;
            eprintln!(
                "generated {} ({posts} posts) in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
            (path, true)
        }
    };
    let bytes = std::fs::metadata(&file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let exe = std::env::current_exe().context("locating the tawasul binary")?;
    // The product's import (ingest, then the labelling pass), and ingest alone into a second
    // store: the bars are on getting the file into SQLite, and the labelling pass is
    // the classifiers' cost, reported beside it.
    let run = |store: &str, label: bool| -> Result<(f64, f64, serde_json::Value)> {
        let mut command = Command::new(&exe);
        command
            .arg("--data-dir")
            .arg(scratch.path().join(store))
            .arg("import")
            .arg("--quiet");
        if !label {
            command.arg("--no-classify");
        }
        command.arg(&file);
        let (status, seconds, peak_rss, output) = run_measured(command)?;
        if !status.success() {
            bail!("the import failed ({status}): {output}");
        }
        let summary: serde_json::Value =
            serde_json::from_str(output.trim()).context("reading the import summary")?;
        Ok((seconds, peak_rss as f64 / 1e6, summary))
    };
    let (seconds, peak_mb, summary) = run("data", true)?;
    let (ingest_seconds, ingest_peak_mb, _) = run("ingest-only", false)?;
    let mb_s = bytes as f64 / 1e6 / seconds;
    let ingest_mb_s = bytes as f64 / 1e6 / ingest_seconds;
    let highest_peak_mb = peak_mb.max(ingest_peak_mb);
    let report = serde_json::json!({
        "file": file.display().to_string(),
        "generated": generated,
        "bytes": bytes,
        "posts_read": summary["posts"],
        "threading_seconds": summary["threading_seconds"],
        "labelling_seconds": summary["labelling"]["seconds"],
        "seconds": seconds,
        "mb_per_s": mb_s,
        "peak_rss_mb": peak_mb,
        "ingest_only": {
            "seconds": ingest_seconds,
            "mb_per_s": ingest_mb_s,
            "peak_rss_mb": ingest_peak_mb,
        },
        "bars": {
            "ingest_mb_per_s": {"bar": IMPORT_MB_S_BAR, "pass": ingest_mb_s >= IMPORT_MB_S_BAR},
            "peak_rss_mb": {"bar": PEAK_RSS_MB_BAR, "pass": highest_peak_mb <= PEAK_RSS_MB_BAR},
        },
    });
    println!("{report}");
    if check && highest_peak_mb > PEAK_RSS_MB_BAR {
        eprintln!(
            "tawasul bench import: peak RSS {highest_peak_mb:.0} MB is above {PEAK_RSS_MB_BAR} MB"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
