//! Text → sparse feature vector, by hashing: character n-grams of each word in the `model`
//! normal form (spelling variation and Egyptian forms share most of them), word and stem
//! unigrams and bigrams, and social-token cues (mentions, links, hashtags, numbers, question
//! marks). Hashing keeps the model size fixed whatever the vocabulary.

use serde::{Deserialize, Serialize};
use tawasul_text::{
    normalize_into, shipped_stemmer, tokenize, Profile, StemMemo, Stemmer, TokenKind,
};

/// How features are made; stored in the model file so prediction matches training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Hash space is 2^bits.
    pub bits: u32,
    /// Shortest character n-gram.
    pub char_min: usize,
    /// Longest character n-gram.
    pub char_max: usize,
    /// Word and stem bigrams as well as unigrams.
    pub word_bigrams: bool,
    /// A feature seen k times counts 1 + ln k, not k, as TF-IDF's sublinear term frequency
    /// does: a long review that repeats "وحش" is not ten times a complaint. Left out of the
    /// model header when off, so models made before it keep their bytes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sublinear_tf: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bits: 18,
            char_min: 2,
            char_max: 5,
            word_bigrams: true,
            sublinear_tf: false,
        }
    }
}

/// Sparse features: (index, value) pairs, L2-normalised.
pub type SparseVector = Vec<(u32, f32)>;

const NS_CHAR: u64 = 0x9e37_79b9_7f4a_7c15;
const NS_WORD: u64 = 0xc2b2_ae3d_27d4_eb4f;
const NS_STEM: u64 = 0x1656_67b1_9e37_79f9;
const NS_BIGRAM: u64 = 0x27d4_eb2f_1656_67c5;
const NS_CUE: u64 = 0x85eb_ca77_c2b2_ae63;

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // final mix so that nearby inputs spread over the table
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Turns texts into feature vectors, reusing its buffers between calls.
pub struct Featurizer {
    config: FeatureConfig,
    mask: u64,
    stemmer: &'static Stemmer<'static>,
    /// The stems of the words seen most, kept between texts.
    stem_memo: StemMemo,
    normal: String,
    word: String,
    bounds: Vec<usize>,
    stems: Vec<(u64, u64)>,
    /// Feature indices of the text being featurized, one per occurrence: sorted as plain
    /// integers and counted into the sparse vector at the end.
    indices: Vec<u32>,
    /// The radix sort's second buffer and bucket counts, kept between texts.
    sort_scratch: Vec<u32>,
    sort_counts: Vec<u32>,
}

impl Featurizer {
    /// A featurizer for `config`.
    pub fn new(config: FeatureConfig) -> Self {
        let mask = hash_mask(config.bits);
        Featurizer {
            config,
            mask,
            stemmer: shipped_stemmer(),
            stem_memo: StemMemo::new(),
            normal: String::new(),
            word: String::new(),
            bounds: Vec::new(),
            stems: Vec::new(),
            indices: Vec::new(),
            sort_scratch: Vec::new(),
            sort_counts: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Size of the hash space.
    pub fn dim(&self) -> usize {
        (self.mask + 1) as usize
    }

    fn push(&mut self, h: u64) {
        self.indices.push((h & self.mask) as u32);
    }

    /// Writes the features of `text` into `out` (cleared first).
    pub fn features_into(&mut self, text: &str, out: &mut SparseVector) {
        self.hash_text(text);
        count_sorted(&self.indices, out);
        finish(out, self.config.sublinear_tf);
    }

    /// Whether the features of `narrow` follow from this featurizer's hash pass: the same
    /// n-grams and bigrams hashed into a space no larger, so each of its indices is one of
    /// ours with the high bits dropped.
    pub fn can_derive(&self, narrow: &FeatureConfig) -> bool {
        narrow.char_min == self.config.char_min
            && narrow.char_max == self.config.char_max
            && narrow.word_bigrams == self.config.word_bigrams
            && hash_mask(narrow.bits) <= self.mask
    }

    /// The features of `text` under this configuration into `out` and under `narrow` into
    /// `narrow_out`, from one pass of normalising, tokenising and hashing: a citizen's
    /// message needs both an intent and a body. Both vectors are exactly what a featurizer
    /// of each configuration writes (counts are small integers, merged exactly). Returns
    /// false, writing nothing, when `narrow` fails [`Featurizer::can_derive`].
    pub fn features_into_both(
        &mut self,
        text: &str,
        out: &mut SparseVector,
        narrow: &FeatureConfig,
        narrow_out: &mut SparseVector,
    ) -> bool {
        if !self.can_derive(narrow) {
            return false;
        }
        self.hash_text(text);
        count_sorted(&self.indices, out);
        let narrow_mask = hash_mask(narrow.bits) as u32;
        narrow_out.clear();
        narrow_out.extend(out.iter().map(|&(i, count)| (i & narrow_mask, count)));
        narrow_out.sort_unstable_by_key(|&(i, _)| i);
        narrow_out.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        finish(narrow_out, narrow.sublinear_tf);
        finish(out, self.config.sublinear_tf);
        true
    }

    /// Fills `indices` with the hash index of every feature occurrence in `text`, sorted.
    fn hash_text(&mut self, text: &str) {
        self.stems.clear();
        self.indices.clear();
        let mut normal = std::mem::take(&mut self.normal);
        normal.clear();
        normalize_into(text, Profile::Model, &mut normal);
        let mut first = true;
        for token in tokenize(&normal) {
            let t = token.text(&normal);
            match token.kind {
                TokenKind::Word => {
                    let word_hash = fnv(NS_WORD, t.as_bytes());
                    self.push(word_hash);
                    // The stem as a slice of the word: no allocation per word.
                    let span = self.stem_memo.stem_span(self.stemmer, t, word_hash);
                    let stem = t.get(span.start..span.end).unwrap_or(t);
                    let stem_hash = fnv(
                        NS_STEM ^ u64::from(span.restore_teh_marbuta),
                        stem.as_bytes(),
                    );
                    self.push(stem_hash);
                    self.stems.push((word_hash, stem_hash));
                    self.char_ngrams(t);
                }
                TokenKind::Hashtag => {
                    self.push(fnv(NS_CUE, b"#"));
                    // hashtag words count as words too (#اعرف_حقك)
                    for part in t.split('_').filter(|p| !p.is_empty()) {
                        self.push(fnv(NS_WORD, part.as_bytes()));
                        self.char_ngrams(part);
                    }
                }
                TokenKind::Mention => {
                    self.push(fnv(NS_CUE, if first { b"@first" } else { b"@" }));
                }
                TokenKind::Url => self.push(fnv(NS_CUE, b"url")),
                TokenKind::Emoji => {
                    self.push(fnv(NS_CUE, b"emoji"));
                    self.push(fnv(NS_WORD, t.as_bytes()));
                }
                TokenKind::Number => self.push(fnv(NS_CUE, b"number")),
                TokenKind::Punct => {
                    if t == "?" || t == "؟" {
                        self.push(fnv(NS_CUE, b"?"));
                    } else if t == "!" {
                        self.push(fnv(NS_CUE, b"!"));
                    }
                }
            }
            first = false;
        }
        if self.config.word_bigrams {
            for p in 1..self.stems.len() {
                let (a, b) = (self.stems[p - 1], self.stems[p]);
                self.push(fnv(NS_BIGRAM, &(a.0 ^ b.0.rotate_left(17)).to_le_bytes()));
                self.push(fnv(NS_BIGRAM, &(a.1 ^ b.1.rotate_left(29)).to_le_bytes()));
            }
        }
        self.normal = normal;
        sort_hashed(
            &mut self.indices,
            &mut self.sort_scratch,
            &mut self.sort_counts,
            self.mask,
        );
    }

    fn char_ngrams(&mut self, word: &str) {
        let mut w = std::mem::take(&mut self.word);
        w.clear();
        w.push('<');
        w.push_str(word);
        w.push('>');
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.clear();
        bounds.extend(w.char_indices().map(|(i, _)| i));
        bounds.push(w.len());
        let chars = bounds.len() - 1;
        for n in self.config.char_min..=self.config.char_max.min(chars) {
            for start in 0..=(chars - n) {
                let gram = &w.as_bytes()[bounds[start]..bounds[start + n]];
                self.push(fnv(NS_CHAR ^ n as u64, gram));
            }
        }
        self.bounds = bounds;
        self.word = w;
    }
}

/// The low bits a hash keeps for a hash space of 2^bits (bits held to 8..=26).
fn hash_mask(bits: u32) -> u64 {
    (1u64 << bits.clamp(8, 26)) - 1
}

/// Sorts hashed feature indices (all at most `mask`) ascending. A text's few hundred indices
/// are uniformly spread, which is the comparison sort's worst case for branch prediction
/// (it was an eighth of `classify`'s time); two counting passes over 2^(bits/2) buckets sort
/// them without a comparison. The result is exactly `sort_unstable`'s.
fn sort_hashed(indices: &mut [u32], scratch: &mut Vec<u32>, counts: &mut Vec<u32>, mask: u64) {
    const SMALL: usize = 64;
    if indices.len() <= SMALL {
        indices.sort_unstable();
        return;
    }
    let bits = 64 - mask.leading_zeros();
    let low_bits = bits.div_ceil(2);
    let digit = (1u32 << low_bits) - 1;
    let buckets = digit as usize + 1;
    counts.clear();
    counts.resize(2 * buckets, 0);
    let (low, high) = counts.split_at_mut(buckets);
    for &i in indices.iter() {
        low[(i & digit) as usize] += 1;
        high[((i >> low_bits) & digit) as usize] += 1;
    }
    for digit_counts in [&mut *low, &mut *high] {
        let mut sum = 0;
        for c in digit_counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
    }
    scratch.clear();
    scratch.resize(indices.len(), 0);
    for &i in indices.iter() {
        let slot = &mut low[(i & digit) as usize];
        scratch[*slot as usize] = i;
        *slot += 1;
    }
    for &i in scratch.iter() {
        let slot = &mut high[((i >> low_bits) & digit) as usize];
        indices[*slot as usize] = i;
        *slot += 1;
    }
}

/// Counts the duplicates of sorted indices into (index, count) pairs.
fn count_sorted(indices: &[u32], out: &mut SparseVector) {
    out.clear();
    for &i in indices {
        match out.last_mut() {
            Some(last) if last.0 == i => last.1 += 1.0,
            _ => out.push((i, 1.0)),
        }
    }
}

/// Counts to weights: sublinear if asked, then L2-normalised so long reviews and short
/// tweets weigh alike.
fn finish(out: &mut SparseVector, sublinear_tf: bool) {
    if sublinear_tf {
        for (_, v) in out.iter_mut() {
            // Most features occur once, and 1 + ln 1 is exactly 1: no logarithm for them.
            if *v != 1.0 {
                *v = 1.0 + v.ln();
            }
        }
    }
    let norm = out.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in out.iter_mut() {
            *v /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_orders_hashed_indices_exactly_as_a_comparison_sort() {
        let (mut scratch, mut counts) = (Vec::new(), Vec::new());
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for bits in [8, 13, 18, 19, 26] {
            let mask = hash_mask(bits);
            for len in [0, 1, 63, 64, 65, 700, 5000] {
                let mut indices: Vec<u32> = (0..len)
                    .map(|i| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // Repeats too, as a text's n-grams repeat.
                        let h = if i % 5 == 4 { 12_345 } else { state };
                        (h & mask) as u32
                    })
                    .collect();
                let mut expected = indices.clone();
                expected.sort_unstable();
                sort_hashed(&mut indices, &mut scratch, &mut counts, mask);
                assert_eq!(indices, expected, "bits {bits}, {len} indices");
            }
        }
    }

    #[test]
    fn spelling_variants_share_most_features() {
        let mut f = Featurizer::new(FeatureConfig::default());
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        f.features_into("المسئول عن الكهرباء فين؟", &mut a);
        f.features_into("المسؤول عن الكهربا فين ؟", &mut b);
        f.features_into("موعد مباراة الأهلي اليوم", &mut c);
        let dot = |x: &SparseVector, y: &SparseVector| {
            let mut s = 0.0;
            let (mut i, mut j) = (0, 0);
            while i < x.len() && j < y.len() {
                match x[i].0.cmp(&y[j].0) {
                    std::cmp::Ordering::Equal => {
                        s += x[i].1 * y[j].1;
                        i += 1;
                        j += 1;
                    }
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                }
            }
            s
        };
        assert!(dot(&a, &b) > 0.8, "{}", dot(&a, &b));
        assert!(dot(&a, &c) < 0.2, "{}", dot(&a, &c));
        assert!((dot(&a, &a) - 1.0).abs() < 1e-4);
        f.features_into("", &mut a);
        assert!(a.is_empty());
    }

    #[test]
    fn sublinear_counts_damp_a_repeated_word_and_stay_out_of_old_headers() {
        let text = "وحش وحش وحش وحش وحش والخدمة";
        // How much the word said five times outweighs the word said once.
        let repeated_over_once = |sublinear_tf: bool| {
            let mut f = Featurizer::new(FeatureConfig {
                sublinear_tf,
                ..FeatureConfig::default()
            });
            let mut x = Vec::new();
            f.features_into(text, &mut x);
            let norm: f32 = x.iter().map(|&(_, v)| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-4);
            let mut normal = String::new();
            let mut weight = |word: &str| {
                normal.clear();
                normalize_into(word, Profile::Model, &mut normal);
                let index = (fnv(NS_WORD, normal.as_bytes()) & f.mask) as u32;
                x.iter()
                    .find(|&&(i, _)| i == index)
                    .map_or(0.0, |&(_, v)| v)
            };
            let (five, one) = (weight("وحش"), weight("والخدمة"));
            assert!(five > 0.0 && one > 0.0);
            five / one
        };
        assert!((repeated_over_once(false) - 5.0).abs() < 1e-3);
        assert!((repeated_over_once(true) - (1.0 + 5f32.ln())).abs() < 1e-3);
        let header = serde_json::to_string(&FeatureConfig::default()).unwrap_or_default();
        assert!(!header.contains("sublinear"), "{header}");
        let old: FeatureConfig =
            serde_json::from_str(r#"{"bits":18,"char_min":2,"char_max":5,"word_bigrams":true}"#)
                .unwrap();
        assert!(!old.sublinear_tf);
    }

    #[test]
    fn one_hash_pass_gives_both_vectors_bit_for_bit() {
        let texts = [
            "المسئول عن الكهرباء فين؟ #اعرف_حقك @MCIT_News",
            "@mohpegypt المستشفى مفيهاش دكاترة 😡😡 وحش وحش وحش https://t.co/x 123",
            "لو سمحت عايز أعرف ازاي أجدد البطاقة!!",
            "",
            "🙏",
            "a b c d e f g h i j k l m n o p q r s t u v w x y z",
        ];
        let wide = FeatureConfig {
            bits: 19,
            sublinear_tf: true,
            ..FeatureConfig::default()
        };
        for narrow in [
            FeatureConfig::default(),
            FeatureConfig {
                bits: 19,
                ..FeatureConfig::default()
            },
            FeatureConfig {
                bits: 8,
                sublinear_tf: true,
                ..FeatureConfig::default()
            },
        ] {
            let mut both = Featurizer::new(wide.clone());
            assert!(both.can_derive(&narrow));
            let (mut wide_alone, mut narrow_alone) = (
                Featurizer::new(wide.clone()),
                Featurizer::new(narrow.clone()),
            );
            let (mut a, mut b, mut a2, mut b2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for text in texts {
                assert!(both.features_into_both(text, &mut a, &narrow, &mut b));
                wide_alone.features_into(text, &mut a2);
                narrow_alone.features_into(text, &mut b2);
                let bits =
                    |v: &SparseVector| v.iter().map(|&(i, x)| (i, x.to_bits())).collect::<Vec<_>>();
                assert_eq!(bits(&a), bits(&a2), "{text}");
                assert_eq!(bits(&b), bits(&b2), "{text} at {} bits", narrow.bits);
            }
        }
        let mut f = Featurizer::new(FeatureConfig::default());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for other in [
            FeatureConfig {
                bits: 19,
                ..FeatureConfig::default()
            },
            FeatureConfig {
                char_max: 4,
                ..FeatureConfig::default()
            },
            FeatureConfig {
                word_bigrams: false,
                ..FeatureConfig::default()
            },
        ] {
            assert!(!f.can_derive(&other));
            assert!(!f.features_into_both("نص", &mut a, &other, &mut b));
            assert!(a.is_empty() && b.is_empty());
        }
    }
}
