//! `tawasul bench …`: throughput measured side by side with the anchor in the same run.

use anyhow::{Context, Result};
use std::hint::black_box;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tawasul_text::{
    normalize_into, shipped_stemmer, tokenize, tokenize_normalized, Profile, TokenKind,
};

/// Bars of the text issue.
const TOKENIZE_NORMALIZE_MB_S_BAR: f64 = 300.0;
const STEM_SPEEDUP_BAR: f64 = 1.5;

fn load_corpus(corpus: Option<PathBuf>) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    match corpus {
        Some(path) => {
            let f = std::fs::File::open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
                let line = line.with_context(|| format!("{} line {}", path.display(), i + 1))?;
                if !line.is_empty() {
                    lines.push(line);
                }
            }
        }
        None => crate::corpus::for_each_text(&crate::corpus::shared_data_dir(), |t| {
            let t = t.replace(['\n', '\r'], " ");
            if !t.trim().is_empty() {
                lines.push(t);
            }
        })?,
    }
    anyhow::ensure!(!lines.is_empty(), "the corpus is empty");
    Ok(lines)
}

/// Best of `rounds` timings of `f`, in seconds.
fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut check = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        check = black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, check)
}

pub fn text(
    corpus: Option<PathBuf>,
    min_mib: usize,
    write_corpus: Option<PathBuf>,
    check: bool,
) -> Result<ExitCode> {
    let base = load_corpus(corpus)?;
    if let Some(path) = &write_corpus {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        for l in &base {
            writeln!(f, "{l}")?;
        }
        f.flush()?;
    }
    let base_bytes: usize = base.iter().map(|l| l.len() + 1).sum();
    // one big buffer of lines, repeated to the requested size
    let mut big = String::with_capacity(min_mib << 20);
    let mut ranges = Vec::new();
    while big.len() < (min_mib << 20) || ranges.is_empty() {
        for l in &base {
            let s = big.len();
            big.push_str(l);
            ranges.push((s, big.len()));
            big.push('\n');
        }
    }
    let total_bytes = big.len();

    // tokenise + normalise every word-like token, one pass (the path search and the
    // classifiers take): tokens already in normal form are borrowed, the rest written to `buf`
    let mut buf = String::with_capacity(256);
    let mut token_count = 0usize;
    let (tn_secs, _) = best_of(3, || {
        let mut acc = 0usize;
        token_count = 0;
        for &(s, e) in &ranges {
            let line = &big[s..e];
            for t in tokenize_normalized(line, Profile::Search) {
                token_count += 1;
                if matches!(t.token.kind, TokenKind::Word | TokenKind::Hashtag) {
                    acc += t.normal(line, &mut buf).len();
                }
            }
        }
        acc
    });
    // the same work in two steps: tokenise, then normalise each word-like token's text
    let (two_step_secs, _) = best_of(3, || {
        let mut acc = 0usize;
        for &(s, e) in &ranges {
            let line = &big[s..e];
            for t in tokenize(line) {
                if matches!(t.kind, TokenKind::Word | TokenKind::Hashtag) {
                    normalize_into(t.text(line), Profile::Search, &mut buf);
                    acc += buf.len();
                }
            }
        }
        acc
    });

    // anchor: a naive char-map normaliser (Lucene's rules) over the whole text as one string,
    // the reference's yardstick for this machine class (338 MB/s there)
    let (naive_secs, _) = best_of(3, || naive_char_map_normalize(&big).len());

    // tokenise alone, to show where the time goes
    let (tok_secs, _) = best_of(3, || {
        let mut acc = 0usize;
        for &(s, e) in &ranges {
            for t in tokenize(&big[s..e]) {
                acc += t.end;
            }
        }
        acc
    });

    // the Arabic words of the base corpus, in running order
    let mut words: Vec<&str> = Vec::new();
    for l in &base {
        for t in tokenize(l) {
            let w = t.text(l);
            if t.kind == TokenKind::Word
                && w.chars()
                    .next()
                    .is_some_and(tawasul_text::chars::is_arabic_word_char)
            {
                words.push(w);
            }
        }
    }
    let stemmer = shipped_stemmer();
    let snowball = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Arabic);
    // warm up both (the shipped lexicon is parsed on first use)
    stemmer.stem_into("الصحة", &mut buf);
    let _ = snowball.stem("الصحة");
    // rounds alternate between the two, so that a noisy moment on a shared machine falls on
    // both sides of the ratio rather than on one
    let (mut ours_secs, mut snow_secs) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..5 {
        let (ours, _) = best_of(1, || {
            let mut acc = 0;
            for w in &words {
                stemmer.stem_into(w, &mut buf);
                acc += buf.len();
            }
            acc
        });
        let (snow, _) = best_of(1, || {
            let mut acc = 0;
            for w in &words {
                acc += snowball.stem(w).len();
            }
            acc
        });
        ours_secs = ours_secs.min(ours);
        snow_secs = snow_secs.min(snow);
    }

    let tn_mb_s = total_bytes as f64 / 1e6 / tn_secs;
    let ours_wps = words.len() as f64 / ours_secs;
    let snow_wps = words.len() as f64 / snow_secs;
    let speedup = ours_wps / snow_wps;
    let tn_pass = tn_mb_s >= TOKENIZE_NORMALIZE_MB_S_BAR;
    let stem_pass = speedup >= STEM_SPEEDUP_BAR;
    let report = serde_json::json!({
        "bench": "text",
        "corpus_lines": base.len(),
        "corpus_bytes": base_bytes,
        "measured_bytes": total_bytes,
        "tokens": token_count,
        "tokenize_normalize_mb_s": round2(tn_mb_s),
        "tokenize_then_normalize_each_mb_s": round2(total_bytes as f64 / 1e6 / two_step_secs),
        "tokenize_only_mb_s": round2(total_bytes as f64 / 1e6 / tok_secs),
        "naive_char_map_normalize_mb_s": round2(total_bytes as f64 / 1e6 / naive_secs),
        "tokenize_normalize_vs_naive_char_map": round2(naive_secs / tn_secs),
        "stem_words": words.len(),
        "stem_words_per_s": ours_wps.round(),
        "snowball_words_per_s": snow_wps.round(),
        "stem_speedup_vs_snowball": round2(speedup),
        "bars": {
            "tokenize_normalize_mb_s": {"bar": TOKENIZE_NORMALIZE_MB_S_BAR, "pass": tn_pass},
            "stem_speedup_vs_snowball": {"bar": STEM_SPEEDUP_BAR, "pass": stem_pass},
        }
    });
    println!("{report}");
    // only the same-run ratio is a gate: absolute MB/s depends on the machine and its load
    if check && !stem_pass {
        eprintln!("tawasul: bench text: stemming is below {STEM_SPEEDUP_BAR}x Snowball");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The anchor the reference measured: map alef forms, ى, ة; drop harakat and tatweel; one
/// pass with `chars()` and `collect`, no tokenising.
fn naive_char_map_normalize(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'آ' | 'أ' | 'إ' => Some('ا'),
            'ى' => Some('ي'),
            'ة' => Some('ه'),
            '\u{064B}'..='\u{0652}' | '\u{0640}' => None,
            c => Some(c),
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
