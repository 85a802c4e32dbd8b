//! Share of word-like tokens that the fused tokeniser knows to be in `search` normal form.
//! `cargo run --release -p tawasul-text --example fold_share -- FILE`
use tawasul_text::{tokenize_normalized, Profile, TokenKind};

fn main() {
    let path = std::env::args().nth(1).expect("usage: fold_share FILE");
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let (mut words, mut unchanged, mut changed) = (0usize, 0usize, 0usize);
    let mut why = std::collections::HashMap::<char, usize>::new();
    for l in text.lines() {
        for t in tokenize_normalized(l, Profile::Search) {
            if matches!(t.token.kind, TokenKind::Word | TokenKind::Hashtag) {
                words += 1;
                if t.unchanged(l) {
                    unchanged += 1;
                } else {
                    changed += 1;
                    let s = t.token.text(l);
                    for c in s.chars() {
                        if tawasul_text::normalize(&c.to_string(), Profile::Search) != c.to_string()
                        {
                            *why.entry(c).or_default() += 1;
                            break;
                        }
                    }
                }
            }
        }
    }
    let mut v: Vec<_> = why.into_iter().collect();
    v.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    println!(
        "words {words} unchanged {unchanged} ({:.1}%) changed {changed}",
        100.0 * unchanged as f64 / words as f64
    );
    for (c, n) in v.iter().take(12) {
        println!("{c:?} U+{:04X} {n}", *c as u32);
    }
}
