//! `tawasul report`, `demo-data` and the labelling pass end to end: a hand-made thread whose
//! numbers are known, the demo corpus, and every output format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tawasul(data_dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("tawasul runs");
    assert!(
        out.status.success(),
        "tawasul {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn account<'a>(report: &'a serde_json::Value, handle: &str) -> &'a serde_json::Value {
    report["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| {
            a["handle"]
                .as_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(handle))
        })
        .unwrap_or_else(|| panic!("{handle} in the report"))
}

#[test]
fn a_known_thread_gives_known_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let import = stdout_json(&tawasul(
        data,
        &[
            "import",
            "--quiet",
            &fixture("report_thread.jsonl").display().to_string(),
        ],
    ));
    // The labelling pass saw the four posts: two official (post_type), two citizens' (intent).
    assert_eq!(import["labelling"]["looked_at"], 4);
    assert_eq!(import["labelling"]["post_types"], 2);
    assert_eq!(import["labelling"]["intents"], 2);
    // The import's last step writes the scan cache, so the first report reads it, not SQLite.
    let cache = tawasul_store::scan_cache_path(&data.join("tawasul.db"));
    let prepared = std::fs::metadata(&cache)
        .and_then(|m| m.modified())
        .expect("the import leaves a scan cache");
    let report = stdout_json(&tawasul(
        data,
        &[
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2026-03-01",
        ],
    ));
    assert_eq!(report["from"], "2026-01-01");
    assert_eq!(report["to"], "2026-01-31");
    assert_eq!(
        std::fs::metadata(&cache).and_then(|m| m.modified()).ok(),
        Some(prepared),
        "the report read the prepared cache instead of writing a new one"
    );
    assert_eq!(report["demo_data"], false);
    let moh = account(&report, "mohpegypt");
    assert_eq!(moh["body"], "health");
    assert_eq!(moh["posts"], 2);
    assert_eq!(moh["originals"], 1);
    assert_eq!(moh["replies_to_citizens"], 1);
    assert_eq!(moh["citizen_messages"], 2);
    assert_eq!(moh["answered_7d"], 1);
    assert_eq!(moh["reply_rate"], 0.5);
    // x-formats.md §3.6: 09:15:02.123 → 11:40:30.456 UTC, to the millisecond of the snowflakes.
    // Half the messages answered at that time: the Kaplan–Meier median is reached there.
    assert_eq!(moh["median_response_s"], 8728.333);
    // Sunday 11:15–13:40 Cairo: all inside office hours.
    assert_eq!(moh["median_business_response_s"], 8728.333);
    assert_eq!(moh["p90_response_s"], serde_json::Value::Null);
    assert_eq!(moh["p90_not_reached"], true);
    assert_eq!(moh["followers"], 2_000_000);
    let labelled: u64 = moh["post_types"]
        .as_object()
        .expect("map")
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert_eq!(labelled, 2);
    // Accounts nobody wrote to have null rates and times, never zeros.
    let awqaf = account(&report, "AwkafOnline");
    assert_eq!(awqaf["citizen_messages"], 0);
    assert_eq!(awqaf["reply_rate"], serde_json::Value::Null);
    assert_eq!(awqaf["median_response_s"], serde_json::Value::Null);

    // One account only.
    let only = stdout_json(&tawasul(
        data,
        &[
            "report",
            "--account",
            "@MOHPEGYPT",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ],
    ));
    assert_eq!(only["accounts"].as_array().map(Vec::len), Some(1));

    // CSV: a header with the JSON's columns and one row per account.
    let csv_out = tawasul(
        data,
        &[
            "report",
            "--format",
            "csv",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2026-03-01",
        ],
    );
    let csv = String::from_utf8(csv_out.stdout).expect("utf-8");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    for column in [
        "handle",
        "body",
        "posts",
        "originals",
        "retweets",
        "president_retweets",
        "replies_to_citizens",
        "citizen_messages",
        "needs_reply",
        "answered_7d",
        "reply_rate",
        "median_response_s",
        "p90_response_s",
        "median_business_response_s",
        "interactivity_index",
        "post_type_service",
    ] {
        assert!(header.contains(&column), "CSV column {column}");
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        report["accounts"].as_array().map_or(0, Vec::len)
    );
    let moh_row = rows
        .iter()
        .find(|r| r.contains(",mohpegypt,"))
        .expect("row");
    let cells: Vec<&str> = moh_row.split(',').collect();
    let at = |name: &str| cells[header.iter().position(|h| *h == name).expect("column")];
    assert_eq!(at("reply_rate"), "0.5");
    assert_eq!(at("median_response_s"), "8728.333");
    assert_eq!(at("p90_response_s"), "");

    // HTML: one page, no scripts, hostile text escaped.
    let page = dir.path().join("report.html");
    tawasul(
        data,
        &[
            "report",
            "--format",
            "html",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--out",
            &page.display().to_string(),
        ],
    );
    let html = std::fs::read_to_string(&page).expect("written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "no script, even from a hashtag"
    );
    assert!(html.contains("#&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network dependency"
    );
    assert!(html.contains("<svg"));
    let en = tawasul(
        data,
        &[
            "report",
            "--format",
            "html",
            "--lang",
            "en",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ],
    );
    let en = String::from_utf8(en.stdout).expect("utf-8");
    assert!(en.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(en.contains("Who answers, and how fast"));
}

#[test]
fn bad_report_options_name_the_option() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, needle) in [
        (vec!["report", "--from", "2026-13-01"], "--from"),
        (vec!["report", "--format", "pdf"], "--format"),
        (vec!["report", "--account", "nobody_here"], "--account"),
        (
            vec!["report", "--from", "2026-02-01", "--to", "2026-01-01"],
            "after",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tawasul"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(&args)
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn demo_data_is_reproducible_marked_and_tells_accounts_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    let c = dir.path().join("c.jsonl");
    let gen = |path: &Path, seed: &str| {
        tawasul(
            dir.path(),
            &[
                "demo-data",
                "--seed",
                seed,
                "--days",
                "14",
                "--end",
                "2026-03-01",
                "--out",
                &path.display().to_string(),
            ],
        );
        std::fs::read(path).expect("written")
    };
    let first = gen(&a, "7");
    assert_eq!(first, gen(&b, "7"), "same seed, same bytes");
    assert_ne!(first, gen(&c, "8"));
    let text = String::from_utf8(first).expect("utf-8");
    assert!(text.contains("\"demo_data\":true"));
    assert!(text.contains("حساب تجريبي"));

    let data = dir.path().join("store");
    tawasul(&data, &["import", "--quiet", &a.display().to_string()]);
    let report = stdout_json(&tawasul(
        &data,
        &[
            "report",
            "--from",
            "2026-02-15",
            "--to",
            "2026-02-28",
            "--as-of",
            "2026-03-20",
        ],
    ));
    let accounts = report["accounts"].as_array().expect("accounts");
    assert_eq!(
        accounts.len(),
        10,
        "every ministry account, not the presidency"
    );
    let indexes: Vec<f64> = accounts
        .iter()
        .map(|a| a["interactivity_index"].as_f64().expect("index"))
        .collect();
    assert!(
        indexes.windows(2).all(|w| w[0] >= w[1]),
        "ranked: {indexes:?}"
    );
    for a in accounts {
        let messages = a["citizen_messages"].as_u64().expect("count");
        let answered = a["answered_7d"].as_u64().expect("count");
        assert!(messages > 0, "{} got messages", a["handle"]);
        let rate = a["reply_rate"].as_f64().expect("rate");
        assert!((rate - answered as f64 / messages as f64).abs() < 1e-4);
        assert!(a["needs_reply"].as_u64().expect("count") <= messages);
        assert!(a["post_types"]
            .as_object()
            .is_some_and(|m| m.values().any(|v| v.as_u64() > Some(0))));
    }
    // The demo's profiles: health answers most, international cooperation never.
    let health = account(&report, "mohpegypt")["reply_rate"]
        .as_f64()
        .expect("rate");
    let moic = account(&report, "MOICEgypt")["reply_rate"]
        .as_f64()
        .expect("rate");
    assert!(health > 0.4 && moic == 0.0, "health {health}, moic {moic}");
    assert!(account(&report, "CabinetEgy")["president_retweets"].as_u64() > Some(0));

    // Reclassify forgets model labels and labels the same posts again, identically.
    let again = stdout_json(&tawasul(&data, &["reclassify"]));
    assert!(again["reset"].as_u64() > Some(0));
    let report2 = stdout_json(&tawasul(
        &data,
        &[
            "report",
            "--from",
            "2026-02-15",
            "--to",
            "2026-02-28",
            "--as-of",
            "2026-03-20",
        ],
    ));
    assert_eq!(report["accounts"], report2["accounts"]);
}

#[test]
fn a_registry_change_relabels_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let fixture = fixture("report_thread.jsonl").display().to_string();
    tawasul(&data, &["import", "--quiet", &fixture]);
    let window = [
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--as-of",
        "2026-03-01",
    ];
    let before = stdout_json(&tawasul(&data, &window));
    assert_eq!(account(&before, "mohpegypt")["citizen_messages"], 2);

    // A deployment whose only government account is the citizen who asked: the ministry's
    // posts become citizens' posts and the asker's become government posts.
    let custom = dir.path().join("registry.toml");
    std::fs::write(
        &custom,
        "[[body]]\nkey = \"test_body\"\nkind = \"authority\"\nname_ar = \"جهة\"\nname_en = \"Body\"\naccounts = [{ platform = \"x\", handle = \"citizen_a\", kind = \"official\" }]\n",
    )
    .expect("write");
    let mut args = vec!["--registry", custom.to_str().expect("utf-8")];
    args.extend(window);
    let changed = stdout_json(&tawasul(&data, &args));
    let accounts = changed["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["handle"], "citizen_a");
    assert_eq!(accounts[0]["posts"], 1);
    // The ministry's answer (addressed to citizen_a) is now a citizen's message to it.
    assert_eq!(accounts[0]["citizen_messages"], 1);

    // Back to the shipped registry: the first figures again.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/core/data/registry.toml");
    let mut args = vec!["--registry", shipped.to_str().expect("utf-8")];
    args.extend(window);
    let again = stdout_json(&tawasul(&data, &args));
    assert_eq!(account(&again, "mohpegypt"), account(&before, "mohpegypt"));
}

#[test]
fn demo_builds_the_report_and_never_overwrites_real_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    let demo_arg = demo.display().to_string();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tawasul"))
            .args(args)
            .output()
            .expect("runs")
    };
    let out = run(&[
        "demo",
        "--no-serve",
        "--dir",
        &demo_arg,
        "--days",
        "7",
        "--end",
        "2026-03-01",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("report.json")).expect("json"))
            .expect("valid");
    assert_eq!(
        report["demo_data"], true,
        "a demo store says so in every report"
    );
    let html = std::fs::read_to_string(demo.join("report.html")).expect("html");
    assert!(html.contains("class=\"demo\""));
    assert!(demo.join("report.en.html").exists());
    // Run again: starts afresh, same number of posts (not doubled).
    let stats = |d: &Path| stdout_json(&tawasul(d, &["stats", "--json"]))["posts"].clone();
    let first = stats(&demo);
    let again = run(&[
        "demo",
        "--no-serve",
        "--dir",
        &demo_arg,
        "--days",
        "7",
        "--end",
        "2026-03-01",
    ]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(stats(&demo), first);

    let real = dir.path().join("real");
    tawasul(
        &real,
        &[
            "import",
            "--quiet",
            &fixture("report_thread.jsonl").display().to_string(),
        ],
    );
    let out = run(&["demo", "--no-serve", "--dir", &real.display().to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not demo data"));
    assert_eq!(stats(&real), 4);
}
