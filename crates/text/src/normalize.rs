//! Normalisation profiles, one pass over the characters.
//!
//! * `search`: what a searcher means as the same letters. Alef forms (أ إ آ ٱ ٲ ٳ ٵ) → ا,
//!   ى → ي, ة → ه, Persian and other letter forms folded (ی → ي, ک ڪ → ك, ە ھ ۀ ۃ → ه),
//!   presentation forms and ligatures (ﻻ, ﷲ) unfolded through NFKC on the Arabic
//!   presentation blocks only, harakat, small alef, Quranic marks and tatweel removed, digits to
//!   ASCII, Arabic punctuation to its ASCII twin, Latin lower-cased, runs of three or more of
//!   one non-digit character squeezed to one, invisible and bidi controls dropped, ZWNJ and
//!   variation selectors dropped, Unicode spaces (and the zero-width space, a word break) to a
//!   plain space. ى is **never** mapped to ا.
//! * `display`: only invisible-character clean-up (bidi controls, zero-width space, BOM, soft
//!   hyphen, word joiner); everything a reader sees stays as written.
//! * `model`: `search`, plus hamza on a carrier folded to a bare hamza (ؤ ئ → ء), because
//!   citizens write `مسئول`, `مسؤول` and `مسءول` for one word and classifiers should see one
//!   feature.
//!
//! Every profile is idempotent: normalising twice gives the result of normalising once.

use crate::chars::{
    arabic_block_char, arabic_block_index, digit_value, is_arabic_mark, is_invisible_junk, TATWEEL,
    ZWJ, ZWNJ,
};
use unicode_normalization::char::decompose_compatible;

/// Which normalisation to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Index and query text: letters folded so that spellings of one word meet.
    Search,
    /// Shown to people: only invisible clean-up.
    Display,
    /// Classifier input: `Search` plus hamza-carrier folding.
    Model,
}

impl Profile {
    /// Parse a profile name as written on the command line.
    pub fn parse(name: &str) -> Option<Profile> {
        match name {
            "search" => Some(Profile::Search),
            "display" => Some(Profile::Display),
            "model" => Some(Profile::Model),
            _ => None,
        }
    }
}

/// Normalise `input` into a new string.
pub fn normalize(input: &str, profile: Profile) -> String {
    let mut out = String::with_capacity(input.len());
    normalize_into(input, profile, &mut out);
    out
}

/// Normalise `input`, replacing the contents of `out` (reuse `out` to avoid allocating).
pub fn normalize_into(input: &str, profile: Profile, out: &mut String) {
    out.clear();
    if profile == Profile::Display {
        for c in input.chars() {
            if !is_invisible_junk(c) {
                out.push(c);
            }
        }
        return;
    }
    let model = profile == Profile::Model;
    if fold_common(input, if model { &MODEL_BLOCK } else { &SEARCH_BLOCK }, out) {
        return;
    }
    out.clear();
    let mut sq = Squeezer::default();
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            // ASCII fast path
            let c = match b {
                b'A'..=b'Z' => (b + 32) as char,
                b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => ' ',
                _ => b as char,
            };
            sq.push(out, c);
            i += 1;
            continue;
        }
        if (0xD8..=0xDB).contains(&b) && i + 1 < bytes.len() {
            // the Arabic block: one table lookup
            let table = if model { &MODEL_BLOCK } else { &SEARCH_BLOCK };
            let mapped = table[arabic_block_index(b, bytes[i + 1])];
            i += 2;
            if mapped != 0 {
                sq.push(out, char::from_u32(u32::from(mapped)).unwrap_or('\u{FFFD}'));
            }
            continue;
        }
        let c = match input[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        i += c.len_utf8();
        fold_char(c, model, out, &mut sq);
    }
}

/// The common case in one pass: text of lower-case ASCII and the Arabic block with no run of
/// three equal characters. Unchanged stretches are copied whole; only characters that fold are
/// written one by one. Returns false, with `out` partly written, when the text needs the
/// general path (upper case, controls, other scripts, a squeeze).
#[inline]
fn fold_common(input: &str, table: &[u16; 256], out: &mut String) -> bool {
    let b = input.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    // the last two output units (an ASCII byte or an Arabic code point); digits break runs
    let (mut p1, mut p2) = (u32::MAX, u32::MAX - 1);
    while i < b.len() {
        let unit = match b[i] {
            x @ (b'a'..=b'z' | b' '..=b'@' | b'['..=b'`' | b'{'..=b'~') => {
                i += 1;
                if x.is_ascii_digit() {
                    p1 = u32::MAX;
                    p2 = u32::MAX - 1;
                    continue;
                }
                u32::from(x)
            }
            x @ 0xD8..=0xDB if i + 1 < b.len() => {
                let idx = arabic_block_index(x, b[i + 1]);
                let cp = 0x600 + idx as u32;
                let mapped = u32::from(table[idx]);
                if mapped == cp {
                    i += 2;
                    cp
                } else {
                    out.push_str(&input[copied..i]);
                    i += 2;
                    copied = i;
                    if mapped == 0 {
                        continue;
                    }
                    match char::from_u32(mapped) {
                        Some(m) => out.push(m),
                        None => return false,
                    }
                    if is_ascii_digit_code(mapped) {
                        p1 = u32::MAX;
                        p2 = u32::MAX - 1;
                        continue;
                    }
                    mapped
                }
            }
            _ => return false,
        };
        if unit == p1 && unit == p2 {
            return false;
        }
        p2 = p1;
        p1 = unit;
    }
    out.push_str(&input[copied..]);
    true
}

/// Normalise an Arabic word made only of two-byte characters of the Arabic block (what the
/// tokeniser's fast path reads): one table step per character, squeezing as it writes.
/// Gives what [`normalize_into`] gives for such a word.
pub(crate) fn fold_arabic_word_into(word: &str, profile: Profile, out: &mut String) {
    let pairs = match profile {
        Profile::Search => &SEARCH_PAIRS,
        Profile::Model => &MODEL_PAIRS,
        Profile::Display => return normalize_into(word, profile, out),
    };
    // written as bytes (two per character, or none when dropped), then handed back as a
    // string unchecked: encoding each character, or checking the hand-back, cost more
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.reserve(word.len());
    let (mut last, mut run) = ([0u8; 2], 0u32);
    for pair in word.as_bytes().chunks_exact(2) {
        let folded = pairs[arabic_block_index(pair[0], pair[1]) & 0xFF];
        if folded[0] == 0 {
            continue;
        }
        // the squeeze, as `Squeezer` does it: a third equal letter takes the second back
        if folded == last {
            run += 1;
            if run == 3 {
                bytes.truncate(bytes.len() - 2);
            }
            if run >= 3 {
                continue;
            }
        } else {
            last = folded;
            run = 1;
        }
        bytes.extend_from_slice(&folded);
    }
    // SAFETY: every entry of `pair_table` is `[0, 0]` (never written) or a whole two-byte
    // UTF-8 sequence of U+0600..=U+06FF, whatever the input; only such pairs are appended,
    // and the squeeze removes whole pairs
    *out = unsafe { String::from_utf8_unchecked(bytes) };
}

/// The `search` fold of U+0600..=U+06FF as the two UTF-8 bytes of a letter of the block
/// (`[0, 0]` = dropped); only word characters are looked up, and none of them folds out of
/// the block.
static SEARCH_PAIRS: [[u8; 2]; 256] = pair_table(&SEARCH_CHARS);
/// The `model` fold, as [`SEARCH_PAIRS`].
static MODEL_PAIRS: [[u8; 2]; 256] = pair_table(&MODEL_CHARS);

const fn pair_table(chars: &[char; 256]) -> [[u8; 2]; 256] {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        let cp = chars[i] as u32;
        if cp >= 0x600 && cp <= 0x6FF {
            t[i] = [(0xC0 | (cp >> 6)) as u8, (0x80 | (cp & 0x3F)) as u8];
        }
        i += 1;
    }
    t
}

/// The `search` fold of U+0600..=U+06FF as ready characters (`'\0'` = dropped).
static SEARCH_CHARS: [char; 256] = char_table(&SEARCH_BLOCK);
/// The `model` fold of U+0600..=U+06FF as ready characters (`'\0'` = dropped).
static MODEL_CHARS: [char; 256] = char_table(&MODEL_BLOCK);

const fn char_table(block: &[u16; 256]) -> [char; 256] {
    let mut t = ['\0'; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match char::from_u32(block[i] as u32) {
            Some(c) => c,
            None => '\0',
        };
        i += 1;
    }
    t
}

#[inline]
fn is_ascii_digit_code(cp: u32) -> bool {
    (0x30..=0x39).contains(&cp)
}

/// The `search` fold of U+0600..=U+06FF (0 = dropped).
static SEARCH_BLOCK: [u16; 256] = block_table(false);
/// The `model` fold of U+0600..=U+06FF (0 = dropped).
static MODEL_BLOCK: [u16; 256] = block_table(true);

const fn block_table(model: bool) -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match fold_arabic_block(arabic_block_char(i), model) {
            Some(m) => m as u16,
            None => 0,
        };
        i += 1;
    }
    t
}

/// The fold of one character of the Arabic block; `None` when it is dropped.
pub(crate) const fn fold_arabic_block(c: char, model: bool) -> Option<char> {
    if is_arabic_mark(c) || is_invisible_junk(c) || c == TATWEEL {
        return None;
    }
    if let Some(d) = digit_value(c) {
        return Some((b'0' + d) as char);
    }
    Some(match c {
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' | 'ٵ' => 'ا',
        'ى' | 'ی' | 'ې' => 'ي',
        'ة' | 'ە' | 'ھ' | 'ۀ' | 'ۃ' | 'ۂ' => 'ه',
        'ک' | 'ڪ' => 'ك',
        'ؤ' | 'ئ' if model => 'ء',
        '،' => ',',
        '؛' => ';',
        '؟' => '?',
        '٪' => '%',
        '٫' => '.',
        '٬' => ',',
        '۔' => '.',
        c => c,
    })
}

/// Fold one non-ASCII character into `out` under the search (or model) profile.
#[inline]
fn fold_char(c: char, model: bool, out: &mut String, sq: &mut Squeezer) {
    let mapped = match c {
        '\u{0600}'..='\u{06FF}' => match fold_arabic_block(c, model) {
            Some(m) => m,
            None => return,
        },
        ZWNJ | '\u{FE0E}' | '\u{FE0F}' => return,
        // a zero-width space marks a word break: keep the break
        '\u{200B}' => ' ',
        ZWJ => {
            // ZWJ only matters inside emoji sequences
            if out
                .chars()
                .next_back()
                .is_some_and(crate::chars::is_emoji_component)
            {
                sq.push(out, ZWJ);
            }
            return;
        }
        c if is_arabic_mark(c) || is_invisible_junk(c) => return,
        '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
        | '\u{0085}' => ' ',
        '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}' => {
            // presentation forms and ligatures: NFKC, then fold the result
            let mut any = false;
            decompose_compatible(c, |d| {
                any = true;
                if d != c {
                    fold_char(d, model, out, sq);
                } else {
                    sq.push(out, d);
                }
            });
            if !any {
                sq.push(out, c);
            }
            return;
        }
        c if c.is_uppercase() => {
            for l in c.to_lowercase() {
                sq.push(out, l);
            }
            return;
        }
        c => c,
    };
    sq.push(out, mapped);
}

/// Squeezes runs of three or more equal non-digit characters to one, as output is written
/// (so runs created by folding or by dropped marks are caught too).
#[derive(Default)]
struct Squeezer {
    last: Option<char>,
    run: u32,
}

impl Squeezer {
    #[inline(always)]
    fn push(&mut self, out: &mut String, c: char) {
        if Some(c) == self.last && !c.is_ascii_digit() {
            self.run += 1;
            if self.run == 3 {
                out.pop();
            }
            if self.run >= 3 {
                return;
            }
        } else {
            self.last = Some(c);
            self.run = 1;
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_word_fold_gives_what_the_general_path_gives() {
        // folds, drops, squeezes that only appear after folding (ا أ ا), runs broken by
        // harakat, runs of two kept, and a model-only hamza fold
        let words = [
            "الصحة",
            "أسيوط",
            "مستشفى",
            "اأا",
            "جمييييل",
            "يَيَيَ",
            "جمييل",
            "الْيوم",
            "مسئول",
            "ةةة",
            "ـــ",
            "ی",
            "ہھ",
        ];
        let mut fast = String::from("left over");
        for w in words {
            for profile in [Profile::Search, Profile::Model, Profile::Display] {
                fold_arabic_word_into(w, profile, &mut fast);
                assert_eq!(fast, normalize(w, profile), "{w} under {profile:?}");
            }
        }
    }

    #[test]
    fn every_folded_word_character_stays_a_two_byte_character_of_the_block() {
        // what `fold_arabic_word_into` relies on to write bytes unchecked
        for (i, pair) in SEARCH_PAIRS.iter().chain(MODEL_PAIRS.iter()).enumerate() {
            let c = arabic_block_char(i % 256);
            if !crate::chars::is_arabic_word_char(c) {
                continue;
            }
            let folded = if i < 256 {
                SEARCH_CHARS[i]
            } else {
                MODEL_CHARS[i - 256]
            };
            if folded == '\0' {
                assert_eq!(pair, &[0, 0], "{c:?} is dropped");
            } else {
                assert_eq!(std::str::from_utf8(pair), Ok(folded.to_string().as_str()));
            }
        }
    }

    #[test]
    fn alef_maksura_is_never_alef() {
        assert_eq!(normalize("على مستشفى", Profile::Search), "علي مستشفي");
    }

    #[test]
    fn squeeze_created_by_dropped_marks() {
        assert_eq!(normalize("جميـــل", Profile::Search), "جميل");
        assert_eq!(normalize("جمييييل", Profile::Search), "جميل");
        assert_eq!(normalize("1000", Profile::Search), "1000");
    }

    #[test]
    fn model_folds_hamza_carriers() {
        assert_eq!(
            normalize("مسئول مسؤول", Profile::Model),
            normalize("مسءول مسءول", Profile::Model)
        );
    }

    #[test]
    fn display_keeps_letters() {
        assert_eq!(normalize("\u{200F}أَهلاً\u{200E}", Profile::Display), "أَهلاً");
    }
}
