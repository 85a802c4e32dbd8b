//! The `tawasul text …` and `tawasul bench text` commands as scripts use them: stdin lines in,
//! one stdout line per input line, in order; clear errors naming the line; exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tawasul(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tawasul runs");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    // write from a thread: tawasul may stop reading early (a usage error, an overlong line),
    // and a closed pipe is then expected, not a test failure
    let writer = std::thread::spawn(move || match pipe.write_all(&input) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    });
    let out = child.wait_with_output().expect("tawasul finishes");
    writer.join().expect("writer thread").expect("write stdin");
    out
}

fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8(o.stdout.clone())
        .expect("utf-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn normalize_keeps_one_line_per_line_including_empty_ones() {
    let o = tawasul(&["text", "normalize"], "الصحة\r\n\nعلى\n".as_bytes());
    assert!(o.status.success());
    assert_eq!(stdout_lines(&o), vec!["الصحه", "", "علي"]);
    let o = tawasul(
        &["text", "normalize", "--profile", "display"],
        "جميـــل\n".as_bytes(),
    );
    assert_eq!(stdout_lines(&o), vec!["جميـــل"]);
    let o = tawasul(
        &["text", "normalize", "--profile", "model"],
        "مسئول\n".as_bytes(),
    );
    assert_eq!(stdout_lines(&o), vec!["مسءول"]);
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let o = tawasul(&["text", "normalize", "--profile", "fancy"], b"x\n");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stem_one_word_per_line() {
    let o = tawasul(&["text", "stem"], "بالصحة\nوزير\nوالدي\n".as_bytes());
    assert!(o.status.success());
    assert_eq!(stdout_lines(&o), vec!["صحه", "وزير", "والد"]);
}

#[test]
fn tokens_are_json_arrays_with_char_offsets_and_number_values() {
    let o = tawasul(&["text", "tokens"], "و#مصر ٢٠٢٤\n\n".as_bytes());
    assert!(o.status.success());
    let lines = stdout_lines(&o);
    assert_eq!(lines.len(), 2);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
    assert_eq!(
        v,
        serde_json::json!([
            {"kind": "word", "text": "و", "start": 0, "end": 1},
            {"kind": "hashtag", "text": "مصر", "start": 1, "end": 5},
            {"kind": "number", "text": "٢٠٢٤", "start": 6, "end": 10, "value": "2024"}
        ])
    );
    assert_eq!(lines[1], "[]");
}

#[test]
fn length_per_line() {
    let o = tawasul(&["text", "length"], "مصر 😡\nhttps://t.co/abc\n".as_bytes());
    assert_eq!(stdout_lines(&o), vec!["6", "23"]);
}

#[test]
fn invalid_utf8_names_the_line_and_fails() {
    let o = tawasul(&["text", "normalize"], b"ok\n\xff\xfe\n");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2"), "stderr: {err}");
    // the good line before it was still written
    assert_eq!(stdout_lines(&o), vec!["ok"]);
}

#[test]
fn bench_text_prints_one_json_object_with_the_anchor() {
    let dir = std::env::temp_dir().join(format!("tawasul-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let corpus = dir.join("corpus.txt");
    std::fs::write(
        &corpus,
        "وزارة الصحة تعلن #اعرف_حقك\nليه مبيردوش على الشكاوى؟ 😡\n",
    )
    .expect("write corpus");
    let o = tawasul(
        &[
            "bench",
            "text",
            "--corpus",
            corpus.to_str().expect("path"),
            "--min-mib",
            "1",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = stdout_lines(&o);
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
    for key in [
        "tokenize_normalize_mb_s",
        "stem_words_per_s",
        "snowball_words_per_s",
        "stem_speedup_vs_snowball",
        "naive_char_map_normalize_mb_s",
    ] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key} in {v}");
    }
    // 3 + 4 Arabic words in the base corpus (the hashtag is not a word)
    assert_eq!(v["stem_words"], 7);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_overlong_line_is_refused_with_its_line_number() {
    let mut input = b"ok\n".to_vec();
    input.extend(std::iter::repeat_n(b'a', (16 << 20) + 10));
    let o = tawasul(&["text", "length"], &input);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 2") && err.contains("longer than"),
        "stderr: {err}"
    );
    assert_eq!(stdout_lines(&o), vec!["2"]);
}
