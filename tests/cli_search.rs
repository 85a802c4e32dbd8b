//! `tawasul kb import` and `tawasul search`: services routed to bodies, suggestions scoped to a
//! body, official posts indexed by the labelling pass, bad files rejected whole.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
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

fn hits(out: &Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn services_are_routed_and_suggested_within_a_body() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tawasul(
        dir.path(),
        &[
            "kb",
            "import",
            &fixture("services_kb.json").display().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["services"], 3);
    // Civil registry → interior, comprehensive health insurance → health; agriculture is not a
    // body of the shipped registry, so it stays general.
    assert_eq!(summary["routed_to_a_body"], 2);

    // A citizen's dialect question finds the service despite other spellings.
    let found = hits(&tawasul(
        dir.path(),
        &["search", "ازاي اطلع بدل فاقد للبطاقه؟"],
    ));
    assert_eq!(found[0]["title"], "بدل فاقد بطاقة الرقم القومي");
    assert_eq!(found[0]["body"], "interior");
    assert_eq!(
        found[0]["source"],
        "https://services.example.gov.eg/lost-national-id"
    );
    // Scoped to health, the interior service is never suggested.
    let scoped = hits(&tawasul(
        dir.path(),
        &["search", "بدل فاقد البطاقة حجز موعد", "--body", "health"],
    ));
    assert!(
        scoped
            .iter()
            .all(|h| h["body"] == "health" || h["body"] == "_any"),
        "{scoped:?}"
    );
    assert!(!scoped.is_empty());
    // Importing again replaces, never duplicates.
    tawasul(
        dir.path(),
        &[
            "kb",
            "import",
            &fixture("services_kb.json").display().to_string(),
        ],
    );
    let again = hits(&tawasul(
        dir.path(),
        &["search", "بدل فاقد", "--limit", "10"],
    ));
    assert_eq!(
        again
            .iter()
            .filter(|h| h["title"] == "بدل فاقد بطاقة الرقم القومي")
            .count(),
        1
    );
}

#[test]
fn a_bad_knowledge_base_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"service_name": "ok"}, {"description": "no name"}]"#,
    )
    .expect("write");
    let out = tawasul(dir.path(), &["kb", "import", &bad.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("item 2") && err.contains("service_name"),
        "{err}"
    );
    assert!(hits(&tawasul(dir.path(), &["search", "ok"])).is_empty());
}

#[test]
fn official_posts_become_suggestions_when_labelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = tawasul(
        data,
        &[
            "import",
            "--quiet",
            &fixture("report_thread.jsonl").display().to_string(),
        ],
    );
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let indexed = summary["labelling"]["indexed_passages"]
        .as_u64()
        .expect("count");
    // The ministry's answer to a citizen is at least a citizen_reply: a past official answer.
    assert!(indexed >= 1, "{summary}");
    let found = hits(&tawasul(
        data,
        &["search", "الحملة تبدأ امتى", "--body", "health"],
    ));
    assert!(
        found
            .iter()
            .any(|h| h["kind"] == "post"
                && h["source"].as_str().is_some_and(|s| s.contains("/status/"))),
        "{found:?}"
    );
}
