//! A light stemmer for Modern Standard and Egyptian Arabic, guarded by real usage.
//!
//! It removes what a searcher does not mean: the article and its combinations
//! (`ال وال بال كال فال لل وبال …`), the conjunctions and prepositions `و ف ب ل ك`, the
//! Egyptian `ب` and future `ه`/`ح` and the MSA `س` before an imperfect verb, the negation
//! circumfix `م…ش`, and the common inflection and pronoun suffixes. Two guards keep it from
//! over-stemming:
//!
//! * **lengths on the original word**: a prefix goes only when at least three letters of the
//!   original (normalised) word remain after it, so `الصحة`, `صحة` and `بالصحة` are treated
//!   alike (Snowball checks after suffix removal and splits them) and `اللي`, `الله` stay;
//! * **the lexicon**: an ambiguous one-letter proclitic goes only when the rest is a word
//!   people write and the whole form is no more frequent than that proclitic's measured rate
//!   predicts: `وزير` (frequent) against `زير` (rare) keeps its `و`; `ومصر` loses it. An
//!   ambiguous suffix goes only when what remains is attested (`قانون` keeps `ون`).
//!
//! All work happens in a caller's buffer: stemming allocates nothing once the buffer has
//! grown to the longest word.

use crate::lexicon::Lexicon;
use crate::normalize::{normalize_into, Profile};
use std::sync::OnceLock;

/// The lexicon shipped with tawasul (see `data/LEXICON.md`).
pub const SHIPPED_LEXICON: &str = include_str!("../data/lexicon.tsv");

/// Prefixes that contain the article, longest first; removed on length, unless the form is
/// frequent and its bare form is never written (then it is a word of its own).
const ARTICLE_PREFIXES: &[&str] = &[
    "وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال",
];
/// Conjunctions: the first layer of one-letter proclitics.
const CONJUNCTIONS: &[&str] = &["و", "ف"];
/// Prepositions and verb prefixes: the second layer.
const PARTICLES: &[&str] = &["ب", "ل", "ك"];
/// Future and progressive markers, only before an imperfect prefix letter.
const VERB_MARKERS: &[&str] = &["ه", "ح", "س", "ب"];
/// Pronoun suffixes, longest first; at most one goes. `true`: only when what remains is
/// attested (these endings are also common word endings).
const PRONOUN_SUFFIXES: &[(&str, bool)] = &[
    ("هما", false),
    ("كما", false),
    ("ها", false),
    ("هم", false),
    ("هن", false),
    ("كم", false),
    ("كن", true),
    ("نا", true),
    ("ني", true),
    ("ه", true),
    ("ك", true),
    ("ي", true),
];
/// Inflection suffixes, tried in order, each at most once. The dual `ان` is left out on
/// purpose: in social-media text it ends far more lexical words (انسان، ميدان، رمضان) than duals.
const INFLECTION_SUFFIXES: &[(&str, bool)] = &[
    ("ات", true),
    ("ون", true),
    ("ين", true),
    ("يه", false),
    ("ه", false),
    ("ي", true),
];

/// Short and dialect function words returned as they are.
const KEEP: &[&str] = &[
    "الله",
    "والله",
    "بالله",
    "اللي",
    "اللى",
    "عشان",
    "علشان",
    "كمان",
    "لسه",
    "بتاع",
    "مفيش",
    "ماشي",
    "كده",
    "كدا",
    "ليه",
    "ازاي",
    "امتي",
    "فين",
    "ايه",
    "احنا",
    "انتو",
    "انتم",
    "هما",
    "بعض",
    "بين",
    "بعد",
    "قبل",
    "لكن",
    "ولكن",
    "حتي",
    "الذي",
    "التي",
    "الذين",
    "اللذين",
];

/// How much more often than a proclitic's rate predicts a whole form may be seen and still
/// count as proclitic + word.
const EXCESS: f64 = 4.0;

/// The light stemmer: a lexicon plus the proclitic rates measured on it.
pub struct Stemmer<'a> {
    lexicon: Lexicon<'a>,
    conj_rate: [f64; 2],
    particle_rate: [f64; 3],
}

impl<'a> Stemmer<'a> {
    /// A stemmer over `lexicon`; proclitic rates are measured on it once here.
    pub fn new(mut lexicon: Lexicon<'a>) -> Stemmer<'a> {
        for w in KEEP {
            lexicon.mark_keep(w);
        }
        let conj_rate = [0, 1].map(|i| lexicon.proclitic_rate(CONJUNCTIONS[i]));
        let particle_rate = [0, 1, 2].map(|i| lexicon.proclitic_rate(PARTICLES[i]));
        Stemmer {
            lexicon,
            conj_rate,
            particle_rate,
        }
    }

    /// The lexicon behind this stemmer.
    pub fn lexicon(&self) -> &Lexicon<'a> {
        &self.lexicon
    }

    /// Stem one word into `out` (replacing its contents). Input is normalised with the
    /// `search` profile first; non-Arabic words come back normalised and unstemmed.
    pub fn stem_into(&self, word: &str, out: &mut String) {
        normalize_into(word, Profile::Search, out);
        let span = self.stem_span(out);
        if span.end < out.len() {
            out.truncate(span.end);
        }
        if span.start > 0 {
            out.drain(..span.start);
        }
        if span.restore_teh_marbuta {
            out.push('ه');
        }
    }

    /// The stem of a word already in `search` normal form, as [`Stemmer::stem_into`] gives it:
    /// a slice of `normal` itself unless a ة has to be written back (then in `scratch`), so an
    /// indexer that already holds the normal form copies nothing.
    pub fn stem_normal<'s>(&self, normal: &'s str, scratch: &'s mut String) -> &'s str {
        let span = self.stem_span(normal);
        let stem = &normal[span.start..span.end];
        if !span.restore_teh_marbuta {
            return stem;
        }
        scratch.clear();
        scratch.push_str(stem);
        scratch.push('ه');
        scratch
    }

    /// Stem one word into a new string.
    pub fn stem(&self, word: &str) -> String {
        let mut s = String::new();
        self.stem_into(word, &mut s);
        s
    }

    /// Where the stem lies inside an already `search`-normalised word.
    pub fn stem_span(&self, w: &str) -> StemSpan {
        let full = StemSpan {
            start: 0,
            end: w.len(),
            restore_teh_marbuta: false,
        };
        // Arabic letters of the normalised alphabet are all two bytes in UTF-8
        if w.len() < 6 || w.len() > 80 || !w.chars().all(|c| matches!(c, '\u{0621}'..='\u{064A}')) {
            return full;
        }
        let whole = self.lexicon.get(w);
        if whole.keep {
            return full;
        }
        let (start, end) = self.strip_prefixes(w, whole.count);
        self.strip_suffixes(w, start, end)
    }

    /// Remove proclitics; returns the byte range that remains.
    fn strip_prefixes(&self, w: &str, whole_count: u32) -> (usize, usize) {
        let mut start = 0;
        let mut end = w.len();

        // Egyptian negation circumfix م…ش (مبيردش, معرفش), not مفيش/مشمش
        if w.ends_with('ش') && w.starts_with('م') {
            let inner_start = if w.starts_with("ما") { 4 } else { 2 };
            let inner = &w[inner_start..w.len() - 2];
            if inner.len() >= 6 && self.attested(inner) {
                start = inner_start;
                end = w.len() - 2;
            }
        }

        // lengths measured on the original word: three letters must remain after a prefix
        let original_letters = (end - start) / 2;
        for p in ARTICLE_PREFIXES {
            let rest = &w[start..end];
            if let Some(r) = rest.strip_prefix(p) {
                if original_letters - p.len() / 2 >= 3 {
                    let whole = if start == 0 {
                        whole_count
                    } else {
                        self.lexicon.get(rest).count
                    };
                    // a frequent article form whose bare form nobody writes is a word of its own
                    if !(whole >= 20 && self.lexicon.get(r).count == 0) {
                        return (start + p.len(), end);
                    }
                }
                break;
            }
        }
        let rest_count = if start == 0 {
            whole_count
        } else {
            self.lexicon.get(&w[start..end]).count
        };
        for (i, p) in CONJUNCTIONS.iter().enumerate() {
            if self.proclitic_goes(&w[start..end], rest_count, p, self.conj_rate[i], i == 0) {
                start += p.len();
                break;
            }
        }
        let rest = &w[start..end];
        if rest.len() < 8 {
            return (start, end);
        }
        let rest_count = if start == 0 {
            whole_count
        } else {
            self.lexicon.get(rest).count
        };
        for p in VERB_MARKERS {
            if self.verb_marker_goes(rest, rest_count, p) {
                return (start + p.len(), end);
            }
        }
        for (i, p) in PARTICLES.iter().enumerate() {
            if self.proclitic_goes(rest, rest_count, p, self.particle_rate[i], false) {
                return (start + p.len(), end);
            }
        }
        (start, end)
    }

    /// Remove one pronoun suffix, then inflection suffixes; three letters always remain.
    fn strip_suffixes(&self, w: &str, start: usize, mut end: usize) -> StemSpan {
        for (s, needs_attested) in PRONOUN_SUFFIXES {
            let Some(rem) = self.suffix_goes(&w[start..end], s, *needs_attested) else {
                continue;
            };
            end -= s.len();
            // a feminine ة is written ت before a pronoun (حكومتنا, صحته): give it back
            if rem.ends_with('ت') && self.attested_with_teh_marbuta(&rem[..rem.len() - 2]) {
                end -= 2;
                // the restored ة is itself an inflection suffix, removed when three letters
                // remain; otherwise it stays, as ه
                if end - start < 6 {
                    return StemSpan {
                        start,
                        end,
                        restore_teh_marbuta: true,
                    };
                }
            }
            break;
        }
        for (s, needs_attested) in INFLECTION_SUFFIXES {
            if self
                .suffix_goes(&w[start..end], s, *needs_attested)
                .is_some()
            {
                end -= s.len();
            }
        }
        StemSpan {
            start,
            end,
            restore_teh_marbuta: false,
        }
    }

    /// The remainder when suffix `s` may leave `stem`: three letters stay, and, for ambiguous
    /// suffixes, the remainder is attested.
    #[inline]
    fn suffix_goes<'w>(&self, stem: &'w str, s: &str, needs_attested: bool) -> Option<&'w str> {
        if stem.len() < s.len() + 6 {
            return None;
        }
        let rem = stem.strip_suffix(s)?;
        (!needs_attested || self.attested(rem)).then_some(rem)
    }

    /// Egyptian ب/ه/ح and MSA س before an imperfect verb: the verb must be attested and the
    /// marked form no more frequent than the bare verb.
    fn verb_marker_goes(&self, word: &str, whole: u32, p: &str) -> bool {
        let Some(rest) = word.strip_prefix(p) else {
            return false;
        };
        if rest.len() < 6 || !starts_like_imperfect(rest) {
            return false;
        }
        let free = self.lexicon.get(rest).free;
        free > 0 && whole <= free.saturating_add(2)
    }

    /// Would the rest after `p` be written on its own, and is `word` no more frequent than
    /// `p`'s rate predicts from that? Unseen words fall back to `default_strip`.
    fn proclitic_goes(
        &self,
        word: &str,
        whole: u32,
        p: &str,
        rate: f64,
        default_strip: bool,
    ) -> bool {
        if !word.starts_with(p) {
            return false;
        }
        let rest = &word[p.len()..];
        if rest.len() < 6 {
            return false;
        }
        let free = self.lexicon.get(rest).free;
        if free == 0 {
            return whole == 0 && default_strip;
        }
        f64::from(whole) <= EXCESS * rate * f64::from(free) + 2.0
    }

    /// Is `stem` written on its own, or with its ة (`حكوم` as `حكومه`), or, ending in ت, as
    /// that ت's ة (`مشكلت` as `مشكله`)?
    fn attested(&self, stem: &str) -> bool {
        let e = self.lexicon.get(stem);
        e.free > 0
            || e.free_with_teh_marbuta > 0
            || (stem.len() >= 8
                && stem.ends_with('ت')
                && self.attested_with_teh_marbuta(&stem[..stem.len() - 2]))
    }

    /// Is `stem` + ة attested?
    #[inline]
    fn attested_with_teh_marbuta(&self, stem: &str) -> bool {
        self.lexicon.get(stem).free_with_teh_marbuta > 0
    }
}

/// Where a stem lies in its normalised word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StemSpan {
    /// Byte offset where the stem starts.
    pub start: usize,
    /// Byte offset where it ends.
    pub end: usize,
    /// The stem ends in a ت that stood for ة before a pronoun: write ه after `end`.
    pub restore_teh_marbuta: bool,
}

/// Longest word (in bytes) a [`StemMemo`] keeps: sixteen Arabic letters, past nearly every
/// word of a post; longer ones are stemmed each time.
const MEMO_WORD_BYTES: usize = 32;
/// Slots of a [`StemMemo`] (a power of two).
const MEMO_SLOTS: usize = 8192;
/// Words a [`StemMemo`] passes straight to the stemmer before it sets up its table: the
/// server labels each ingest request's few posts with new featurizers, which would otherwise
/// each zero 300 KB they never reuse.
const MEMO_WARM_UP_WORDS: u32 = 4096;

/// One remembered word and where its stem lies.
#[derive(Clone, Copy)]
struct MemoSlot {
    len: u8,
    word: [u8; MEMO_WORD_BYTES],
    start: u8,
    end: u8,
    restore_teh_marbuta: bool,
}

/// A slot holding no word (length 0 matches none).
const EMPTY_SLOT: MemoSlot = MemoSlot {
    len: 0,
    word: [0; MEMO_WORD_BYTES],
    start: 0,
    end: 0,
    restore_teh_marbuta: false,
};

/// A fixed-size memo of [`Stemmer::stem_span`] for a featurizer that stems every word of
/// millions of posts: a few thousand words make most of any stream, and each costs the stemmer
/// several lexicon lookups. Direct-mapped by a hash the caller already holds, the word itself
/// kept to compare, so an answer is always the stemmer's own; one allocation, once a warm-up
/// of words has shown the stream is long enough to reuse it.
pub struct StemMemo {
    slots: Vec<MemoSlot>,
    warm_up: u32,
}

impl Default for StemMemo {
    fn default() -> Self {
        Self::new()
    }
}

impl StemMemo {
    /// An empty memo; its table (about 300 KB) is set up after 4,096 words.
    pub fn new() -> Self {
        Self::with_warm_up(MEMO_WARM_UP_WORDS)
    }

    /// An empty memo whose table is set up after `words` words.
    pub fn with_warm_up(words: u32) -> Self {
        StemMemo {
            slots: Vec::new(),
            warm_up: words,
        }
    }

    /// `stemmer.stem_span(word)`, remembered. `hash` is any well-mixed hash of `word` (its high
    /// bits pick the slot); a different hash for the same word only costs a miss. One memo
    /// serves one stemmer.
    pub fn stem_span(&mut self, stemmer: &Stemmer, word: &str, hash: u64) -> StemSpan {
        let bytes = word.as_bytes();
        // Shorter than three letters: the stemmer answers at once, and an empty slot (length
        // 0) never matches a word.
        if bytes.len() < 6 || bytes.len() > MEMO_WORD_BYTES {
            return stemmer.stem_span(word);
        }
        if self.slots.is_empty() {
            if self.warm_up > 0 {
                self.warm_up -= 1;
                return stemmer.stem_span(word);
            }
            self.slots = vec![EMPTY_SLOT; MEMO_SLOTS];
        }
        let slot = &mut self.slots[(hash >> 40) as usize & (MEMO_SLOTS - 1)];
        if usize::from(slot.len) == bytes.len() && slot.word[..bytes.len()] == *bytes {
            return StemSpan {
                start: usize::from(slot.start),
                end: usize::from(slot.end),
                restore_teh_marbuta: slot.restore_teh_marbuta,
            };
        }
        let span = stemmer.stem_span(word);
        // Offsets within a word of at most 32 bytes fit a byte.
        slot.len = bytes.len() as u8;
        slot.word[..bytes.len()].copy_from_slice(bytes);
        slot.start = span.start as u8;
        slot.end = span.end as u8;
        slot.restore_teh_marbuta = span.restore_teh_marbuta;
        span
    }
}

/// Does `w` begin with a prefix letter of the imperfect verb (ي ت ن ا)?
fn starts_like_imperfect(w: &str) -> bool {
    matches!(w.chars().next(), Some('ي' | 'ت' | 'ن' | 'ا'))
}

/// The stemmer over the shipped lexicon, built once per process.
pub fn shipped_stemmer() -> &'static Stemmer<'static> {
    static STEMMER: OnceLock<Stemmer<'static>> = OnceLock::new();
    STEMMER.get_or_init(|| {
        // the shipped file is checked by a unit test; a broken one degrades to no lexicon
        Stemmer::new(Lexicon::parse(SHIPPED_LEXICON).unwrap_or_default())
    })
}

/// Stem one word with the shipped stemmer.
pub fn stem(word: &str) -> String {
    shipped_stemmer().stem(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_answers_what_the_stemmer_answers_even_when_words_share_a_slot() {
        let stemmer = shipped_stemmer();
        // The golden stemming cases, in the normal form the stemmer reads, and one word past
        // the memo's 32 bytes (stemmed every time).
        let mut words: Vec<String> = include_str!("../tests/golden/stem.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split('\t').next())
            .map(|w| crate::normalize(w, crate::Profile::Search))
            .collect();
        assert!(words.len() > 30, "{} golden words", words.len());
        words.push("والاستراتيجياتالمستحدثهالجديده".to_string());
        // Past a warm-up of one word, so the first round both bypasses and fills the table.
        let mut memo = StemMemo::with_warm_up(1);
        for round in 0..3 {
            for (i, w) in words.iter().enumerate() {
                // One slot for all (round 0: every word evicts the one before), then one
                // each (round 1 fills them, round 2 hits).
                let hash = if round == 0 {
                    7 << 40
                } else {
                    (i as u64) << 40
                };
                assert_eq!(
                    memo.stem_span(stemmer, w, hash),
                    stemmer.stem_span(w),
                    "{w}"
                );
            }
        }
    }

    #[test]
    fn shipped_lexicon_parses() {
        let lx = Lexicon::parse(SHIPPED_LEXICON).expect("shipped lexicon parses");
        assert!(lx.len() > 10_000, "lexicon too small: {}", lx.len());
    }

    #[test]
    fn toy_lexicon_guards() {
        let lx = Lexicon::parse("وزير\t500\nمصر\t900\nومصر\t30\nصحه\t40\nالصحه\t80\n").unwrap();
        let s = Stemmer::new(lx);
        assert_eq!(s.stem("وزير"), "وزير");
        assert_eq!(s.stem("ومصر"), "مصر");
        assert_eq!(s.stem("الصحة"), s.stem("صحة"));
        assert_eq!(s.stem("بالصحة"), s.stem("للصحة"));
    }
}
