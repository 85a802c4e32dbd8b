//! `tawasul text …`: the text core on stdin/stdout, one line in, one line out, in order.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::io::{BufRead, BufWriter, Read, Write};
use std::process::ExitCode;
use tawasul_text::{
    normalize_into, shipped_stemmer, tokenize, weighted_length, LexiconBuilder, Profile, TokenKind,
};

#[derive(Subcommand)]
pub enum TextCommand {
    /// One normalised line per input line.
    Normalize {
        /// search (fold spellings), display (invisible clean-up only) or model (classifiers).
        #[arg(long, default_value = "search", value_parser = ["search", "display", "model"])]
        profile: String,
    },
    /// One word per line in, its stem out.
    Stem,
    /// One JSON array of tokens per line: {"kind","text","start","end"[,"value"]}.
    Tokens,
    /// The X weighted length of each line.
    Length,
    /// Count Arabic word forms of stdin (or of the shared corpus) into a lexicon file.
    Lexicon {
        /// Drop forms seen fewer times.
        #[arg(long, default_value_t = 2)]
        min_count: u32,
        /// Read the corpus of ../shared/data instead of stdin.
        #[arg(long)]
        shared: bool,
    },
}

/// The longest input line accepted: a text tool must not buffer an unbounded line.
const MAX_LINE_BYTES: u64 = 16 << 20;

/// Run `f` on every line of stdin (without its line ending), writing to a buffered stdout.
pub(crate) fn each_line(mut f: impl FnMut(&str, &mut dyn Write) -> Result<()>) -> Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut raw = Vec::with_capacity(4096);
    let mut lineno = 0usize;
    loop {
        raw.clear();
        let n = (&mut input)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut raw)
            .context("reading stdin")?;
        if n == 0 {
            break;
        }
        lineno += 1;
        if raw.len() as u64 > MAX_LINE_BYTES {
            anyhow::bail!("stdin line {lineno}: longer than {MAX_LINE_BYTES} bytes");
        }
        while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            raw.pop();
        }
        let line = std::str::from_utf8(&raw)
            .with_context(|| format!("stdin line {lineno}: not valid UTF-8"))?;
        f(line, &mut out)?;
    }
    out.flush()?;
    Ok(())
}

pub fn run(cmd: TextCommand) -> Result<ExitCode> {
    match cmd {
        TextCommand::Normalize { profile } => {
            let profile = Profile::parse(&profile).context("unknown profile")?;
            let mut buf = String::new();
            each_line(|line, out| {
                normalize_into(line, profile, &mut buf);
                writeln!(out, "{buf}")?;
                Ok(())
            })?;
        }
        TextCommand::Stem => {
            let stemmer = shipped_stemmer();
            let mut buf = String::new();
            each_line(|line, out| {
                stemmer.stem_into(line.trim(), &mut buf);
                writeln!(out, "{buf}")?;
                Ok(())
            })?;
        }
        TextCommand::Tokens => {
            let mut value = String::new();
            each_line(|line, out| {
                let mut arr = Vec::new();
                for t in tokenize(line) {
                    let mut obj = serde_json::Map::new();
                    obj.insert("kind".into(), t.kind.as_str().into());
                    obj.insert("text".into(), t.text(line).into());
                    obj.insert("start".into(), t.char_start.into());
                    obj.insert("end".into(), t.char_end.into());
                    if t.kind == TokenKind::Number {
                        t.number_value_into(line, &mut value);
                        obj.insert("value".into(), value.as_str().into());
                    }
                    arr.push(serde_json::Value::Object(obj));
                }
                serde_json::to_writer(&mut *out, &arr)?;
                out.write_all(b"\n")?;
                Ok(())
            })?;
        }
        TextCommand::Length => {
            each_line(|line, out| {
                writeln!(out, "{}", weighted_length(line))?;
                Ok(())
            })?;
        }
        TextCommand::Lexicon { min_count, shared } => {
            let mut builder = LexiconBuilder::default();
            if shared {
                crate::corpus::for_each_text(&crate::corpus::shared_data_dir(), |t| {
                    builder.add_text(t)
                })?;
            } else {
                each_line(|line, _| {
                    builder.add_text(line);
                    Ok(())
                })?;
            }
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            writeln!(out, "# tawasul lexicon: search-normalised Arabic word forms and counts; min_count {min_count}")?;
            for (word, count) in builder.finish(min_count) {
                writeln!(out, "{word}\t{count}")?;
            }
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
