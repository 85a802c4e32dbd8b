//! Profiling harness: tokenise (and optionally normalise) a file many times.
//! `cargo run --release -p tawasul-text --example profile_tokenize -- FILE [norm|fused]`
use std::time::Instant;
use tawasul_text::{normalize_into, tokenize, tokenize_normalized, Profile, TokenKind};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: profile_tokenize FILE [norm|fused]");
    let mode = args.next().unwrap_or_default();
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let lines: Vec<&str> = text.lines().collect();
    let mut buf = String::new();
    let t = Instant::now();
    let mut acc = 0usize;
    for _ in 0..5 {
        for l in &lines {
            if mode == "fusedscan" {
                for tok in tokenize_normalized(l, Profile::Search) {
                    acc += tok.token.end;
                }
                continue;
            }
            if mode == "fused" {
                for tok in tokenize_normalized(l, Profile::Search) {
                    if matches!(tok.token.kind, TokenKind::Word | TokenKind::Hashtag) {
                        acc += tok.normal(l, &mut buf).len();
                    }
                }
                continue;
            }
            for tok in tokenize(l) {
                acc += tok.end;
                if mode == "norm" && matches!(tok.kind, TokenKind::Word | TokenKind::Hashtag) {
                    normalize_into(tok.text(l), Profile::Search, &mut buf);
                    acc += buf.len();
                }
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("{:.1} MB/s ({acc})", 5.0 * text.len() as f64 / 1e6 / secs);
}
