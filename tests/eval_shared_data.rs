//! Evaluation on the real third-party samples in `../shared/data` (read from there, never
//! copied): every post in every file is stored exactly once, counted independently of the
//! readers with a generic JSON/CSV walk.
//!
//! Without the shared data the test prints a loud SKIP; with `TAWASUL_REQUIRE_ALL=1` (CI) a
//! skip is a failure.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("TAWASUL_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("formats").is_dir() {
        return Some(dir);
    }
    let reason = format!("shared data not found at {}", dir.display());
    if std::env::var("TAWASUL_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("TAWASUL_REQUIRE_ALL=1 and {reason}");
    }
    eprintln!("\n**** SKIP eval_shared_data: {reason} ****\n");
    None
}

fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Ids of every tweet object in a v2 line: data items with text, included tweets, and (for
/// flattened lines) inline referenced tweets.
fn v2_ids(line: &Value, ids: &mut HashSet<u64>) {
    let tweet = |t: &Value, ids: &mut HashSet<u64>| {
        if t.get("text").is_some() {
            if let Some(id) = t.get("id").and_then(id_of) {
                ids.insert(id);
            }
        }
    };
    match line.get("data") {
        Some(Value::Array(items)) => items.iter().for_each(|t| tweet(t, ids)),
        Some(item @ Value::Object(_)) => tweet(item, ids),
        Some(_) => {}
        None => {
            tweet(line, ids);
            for r in line
                .get("referenced_tweets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                tweet(r, ids);
            }
        }
    }
    for t in line
        .pointer("/includes/tweets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        tweet(t, ids);
    }
}

/// Ids of a v1.1 tweet and the tweets embedded in it.
fn v1_ids(t: &Value, ids: &mut HashSet<u64>) {
    if let Some(id) = t.get("id_str").and_then(id_of) {
        ids.insert(id);
    }
    for key in ["retweeted_status", "quoted_status"] {
        if let Some(inner) = t.get(key) {
            v1_ids(inner, ids);
        }
    }
}

struct Expected {
    ids: HashSet<u64>,
    bad_lines: Vec<u64>,
    lines: u64,
}

fn expected_json_lines(path: &Path, v1: bool) -> Expected {
    let file = std::fs::File::open(path).unwrap();
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut expected = Expected {
        ids: HashSet::new(),
        bad_lines: Vec::new(),
        lines: 0,
    };
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        expected.lines += 1;
        match serde_json::from_str::<Value>(&line) {
            Ok(v) if v1 => v1_ids(&v, &mut expected.ids),
            Ok(v) => v2_ids(&v, &mut expected.ids),
            Err(_) => expected.bad_lines.push(i as u64 + 1),
        }
    }
    expected
}

fn import(data_dir: &Path, files: &[PathBuf]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["import", "--quiet"])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stats(data_dir: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["stats", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_post_of_every_real_sample_is_stored_exactly_once() {
    let Some(shared) = shared_data() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let mut all_ids = HashSet::new();
    let mut all_files = Vec::new();
    let mut report = Vec::new();
    let mut formats: Vec<PathBuf> = std::fs::read_dir(shared.join("formats"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    formats.sort();
    for path in formats {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let expected = expected_json_lines(&path, name.starts_with("x_v1_1"));
        let data_dir = scratch.path().join(&name);
        let summary = import(&data_dir, std::slice::from_ref(&path));
        let stats = stats(&data_dir);
        let reported: Vec<u64> = summary["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["line"].as_u64().unwrap())
            .collect();
        assert_eq!(reported, expected.bad_lines, "{name}: bad lines");
        assert_eq!(
            stats["posts"].as_u64().unwrap(),
            expected.ids.len() as u64,
            "{name}: posts"
        );
        report.push(format!(
            "{name}: {} lines, {} posts, {} bad lines",
            expected.lines,
            expected.ids.len(),
            expected.bad_lines.len()
        ));
        all_ids.extend(expected.ids);
        all_files.push(path);
    }

    // The CT22 dump's facts from the reference: 4,927 lines for 4,705 distinct tweets.
    let ct22 = expected_json_lines(&shared.join("formats/x_v1_1_ct22_arabic.jsonl.gz"), true);
    assert_eq!(ct22.lines, 4_927);
    let gz = flate2::read::MultiGzDecoder::new(
        std::fs::File::open(shared.join("formats/x_v1_1_ct22_arabic.jsonl.gz")).unwrap(),
    );
    let top_level: HashSet<u64> = BufReader::new(gz)
        .lines()
        .filter_map(|l| {
            serde_json::from_str::<Value>(&l.ok()?)
                .ok()?
                .get("id_str")
                .and_then(id_of)
        })
        .collect();
    assert_eq!(top_level.len(), 4_705);
    // The truncated last line of the stream sample is reported, with its number.
    let stream = expected_json_lines(
        &shared.join("formats/x_v2_streaming_output_with_error.jsonl"),
        false,
    );
    assert_eq!(stream.bad_lines, vec![8]);

    // AuRED timelines as they are (a delimited file, columns found by name).
    let aured = shared.join("official/aured_timelines.tsv");
    let text = std::fs::read_to_string(&aured).unwrap();
    let aured_ids: HashSet<u64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next()?.trim().parse().ok())
        .collect();
    let data_dir = scratch.path().join("aured");
    let summary = import(&data_dir, std::slice::from_ref(&aured));
    assert_eq!(summary["skipped"], 0, "{summary}");
    let aured_stats = stats(&data_dir);
    assert_eq!(
        aured_stats["posts"].as_u64().unwrap(),
        aured_ids.len() as u64
    );
    let kinds = |k: &str| {
        text.lines()
            .skip(1)
            .filter(|l| l.split('\t').nth(3) == Some(k))
            .count() as u64
    };
    assert_eq!(
        aured_stats["by_kind"]["retweet"].as_u64().unwrap(),
        kinds("retweet")
    );
    assert_eq!(
        aured_stats["by_kind"]["reply"].as_u64().unwrap(),
        kinds("reply_or_mention")
    );
    report.push(format!("aured_timelines.tsv: {} posts", aured_ids.len()));
    all_ids.extend(aured_ids);
    all_files.push(aured);

    // Everything into one store, twice: each post once, and the second run changes nothing.
    let together = scratch.path().join("together");
    import(&together, &all_files);
    let first = stats(&together);
    assert_eq!(first["posts"].as_u64().unwrap(), all_ids.len() as u64);
    import(&together, &all_files);
    assert_eq!(stats(&together), first);
    eprintln!(
        "eval_shared_data:\n  {}\n  all files together: {first}",
        report.join("\n  ")
    );
}

/// The real services knowledge base (`shared/data/services`): every service indexed, and a
/// citizen's dialect question finds the matching service among the first suggestions.
#[test]
fn the_real_knowledge_base_answers_dialect_questions() {
    let Some(shared) = shared_data() else { return };
    let file = shared.join("services/digital_gov_eg_services.json");
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("readable")).expect("JSON");
    let distinct_urls: HashSet<&str> = expected
        .iter()
        .filter_map(|s| s["service_url"].as_str())
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tawasul"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .expect("runs")
    };
    let out = run(&["kb", "import", &file.display().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["services"], expected.len());
    assert_eq!(
        summary["indexed_total"],
        distinct_urls.len(),
        "one document per service URL"
    );
    for (question, wanted) in [
        (
            "ازاي اطلع بدل فاقد للبطاقة الشخصية؟",
            "بدل فاقد بطاقة الرقم القومي",
        ),
        ("عايز اجدد رخصة العربية", "تجديد رخصة مركبة"),
    ] {
        let out = run(&["search", question, "--limit", "3"]);
        let titles: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|h| h["title"].as_str().map(String::from))
            .collect();
        eprintln!("eval_shared_data: {question} -> {titles:?}");
        assert!(titles.iter().any(|t| t == wanted), "{question}: {titles:?}");
    }
}
