//! A word-frequency lexicon built from real Arabic text.
//!
//! The stemmer asks it one question: is this candidate stem a word people actually write?
//! `وزير` is frequent and `زير` almost never written, so `و` in `وزير` is part of the word;
//! `ومصر` is rare next to `مصر`, so `و` is a conjunction. The shipped lexicon is
//! `data/lexicon.tsv`, made by `tawasul text lexicon` from the corpora in `../shared/data`
//! (see `data/LEXICON.md`); a deployment may build its own from its own posts.

use crate::normalize::{normalize_into, Profile};
use crate::tokenize::{tokenize, TokenKind};
use rustc_hash::FxHashMap;

/// Counts of one normalised word form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// How often the form itself was seen.
    pub count: u32,
    /// How often the form was seen free-standing: alone or behind the article `ال`.
    pub free: u32,
    /// How often the form + ة was seen free-standing (`حكوم` → `حكومه`, `الحكومه`).
    pub free_with_teh_marbuta: u32,
    /// A function word the stemmer leaves as it is.
    pub keep: bool,
}

/// A frequency lexicon of `search`-normalised word forms.
#[derive(Debug, Default)]
pub struct Lexicon<'a> {
    entries: FxHashMap<&'a str, Entry>,
}

/// Error reading a lexicon file: which line and why.
#[derive(Debug, thiserror::Error)]
#[error("lexicon line {line}: {reason}")]
pub struct LexiconError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl<'a> Lexicon<'a> {
    /// Parse `word<TAB>count` lines (the format `tawasul text lexicon` writes). Words must
    /// already be `search`-normalised; `#` starts a comment line.
    pub fn parse(text: &'a str) -> Result<Lexicon<'a>, LexiconError> {
        let mut entries: FxHashMap<&'a str, Entry> = FxHashMap::default();
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, count) = line.split_once('\t').ok_or(LexiconError {
                line: i + 1,
                reason: "expected word<TAB>count",
            })?;
            let count: u32 = count.trim().parse().map_err(|_| LexiconError {
                line: i + 1,
                reason: "count is not a whole number",
            })?;
            if word.is_empty() {
                return Err(LexiconError {
                    line: i + 1,
                    reason: "empty word",
                });
            }
            let e = entries.entry(word).or_default();
            e.count = e.count.saturating_add(count);
            e.free = e.free.saturating_add(count);
        }
        // forms behind the article count as free-standing uses of the bare form
        let with_article: Vec<(&'a str, u32)> = entries
            .iter()
            .filter_map(|(w, e)| w.strip_prefix("ال").map(|r| (r, e.count)))
            .filter(|(r, _)| r.chars().count() >= 2)
            .collect();
        for (rest, count) in with_article {
            let e = entries.entry(rest).or_default();
            e.free = e.free.saturating_add(count);
        }
        let with_teh: Vec<(&'a str, u32)> = entries
            .iter()
            .filter_map(|(w, e)| w.strip_suffix('ه').map(|b| (b, e.free)))
            .filter(|(b, free)| *free > 0 && b.chars().count() >= 2)
            .collect();
        for (base, free) in with_teh {
            let e = entries.entry(base).or_default();
            e.free_with_teh_marbuta = e.free_with_teh_marbuta.saturating_add(free);
        }
        Ok(Lexicon { entries })
    }

    /// Counts of `word` (zero when unseen).
    #[inline]
    pub fn get(&self, word: &str) -> Entry {
        self.entries.get(word).copied().unwrap_or_default()
    }

    /// Mark `word` as a function word to leave unstemmed.
    pub fn mark_keep(&mut self, word: &'a str) {
        self.entries.entry(word).or_default().keep = true;
    }

    /// Number of distinct forms (including bare forms seen only behind `ال`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the lexicon holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The share of uses of free-standing words that carry proclitic `p` — the prior the
    /// stemmer compares observed counts with. Computed from the lexicon itself.
    pub fn proclitic_rate(&self, p: &str) -> f64 {
        let mut with = 0u64;
        let mut base = 0u64;
        for (w, e) in &self.entries {
            if e.count > 0 && w.chars().count() >= 3 {
                base += u64::from(e.count);
            }
            if let Some(rest) = w.strip_prefix(p) {
                if rest.chars().count() >= 3 && self.get(rest).free > 0 {
                    with += u64::from(e.count);
                }
            }
        }
        if base == 0 {
            0.0
        } else {
            with as f64 / base as f64
        }
    }
}

/// Counts Arabic word forms in text, normalised with the `search` profile, for building a
/// lexicon. Feed it lines; take the counts with [`LexiconBuilder::finish`].
#[derive(Default)]
pub struct LexiconBuilder {
    counts: FxHashMap<String, u32>,
    buf: String,
}

impl LexiconBuilder {
    /// Count the Arabic words of one text.
    pub fn add_text(&mut self, text: &str) {
        for tok in tokenize(text) {
            if tok.kind != TokenKind::Word {
                continue;
            }
            let t = tok.text(text);
            if !t
                .chars()
                .next()
                .is_some_and(crate::chars::is_arabic_word_char)
            {
                continue;
            }
            normalize_into(t, Profile::Search, &mut self.buf);
            if self.buf.is_empty() || self.buf.chars().count() > 40 {
                continue;
            }
            match self.counts.get_mut(self.buf.as_str()) {
                Some(n) => *n += 1,
                None => {
                    self.counts.insert(self.buf.clone(), 1);
                }
            }
        }
    }

    /// The forms seen at least `min_count` times, most frequent first (ties by form, so
    /// the output is reproducible).
    pub fn finish(self, min_count: u32) -> Vec<(String, u32)> {
        let mut v: Vec<(String, u32)> = self
            .counts
            .into_iter()
            .filter(|(_, n)| *n >= min_count)
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_forms_count_as_free_uses() {
        let lx = Lexicon::parse("الصحه\t10\nصحه\t3\n").unwrap();
        assert_eq!(lx.get("صحه").count, 3);
        assert_eq!(lx.get("صحه").free, 13);
        assert_eq!(lx.get("صح").free_with_teh_marbuta, 13);
        assert_eq!(lx.get("زير"), Entry::default());
    }

    #[test]
    fn bad_line_is_named() {
        let err = Lexicon::parse("a\t1\nb\tx\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn builder_counts_normalised_arabic_words_only() {
        let mut b = LexiconBuilder::default();
        b.add_text("الصحّة الصحة hello #وسم 12");
        assert_eq!(b.finish(1), vec![("الصحه".to_string(), 2)]);
    }
}
