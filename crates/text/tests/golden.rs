//! Golden Arabic cases kept as data files in `golden/`: each line names the rule it checks or
//! the flaw of another tool (see `../shared/reference/arabic-text.md`) it must not repeat.

use tawasul_text::{normalize, stem, tokenize, weighted_length, Profile, TokenKind};

/// Replace `\u{XXXX}` escapes (used for invisible characters in the files).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\u{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let close = after.find('}').expect("closed escape");
        let cp = u32::from_str_radix(&after[..close], 16).expect("hex escape");
        out.push(char::from_u32(cp).expect("valid code point"));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
}

#[test]
fn normalize_golden() {
    let mut failures = Vec::new();
    for (line, cols) in data_lines(include_str!("golden/normalize.tsv")) {
        let profile = Profile::parse(cols[0]).expect("profile");
        let got = normalize(&unescape(cols[1]), profile);
        if got != unescape(cols[2]) {
            failures.push(format!("normalize.tsv:{line} ({}): got {got:?}", cols[3]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stem_golden() {
    let mut failures = Vec::new();
    for (line, cols) in data_lines(include_str!("golden/stem.tsv")) {
        let got = stem(cols[0]);
        if got != cols[1] {
            failures.push(format!(
                "stem.tsv:{line} {} ({}): got {got}",
                cols[0], cols[2]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stems_that_must_not_meet() {
    for (a, b) in [
        ("وزير", "زير"),
        ("والدي", "دي"),
        ("وظيفة", "ظيفة"),
        ("اللي", "لي"),
    ] {
        assert_ne!(stem(a), stem(b), "{a} and {b} must not share a stem");
    }
}

#[test]
fn length_golden() {
    let mut failures = Vec::new();
    for (line, cols) in data_lines(include_str!("golden/length.tsv")) {
        let want: usize = cols[1].parse().expect("number");
        let got = weighted_length(&unescape(cols[0]));
        if got != want {
            failures.push(format!(
                "length.tsv:{line} ({}): got {got}, want {want}",
                cols[2]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tokens_golden() {
    let mut failures = Vec::new();
    let mut value = String::new();
    for (i, line) in include_str!("golden/tokens.jsonl").lines().enumerate() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json line");
        let input = case["input"].as_str().expect("input");
        let mut got = Vec::new();
        for t in tokenize(input) {
            let mut obj = serde_json::json!({
                "kind": t.kind.as_str(),
                "text": t.text(input),
                "start": t.char_start,
                "end": t.char_end,
            });
            if t.kind == TokenKind::Number {
                t.number_value_into(input, &mut value);
                obj["value"] = value.clone().into();
            }
            got.push(obj);
        }
        if serde_json::Value::Array(got.clone()) != case["tokens"] {
            failures.push(format!(
                "tokens.jsonl:{} {input:?}\n  got  {}\n  want {}",
                i + 1,
                serde_json::Value::Array(got),
                case["tokens"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
