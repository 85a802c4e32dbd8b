//! X's weighted length, as twitter-text (config v3) counts it.
//!
//! Publishing splits threads by this number, so it must agree with X: text is NFC-normalised,
//! every URL counts 23, every emoji sequence 2, and each other code point 1 when it lies in
//! the light ranges (Latin, Arabic, most scripts up to U+10FF, general punctuation) and 2
//! otherwise (CJK and the rest).

use crate::chars::twitter_weight;
use crate::tokenize::{tokenize, TokenKind};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// What X counts a URL as, whatever its length (`transformedURLLength`).
pub const URL_WEIGHT: usize = 23;
/// What X counts an emoji sequence as.
pub const EMOJI_WEIGHT: usize = 2;
/// X's limit for one post.
pub const MAX_WEIGHTED_LENGTH: usize = 280;

/// The weighted length of `text`.
pub fn weighted_length(text: &str) -> usize {
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => weighted_length_nfc(text),
        _ => {
            let nfc: String = text.nfc().collect();
            weighted_length_nfc(&nfc)
        }
    }
}

fn weighted_length_nfc(text: &str) -> usize {
    let mut hundredths: usize = 0;
    let mut pos = 0;
    for tok in tokenize(text) {
        hundredths += plain_weight(&text[pos..tok.start]);
        hundredths += match tok.kind {
            TokenKind::Url => URL_WEIGHT * 100,
            TokenKind::Emoji => EMOJI_WEIGHT * 100,
            _ => plain_weight(&text[tok.start..tok.end]),
        };
        pos = tok.end;
    }
    hundredths += plain_weight(&text[pos..]);
    hundredths / 100
}

#[inline]
fn plain_weight(s: &str) -> usize {
    s.chars().map(|c| twitter_weight(c) as usize).sum()
}

/// True when `text` fits in one X post.
pub fn fits_one_post(text: &str) -> bool {
    weighted_length(text) <= MAX_WEIGHTED_LENGTH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_emoji_arabic() {
        assert_eq!(weighted_length("مصر"), 3);
        assert_eq!(
            weighted_length("https://example.com/a/very/long/path/indeed/yes"),
            23
        );
        assert_eq!(weighted_length("👨‍👩‍👧"), 2);
        assert_eq!(weighted_length("中"), 2);
    }
}
