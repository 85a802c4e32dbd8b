//! `tawasul import` and `tawasul stats` as scripts use them: the JSON summary, exit codes,
//! strict mode, duplicates across files, and an import killed midway then run again.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/ingest/tests/fixtures")
        .join(name)
}

fn tawasul(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("tawasul runs")
}

fn json(output: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {text}"))
}

fn import(data_dir: &Path, files: &[PathBuf], extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["import".into(), "--quiet".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tawasul(data_dir, &args)
}

fn stats(data_dir: &Path) -> serde_json::Value {
    let out = tawasul(data_dir, &["stats", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

#[test]
fn summary_and_stats_report_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [
        "v2_pages.jsonl",
        "v2_stream.jsonl",
        "v2_flat.jsonl",
        "v2_dm_events.jsonl",
        "v1_tweets.jsonl",
        "archive/data/tweets.js",
        "archive/data/direct-messages.js",
        "twarc.csv",
        "delimited.tsv",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    let out = import(dir.path(), &files, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out);
    assert_eq!(summary["files"], 9);
    assert_eq!(summary["skipped"], 5, "{summary}");
    let errors = summary["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    let stream_error = errors
        .iter()
        .find(|e| e["file"].as_str().unwrap().ends_with("v2_stream.jsonl"))
        .unwrap();
    assert_eq!(stream_error["line"], 4);
    assert!(stream_error["reason"]
        .as_str()
        .unwrap()
        .contains("invalid JSON"));
    assert_eq!(summary["direct_messages"], 6);

    let stats = stats(dir.path());
    for key in ["posts", "accounts", "direct_messages", "conversations"] {
        assert!(stats[key].as_u64().is_some(), "{key} missing: {stats}");
    }
    let by_kind = &stats["by_kind"];
    let sum: u64 = ["original", "retweet", "reply", "quote"]
        .iter()
        .map(|k| by_kind[k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, stats["posts"].as_u64().unwrap());
    assert_eq!(stats["direct_messages"], 6);
}

#[test]
fn duplicate_ids_across_files_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("again.jsonl.gz");
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&copy).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&std::fs::read(fixture("v2_pages.jsonl")).unwrap())
            .unwrap();
        gz.finish().unwrap();
    }
    let data = dir.path().join("data");
    assert!(import(&data, &[fixture("v2_pages.jsonl")], &[])
        .status
        .success());
    let once = stats(&data);
    assert_eq!(once["posts"], 5);
    let out = import(&data, &[copy, fixture("v2_pages.jsonl")], &[]);
    assert_eq!(json(&out)["posts"], 10, "records read");
    assert_eq!(stats(&data), once, "nothing changed");
}

#[test]
fn strict_stops_with_file_and_line_and_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let out = import(
        dir.path(),
        &[fixture("v2_stream.jsonl"), fixture("v2_pages.jsonl")],
        &["--strict"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("v2_stream.jsonl:4:"), "{stderr}");
    let summary = json(&out);
    assert_eq!(summary["files"], 1, "the second file was not started");
    assert_eq!(stats(dir.path())["posts"], 2);
}

#[test]
fn unreadable_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let out = import(&dir.path().join("d"), &[missing], &[]);
    assert!(out.status.success(), "non-strict: reported, not fatal");
    let summary = json(&out);
    assert!(
        summary["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("nope.jsonl"),
        "{summary}"
    );

    let out = import(
        &dir.path().join("d"),
        &[fixture("delimited.tsv")],
        &["--columns", "id=tweet_no"],
    );
    let summary = json(&out);
    assert!(
        summary["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("tweet_no"),
        "{summary}"
    );
    let out = import(
        &dir.path().join("d"),
        &[fixture("delimited.tsv")],
        &["--strict", "--columns", "id=tweet_no"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tweet_no"));
}

#[test]
fn a_registry_file_replaces_the_shipped_one_and_a_bad_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert_eq!(stats(&data)["bodies"], 16, "the shipped registry");
    let good = dir.path().join("mine.toml");
    std::fs::write(
        &good,
        "[[body]]\nkey = \"transport\"\nkind = \"ministry\"\nname_ar = \"وزارة النقل\"\nname_en = \"Ministry of Transport\"\naccounts = [{ handle = \"MoTransport\", kind = \"official\" }]\n",
    )
    .unwrap();
    let out = tawasul(
        &data,
        &["--registry", &good.display().to_string(), "stats", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["bodies"], 1);
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[body]]\nkey = \"x\"\nkind = \"kingdom\"\nname_ar = \"x\"\nname_en = \"x\"\n",
    )
    .unwrap();
    let out = tawasul(
        &data,
        &["--registry", &bad.display().to_string(), "stats", "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("kingdom"),
        "{stderr}"
    );
    assert_eq!(stats(&data)["bodies"], 1, "the bad file changed nothing");
}

/// The store's indexes and the definitions still waiting to be built, read straight from the
/// file (opening it through tawasul would build them).
fn schema_without_opening(data_dir: &Path) -> String {
    let db = data_dir.join("tawasul.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let mut text = String::new();
        for sql in [
            "SELECT 'index ' || name FROM sqlite_master WHERE type = 'index' ORDER BY name",
            "SELECT 'deferred ' || name FROM deferred_indexes ORDER BY name",
        ] {
            for name in sqlx::query_scalar::<_, String>(sql)
                .fetch_all(&pool)
                .await
                .unwrap()
            {
                text.push_str(&name);
                text.push('\n');
            }
        }
        pool.close().await;
        text
    })
}

/// Posts and conversations as a user would see them, for comparing whole stores.
fn dump(data_dir: &Path) -> String {
    let db = data_dir.join("tawasul.db");
    let out = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .args([
            "--data-dir",
            &data_dir.display().to_string(),
            "stats",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Row;
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display())).await.unwrap();
        let mut text = String::from_utf8_lossy(&out.stdout).to_string();
        for sql in [
            "SELECT name FROM sqlite_master ORDER BY name",
            "SELECT id || '|' || kind || '|' || text || '|' || IFNULL(thread_root, '') || '|' || IFNULL(likes, '') FROM posts ORDER BY id",
            "SELECT IFNULL(root_post_id, '') || '|' || IFNULL(dm_key, '') || '|' || messages FROM conversations ORDER BY root_post_id, dm_key",
            "SELECT id || '|' || IFNULL(followers, '') FROM accounts ORDER BY id",
            "SELECT post_id || '|' || codec || '|' || hex(raw) FROM post_sources ORDER BY post_id",
        ] {
            for row in sqlx::query(sql).fetch_all(&pool).await.unwrap() {
                text.push_str(&row.get::<String, _>(0));
                text.push('\n');
            }
        }
        pool.close().await;
        text
    })
}

#[test]
fn an_import_killed_midway_and_run_again_equals_one_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let collection = dir.path().join("collection.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .args([
            "bench",
            "import",
            "--generate-only",
            "--mb",
            "24",
            "--keep",
            &collection.display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let clean = dir.path().join("clean");
    assert!(import(&clean, std::slice::from_ref(&collection), &[])
        .status
        .success());

    let killed = dir.path().join("killed");
    for delay_ms in [150, 400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tawasul"))
            .args([
                "--data-dir",
                &killed.display().to_string(),
                "import",
                "--quiet",
                "--indexes",
                "defer",
                &collection.display().to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no cleanup runs
        let _ = child.wait();
    }
    assert!(import(&killed, &[collection], &["--indexes", "defer"])
        .status
        .success());
    // The run that finished built its deferred indexes itself, before any other open could.
    assert_eq!(
        schema_without_opening(&killed),
        schema_without_opening(&clean)
    );
    let (a, b) = (dump(&clean), dump(&killed));
    assert!(a.lines().count() > 10_000, "the dump covers the store");
    assert!(
        a == b,
        "a killed-then-rerun import differs from a clean one"
    );
}
