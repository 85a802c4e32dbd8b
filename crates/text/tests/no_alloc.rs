//! The hot path allocates nothing per token: tokenising, normalising into a reused buffer and
//! stemming into a reused buffer, counted with a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

use tawasul_text::{
    normalize_into, shipped_stemmer, tokenize, tokenize_normalized, Profile, TokenKind,
};

#[test]
fn tokenise_normalise_stem_allocate_nothing_per_token() {
    let text = "وزارة الصحة: #اعرف_حقك بالمستشفيات والمدارس ١٢٣ @MOHP 😡😡 https://t.co/x \
                ليه مبيردوش؟؟ الْمُعَلِّمُونَ جميـــل ﻻ ٱلله EGYPT 3ayez";
    let stemmer = shipped_stemmer();
    let mut norm = String::with_capacity(256);
    let mut stemmed = String::with_capacity(256);
    let mut run = |count: &mut usize| {
        for t in tokenize(text) {
            *count += 1;
            if matches!(t.kind, TokenKind::Word | TokenKind::Hashtag) {
                normalize_into(t.text(text), Profile::Search, &mut norm);
                stemmer.stem_into(t.text(text), &mut stemmed);
            }
        }
        for p in [Profile::Search, Profile::Model, Profile::Display] {
            for t in tokenize_normalized(text, p) {
                *count += t.normal(text, &mut norm).len().min(1);
            }
        }
    };
    let mut warm = 0;
    run(&mut warm); // first use builds the shipped lexicon
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut tokens = 0;
    for _ in 0..100 {
        run(&mut tokens);
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert!(tokens > 2000);
    assert_eq!(after - before, 0, "allocations over {tokens} tokens");
}
