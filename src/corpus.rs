//! Real Arabic text from `../shared/data`, read where it lies (never copied into the repo).
//!
//! The lexicon recipe and the text benchmark both read this corpus, so the list of files
//! and their text columns is kept in one place.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// One file of the shared data and where its text is.
struct Source {
    path: &'static str,
    delimiter: u8,
    /// Column name in the header, or `None` for a header-less file (text in column 0).
    column: Option<&'static str>,
}

/// The files whose texts make tawasul's Arabic corpus (the lexicon recipe).
const SOURCES: &[Source] = &[
    Source {
        path: "official/aured_timelines.tsv",
        delimiter: b'\t',
        column: Some("text"),
    },
    Source {
        path: "citizen/egypt_public_body_reviews.tsv",
        delimiter: b'\t',
        column: Some("text"),
    },
    Source {
        path: "citizen/egypt_company_reviews.tsv",
        delimiter: b'\t',
        column: Some("text"),
    },
    Source {
        path: "citizen/ct22_attentionworthy_train.tsv",
        delimiter: b'\t',
        column: Some("tweet_text"),
    },
    Source {
        path: "citizen/ct22_attentionworthy_dev.tsv",
        delimiter: b'\t',
        column: Some("tweet_text"),
    },
    Source {
        path: "citizen/ct22_attentionworthy_dev_test.tsv",
        delimiter: b'\t',
        column: Some("tweet_text"),
    },
    Source {
        path: "sentiment/astd_tweets.tsv",
        delimiter: b'\t',
        column: None,
    },
    Source {
        path: "sentiment/arsarcasm_v2_train.csv",
        delimiter: b',',
        column: Some("tweet"),
    },
    Source {
        path: "sentiment/arsarcasm_v2_test.csv",
        delimiter: b',',
        column: Some("tweet"),
    },
    Source {
        path: "topics/asnd_trn.csv",
        delimiter: b',',
        column: Some("Content"),
    },
    Source {
        path: "topics/asnd_dev.csv",
        delimiter: b',',
        column: Some("Content"),
    },
    Source {
        path: "topics/asnd_tst.csv",
        delimiter: b',',
        column: Some("Content"),
    },
];

/// Where the shared data lives: `$TAWASUL_SHARED_DATA`, else `../shared/data`.
pub fn shared_data_dir() -> PathBuf {
    std::env::var_os("TAWASUL_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
}

/// Call `f` with every text of the corpus under `dir`, file by file, in a fixed order.
pub fn for_each_text(dir: &Path, mut f: impl FnMut(&str)) -> Result<()> {
    if !dir.is_dir() {
        bail!(
            "shared data not found at {} (set TAWASUL_SHARED_DATA or pass a corpus file)",
            dir.display()
        );
    }
    for src in SOURCES {
        let path = dir.join(src.path);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(src.delimiter)
            .has_headers(src.column.is_some())
            .quoting(src.delimiter == b',')
            .flexible(true)
            .from_path(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let index = match src.column {
            Some(name) => rdr
                .headers()
                .with_context(|| format!("reading header of {}", path.display()))?
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("{}: no column {name:?}", path.display()))?,
            None => 0,
        };
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.with_context(|| format!("{} record {}", path.display(), i + 1))?;
            if let Some(text) = rec.get(index) {
                f(text);
            }
        }
    }
    Ok(())
}
