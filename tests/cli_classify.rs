//! `tawasul classify` with the shipped models, as scripts use it: one JSON line out per line
//! in, in order, ids kept; clear errors naming the line.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn classify(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .arg("classify")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn intent_lines_in_order_with_needs_reply() {
    let input = [
        r#"{"id": "a1", "text": "الخدمة زفت ومحدش بيرد على التليفون بقالي اسبوع"}"#,
        r#"{"id": 7, "text": "شكرا جزيلا على حسن المعاملة، ناس محترمين"}"#,
        "",
        "ازاي اجدد البطاقة وايه الأوراق المطلوبة؟",
    ]
    .join("\n");
    let out = classify(&["--task", "intent"], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&out);
    assert_eq!(got.len(), 4, "one line out per line in, the empty one too");
    assert_eq!(got[0]["id"], "a1");
    assert_eq!(got[1]["id"], 7);
    assert_eq!(got[2]["id"], 3, "plain lines are numbered");
    assert_eq!(got[3]["id"], 4);
    assert_eq!(got[0]["label"], "complaint");
    assert_eq!(got[0]["needs_reply"], true);
    assert_eq!(got[1]["label"], "praise");
    assert_eq!(got[1]["needs_reply"], false);
    for g in &got {
        let c = g["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{g}");
    }
}

#[test]
fn post_type_has_no_needs_reply_and_errors_name_the_line() {
    let out = classify(
        &["--task", "post_type"],
        "@citizen_eg شكرا لتواصلك، يرجى مراسلتنا على الخاص\n",
    );
    assert!(out.status.success());
    let got = lines(&out);
    assert_eq!(got[0]["label"], "citizen_reply");
    assert!(got[0].get("needs_reply").is_none());

    let out = classify(&["--task", "intent"], "ok\n{\"id\": 1, \"text\": \n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
    let out = classify(
        &["--task", "intent", "--model", "models/post_type.model"],
        "x\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("post_type model"));
    let out = classify(&["--task", "intent", "--model", "Cargo.toml"], "x\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a tawasul model"));
}

#[test]
fn body_routes_by_subject_weighed_against_the_addressed_body() {
    let input = [
        // A hospital complaint sent to the cabinet: the model is sure enough to move it.
        r#"{"id": 1, "text": "المستشفى مفيهاش دكاترة بالليل والممرضين بيعاملوا المرضى وحش جدا والاستقبال زحمة", "addressed": "cabinet"}"#,
        // A greeting to the interior ministry says nothing of its subject: it stays.
        r#"{"id": 2, "text": "صباح الخير يا مصر", "addressed": "interior"}"#,
        // Without an addressed body the model's own reading is the answer.
        r#"{"id": 3, "text": "الطيارة اتأخرت خمس ساعات في مطار القاهرة ومحدش قالنا حاجة"}"#,
    ]
    .join("\n");
    let out = classify(&["--task", "body"], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&out);
    assert_eq!(got[0]["label"], "health", "{}", got[0]);
    assert_eq!(got[1]["label"], "interior", "{}", got[1]);
    assert_eq!(got[2]["label"], "civil_aviation", "{}", got[2]);
    assert!(got.iter().all(|g| g.get("needs_reply").is_none()));
    // With no prior at all the greeting goes wherever the model leans: the prior is what
    // keeps it.
    let out = classify(&["--task", "body", "--prior", "1"], &input);
    let flat = lines(&out);
    assert_eq!(flat[0]["label"], "health");
    assert!(flat[1]["confidence"].as_f64() < got[1]["confidence"].as_f64());
}
