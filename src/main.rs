//! The `tawasul` command: a thin layer that parses arguments and calls the crates.

mod bench;
mod bench_import;
mod bench_report;
mod bench_serve;
mod classify_cmd;
mod corpus;
mod demo_data;
mod import_cmd;
mod kb_cmd;
mod label_cmd;
mod report_cmd;
mod serve_cmd;
mod text_cmd;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: the server's many short-lived buffers (rows, pages,
/// JSON) from threads that hand them to each other spent a fifth of its time in glibc's
/// arena locking and consolidation.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// tawasul: make government social-media accounts answer citizens, and measure how well.
#[derive(Parser)]
#[command(name = "tawasul", version, about)]
struct Cli {
    /// Where the store lives (created when missing).
    #[arg(
        long,
        global = true,
        default_value = "tawasul-data",
        env = "TAWASUL_DATA_DIR"
    )]
    data_dir: PathBuf,
    /// A registry of bodies and accounts (TOML, like crates/core/data/registry.toml) to store,
    /// replacing the one in the store.
    #[arg(long, global = true)]
    registry: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import X/Twitter files (v2 JSONL, v1.1 JSON, account archive, twarc-csv, delimited;
    /// .gz and .zip read directly). Prints a one-line JSON summary on stdout.
    Import {
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Input format; `auto` detects it from the content.
        #[arg(long, default_value = "auto", value_parser = ["auto", "x-v2", "x-v1", "x-archive", "twarc-csv", "delimited"])]
        format: String,
        /// Column mapping for delimited files, e.g. `id=tweet_id,author=handle,text=text`.
        #[arg(long, default_value = "")]
        columns: String,
        /// Stop at the first bad line (exit 1, naming file and line) instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Do not keep each post's source JSON (smaller store, no re-parsing later).
        #[arg(long)]
        no_raw: bool,
        /// Skip the labelling pass (post type, intent, body); `tawasul reclassify` runs it later.
        #[arg(long)]
        no_classify: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Secondary indexes on posts while writing: `defer` takes them off and builds them
        /// once at the end (much faster for big files; readers of the store scan meanwhile),
        /// `keep` leaves them, `auto` defers when the files are large next to the store.
        #[arg(long, default_value = "auto", value_parser = ["auto", "defer", "keep"])]
        indexes: String,
    },
    /// Train a model from a recipe (models/recipes/*.toml): cross-validates, then trains on all
    /// its data and writes the model and its evaluation report (`<out>.eval.md`).
    Train {
        /// The recipe.
        #[arg(long)]
        recipe: PathBuf,
        /// Where to write the model.
        #[arg(long)]
        out: PathBuf,
        /// Also write each selected item with its cross-validation fold, as `eval` does.
        #[arg(long)]
        write_folds: Option<PathBuf>,
    },
    /// Evaluate a recipe (k-fold cross-validation and its held-out file); prints JSON metrics.
    Eval {
        /// The recipe.
        #[arg(long)]
        recipe: PathBuf,
        /// Write each selected item as a JSON line {"fold","label","text"} for the anchors.
        #[arg(long)]
        write_folds: Option<PathBuf>,
    },
    /// Classify stdin: JSON lines {"id","text"} or plain lines; one JSON line out per line in:
    /// {"id","label","confidence"[,"needs_reply"]}. For `body`, an input's optional
    /// "addressed" (the body it was sent to) is weighed in as the inbox does.
    Classify {
        /// post_type, intent or body.
        #[arg(long, value_parser = ["post_type", "intent", "body"])]
        task: String,
        /// A model file (default: models/<task>.model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// body: how many times likelier the "addressed" body is taken to be a priori.
        #[arg(long, default_value_t = tawasul_classify::ADDRESSED_PRIOR)]
        prior: f32,
    },
    /// Scorecards of the registry's accounts over a period (dates inclusive, Africa/Cairo).
    Report {
        /// First day, YYYY-MM-DD (default: 29 days before --to).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default: the day of the latest stored post).
        #[arg(long)]
        to: Option<String>,
        /// Only these accounts (repeatable; default: every account but the presidency's).
        #[arg(long = "account")]
        accounts: Vec<String>,
        /// json, csv or html.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Language of the HTML page: ar (right to left) or en.
        #[arg(long, default_value = "ar")]
        lang: String,
        /// Compute as of this day's midnight instead of now (reproducible reports).
        #[arg(long)]
        as_of: Option<String>,
        /// A business calendar (TOML) instead of Sunday–Thursday 09:00–17:00 Cairo.
        #[arg(long)]
        calendar: Option<PathBuf>,
    },
    /// Generate a realistic demo corpus (X API v2 pages, clearly marked as demo data).
    DemoData {
        /// Seed: the same seed, days and end give the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days of activity.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Day after the last generated day, YYYY-MM-DD (default: today in Cairo).
        #[arg(long)]
        end: Option<String>,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build the demo: generate demo data, import it into a fresh directory, write the report.
    Demo {
        /// Directory of the demo store and report.
        #[arg(long, default_value = "tawasul-demo")]
        dir: PathBuf,
        /// Seed of the demo data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days of demo activity.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Day after the last demo day, YYYY-MM-DD (default: today in Cairo).
        #[arg(long)]
        end: Option<String>,
        /// Where the demo serves the web app.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Build the demo (store, inbox, users, report) and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Serve the inbox, the web app and the REST API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Users of the web app and the API.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The services knowledge base: `kb import FILE...` indexes it for suggested answers.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Suggested answers for a citizen's message: the best passages of official posts and
    /// services (JSON lines, best first).
    Search {
        /// The message.
        text: String,
        /// Only this body's documents and general ones.
        #[arg(long)]
        body: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// Label every stored post again with the current models (after a model change).
    Reclassify,
    /// What the store holds.
    Stats {
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
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
enum KbCommand {
    /// Index services (a JSON list like `shared/data/services/digital_gov_eg_services.json`).
    Import {
        /// Files to index.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Route every service of these files to this body (default: by category).
        #[arg(long)]
        body: Option<String>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Import throughput (MB/s) and peak memory of `tawasul import` on a large v2 collection.
    Import {
        /// A file to import instead of the generated collection.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Size of the generated collection in MB.
        #[arg(long, default_value_t = 200)]
        mb: u64,
        /// Keep the generated collection at this path (for the twarc-csv anchor).
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Only generate the collection (at --keep) and exit.
        #[arg(long, requires = "keep")]
        generate_only: bool,
        /// Exit non-zero when peak memory is above the 300 MB bar.
        #[arg(long)]
        check: bool,
    },
    /// Scorecards of every account over a synthetic store (default 10 million posts), end to
    /// end from SQLite, and the report page's render time.
    Report {
        /// Posts and messages in the store.
        #[arg(long, default_value_t = 10_000_000)]
        items: u64,
        /// Keep the store here (reused when it already holds `items` posts; for the anchor).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The inbox under load: concurrent agents on the inbox list and conversation pages while
    /// a connector ingests citizen messages; latency percentiles, throughput, no loss.
    Serve {
        /// Concurrent agents, each with its own session and connection.
        #[arg(long, default_value_t = 100)]
        agents: usize,
        /// Duration of the run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Citizen messages ingested per second meanwhile.
        #[arg(long, default_value_t = 1_000)]
        rate: u64,
        /// Keep the store here.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
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

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from stdin (first line, 10 characters or more).
    Add {
        /// Login name.
        name: String,
        /// administrator, supervisor, agent or analyst.
        #[arg(long, value_parser = ["administrator", "supervisor", "agent", "analyst"])]
        role: String,
        /// A body the user works for (repeatable; required except for administrators).
        #[arg(long)]
        body: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token acting as the user NAME (only its hash is stored).
    Create {
        /// The user.
        name: String,
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
        Command::Import {
            files,
            format,
            columns,
            strict,
            no_raw,
            no_classify,
            quiet,
            indexes,
        } => import_cmd::import(import_cmd::ImportArgs {
            data_dir: cli.data_dir,
            registry: cli.registry,
            files,
            format: tawasul_ingest::Format::parse(&format).unwrap_or(tawasul_ingest::Format::Auto),
            columns,
            strict,
            keep_raw: !no_raw,
            quiet,
            classify: !no_classify,
            indexes: import_cmd::IndexPolicy::parse(&indexes)
                .unwrap_or(import_cmd::IndexPolicy::Auto),
        }),
        Command::Report {
            from,
            to,
            accounts,
            format,
            out,
            lang,
            as_of,
            calendar,
        } => report_cmd::report(report_cmd::ReportArgs {
            data_dir: cli.data_dir,
            registry: cli.registry,
            from,
            to,
            accounts,
            format,
            out,
            lang,
            as_of,
            calendar,
        }),
        Command::DemoData {
            seed,
            days,
            end,
            out,
        } => {
            let registry = match &cli.registry {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading the registry {}", path.display()))?;
                    tawasul_core::Registry::from_toml(&text, &path.display().to_string())?
                }
                None => tawasul_core::Registry::shipped(),
            };
            let posts = demo_data::run(&registry, seed, days, end.as_deref(), out.as_deref())?;
            eprintln!("tawasul: {posts} demo posts generated");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            dir,
            seed,
            days,
            end,
            listen,
            no_serve,
        } => demo_data::demo(&dir, seed, days, end.as_deref()).and_then(|code| {
            serve_cmd::demo_serve(&dir, (!no_serve).then_some(listen.as_str()))?;
            Ok(code)
        }),
        Command::Serve { listen } => {
            serve_cmd::serve(&cli.data_dir, cli.registry.as_deref(), &listen)
        }
        Command::User {
            command: UserCommand::Add { name, role, body },
        } => serve_cmd::user_add(&cli.data_dir, cli.registry.as_deref(), &name, &role, &body),
        Command::Token {
            command: TokenCommand::Create { name },
        } => serve_cmd::token_create(&cli.data_dir, cli.registry.as_deref(), &name),
        Command::Kb {
            command: KbCommand::Import { files, body },
        } => kb_cmd::import(&cli.data_dir, &files, body.as_deref()),
        Command::Search { text, body, limit } => {
            kb_cmd::search(&cli.data_dir, &text, body.as_deref(), limit)
        }
        Command::Reclassify => label_cmd::reclassify(&cli.data_dir, cli.registry.as_deref()),
        Command::Train {
            recipe,
            out,
            write_folds,
        } => classify_cmd::train(
            &recipe,
            &out,
            &corpus::shared_data_dir(),
            write_folds.as_deref(),
        ),
        Command::Eval {
            recipe,
            write_folds,
        } => classify_cmd::eval(&recipe, &corpus::shared_data_dir(), write_folds.as_deref()),
        Command::Classify { task, model, prior } => classify_cmd::classify(&task, model, prior),
        Command::Stats { json } => import_cmd::stats(&cli.data_dir, cli.registry.as_deref(), json),
        Command::Text { command } => text_cmd::run(command),
        Command::Bench { command } => match command {
            BenchCommand::Import {
                input,
                mb,
                keep,
                generate_only,
                check,
            } => {
                if generate_only {
                    let path = keep.context("--generate-only needs --keep")?;
                    let posts = bench_import::generate(&path, mb * 1_000_000, 20_240_310)?;
                    println!(
                        "{}",
                        serde_json::json!({"file": path.display().to_string(), "posts": posts})
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                bench_import::bench(input, mb, keep, check)
            }
            BenchCommand::Report { items, dir } => bench_report::bench(items, dir),
            BenchCommand::Serve {
                agents,
                seconds,
                rate,
                dir,
            } => bench_serve::bench(agents, seconds, rate, dir.as_deref()),
            BenchCommand::Text {
                corpus,
                min_mib,
                write_corpus,
                check,
            } => bench::text(corpus, min_mib, write_corpus, check),
        },
    }
}
