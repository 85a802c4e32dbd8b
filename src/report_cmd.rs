//! `tawasul report`: scorecards for every government account of the registry over a period, as
//! JSON, CSV or a self-contained HTML page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{Duration, NaiveDate, TimeZone};
use tawasul_core::scorecard::{GovAccount, Scorecard, ScorecardEngine, Window};
use tawasul_core::{BusinessCalendar, CalendarSpec};
use tawasul_report::{Lang, ReportMeta};
use tawasul_store::{SqliteStore, StoreError};

/// Options of one report.
pub struct ReportArgs {
    pub data_dir: PathBuf,
    pub registry: Option<PathBuf>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub accounts: Vec<String>,
    pub format: String,
    pub out: Option<PathBuf>,
    pub lang: String,
    pub as_of: Option<String>,
    pub calendar: Option<PathBuf>,
}

/// Key of the store setting that marks generated demo data.
pub const DEMO_MARKER: &str = "demo_data";

fn parse_date(text: &str, flag: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag} {text:?}: expected a date YYYY-MM-DD"))
}

/// Unix ms of local midnight starting `day` in the calendar's zone.
fn midnight_ms(calendar: &BusinessCalendar, day: NaiveDate) -> i64 {
    calendar.local_to_utc_ms(day, 0)
}

/// Computes scorecards from a store: the pure engine fed by one pass over the posts.
pub async fn compute(
    store: &SqliteStore,
    accounts_wanted: &[String],
    window: Window,
    calendar: BusinessCalendar,
) -> Result<(Vec<Scorecard>, BTreeMap<String, (String, String)>, u64)> {
    let registered = store.registered_accounts().await?;
    let wanted: Vec<String> = accounts_wanted
        .iter()
        .map(|h| h.trim_start_matches('@').to_ascii_lowercase())
        .collect();
    for handle in &wanted {
        if !registered
            .iter()
            .any(|a| &a.handle.to_ascii_lowercase() == handle)
        {
            bail!("--account @{handle}: not a government account of the registry");
        }
    }
    let mut names = BTreeMap::new();
    let mut accounts = Vec::new();
    for account in registered {
        let facts = store.account_facts(&account.handle).await?;
        let is_president = account.kind == "president" || account.body_kind == "presidency";
        let lower = account.handle.to_ascii_lowercase();
        let report = if wanted.is_empty() {
            !is_president
        } else {
            wanted.contains(&lower)
        };
        names.insert(
            account.body_key.clone(),
            (account.name_ar.clone(), account.name_en.clone()),
        );
        accounts.push(GovAccount {
            handle: facts.handle.unwrap_or(account.handle),
            body: account.body_key,
            user_id: facts.user_id,
            is_president,
            followers: facts.followers,
            report,
        });
    }
    // Ids were resolved from the store's own posts above: an account without one never posted
    // with an author id, so no post needs its handle compared.
    let new_engine =
        || ScorecardEngine::new(accounts.clone(), window, calendar.clone()).ids_resolved();
    let mut engine = new_engine();
    if let Some(rows) = store.scan_rows_hint().await? {
        engine.reserve_rows(usize::try_from(rows).unwrap_or(0));
    }
    let scanned = match store.scan_posts(|post| engine.push(post)).await {
        Err(StoreError::CorruptCache(reason)) => {
            // The damaged cache is gone: start again from SQLite with a fresh engine.
            eprintln!("tawasul: {reason}; reading the store instead");
            engine = new_engine();
            store.scan_posts(|post| engine.push(post)).await?
        }
        other => other?,
    };
    Ok((engine.finish(), names, scanned))
}

/// Reads a setting of the store (`store_meta`).
pub async fn store_flag(store: &SqliteStore, key: &str) -> Result<bool> {
    Ok(store.get_meta(key).await?.as_deref() == Some("1"))
}

/// Labels what is not labelled yet, then computes the scorecards of a period (the defaults of
/// `tawasul report`: the 30 days up to the latest stored post, as of now).
pub async fn build(
    store: &SqliteStore,
    from: Option<&str>,
    to: Option<&str>,
    accounts: &[String],
    as_of: Option<&str>,
    calendar: BusinessCalendar,
) -> Result<(ReportMeta, Vec<Scorecard>, u64)> {
    // Posts imported with --no-classify are labelled first: scorecards read labelled posts.
    crate::label_cmd::label_new_posts(store).await?;
    let to = match to {
        Some(text) => parse_date(text, "--to")?,
        // Only asked for when needed: the latest time is a pass over an index of every post.
        None => store
            .latest_post_ms()
            .await?
            .map(|ms| calendar.local_date(ms))
            .unwrap_or_else(|| calendar.local_date(crate::import_cmd::now_ms())),
    };
    let from = match from {
        Some(text) => parse_date(text, "--from")?,
        None => to - Duration::days(29),
    };
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let as_of_ms = match as_of {
        Some(text) => midnight_ms(&calendar, parse_date(text, "--as-of")?),
        None => crate::import_cmd::now_ms(),
    };
    let window = Window {
        from_ms: midnight_ms(&calendar, from),
        to_ms: midnight_ms(&calendar, to + Duration::days(1)),
        as_of_ms,
    };
    let tz = calendar.timezone();
    let (cards, body_names, scanned) = compute(store, accounts, window, calendar).await?;
    let as_of = tz
        .timestamp_millis_opt(as_of_ms)
        .single()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default();
    let meta = ReportMeta {
        from: from.to_string(),
        to: to.to_string(),
        as_of,
        timezone: tz.name().to_string(),
        body_names,
        demo: store_flag(store, DEMO_MARKER).await?,
    };
    Ok((meta, cards, scanned))
}

/// Runs `tawasul report`.
pub fn report(args: ReportArgs) -> Result<ExitCode> {
    let lang =
        Lang::parse(&args.lang).with_context(|| format!("--lang {:?}: ar or en", args.lang))?;
    if !matches!(args.format.as_str(), "json" | "csv" | "html") {
        bail!("--format {:?}: json, csv or html", args.format);
    }
    let calendar = match &args.calendar {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the calendar {}", path.display()))?;
            CalendarSpec::from_toml(&text)
                .and_then(|spec| spec.build())
                .with_context(|| path.display().to_string())?
        }
        None => BusinessCalendar::default(),
    };
    let runtime = crate::import_cmd::runtime()?;
    let store = crate::import_cmd::open_store(&runtime, &args.data_dir, args.registry.as_deref())?;
    let started = Instant::now();
    let (meta, cards, scanned) = runtime.block_on(build(
        &store,
        args.from.as_deref(),
        args.to.as_deref(),
        &args.accounts,
        args.as_of.as_deref(),
        calendar,
    ))?;
    let computed = started.elapsed();
    let text = match args.format.as_str() {
        "json" => format!("{}\n", tawasul_report::to_json(&meta, &cards)),
        "csv" => tawasul_report::to_csv(&meta, &cards)?,
        _ => tawasul_report::to_html(&meta, &cards, lang),
    };
    runtime.block_on(store.close());
    write_out(args.out.as_deref(), &text)?;
    eprintln!(
        "tawasul: report of {} accounts from {} posts in {:.0} ms",
        cards.len(),
        scanned,
        computed.as_secs_f64() * 1000.0
    );
    Ok(ExitCode::SUCCESS)
}

fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => {
            // Write beside and rename: a reader never sees half a report.
            let tmp = path.with_extension("tmp-tawasul");
            std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(())
}
