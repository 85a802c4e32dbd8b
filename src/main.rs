//! The `tawasul` command: a thin layer that parses arguments and calls the crates.

mod bench;
mod corpus;
mod text_cmd;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// tawasul: make government social-media accounts answer citizens, and measure how well.
#[derive(Parser)]
#[command(name = "tawasul", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Arabic text tools: each reads stdin line by line and writes one line per line.
    Text {
        #[command(subcommand)]
        command: text_cmd::TextCommand,
    },
    /// Measure throughput against the anchors in the same run; prints one JSON object.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Tokenise+normalise (MB/s) and stemming (words/s) against Snowball (rust-stemmers).
    Text {
        /// A UTF-8 text file to measure on (default: the corpus of ../shared/data).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Repeat the corpus until it is at least this many MiB.
        #[arg(long, default_value_t = 64)]
        min_mib: usize,
        /// Write the corpus used (one text per line) to this file, for the Python anchors.
        #[arg(long)]
        write_corpus: Option<PathBuf>,
        /// Exit non-zero when stemming is below 1.5x Snowball in this run (the same-run ratio;
        /// absolute MB/s is reported, not enforced, as it depends on the machine's load).
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // a closed stdout (`| head`) is not a failure
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tawasul: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Text { command } => text_cmd::run(command),
        Command::Bench { command } => match command {
            BenchCommand::Text {
                corpus,
                min_mib,
                write_corpus,
                check,
            } => bench::text(corpus, min_mib, write_corpus, check),
        },
    }
}
