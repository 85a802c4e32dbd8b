//! Character classes of Arabic social-media text.
//!
//! Every other module asks these questions, so they live in one place and are answered with
//! range checks (no tables to load, no allocation).

/// An Arabic-script letter (base block, supplement, extended-A, presentation forms).
#[inline]
pub const fn is_arabic_letter(c: char) -> bool {
    matches!(c,
        '\u{0620}'..='\u{063F}'
        | '\u{0641}'..='\u{064A}'
        | '\u{066E}'..='\u{066F}'
        | '\u{0671}'..='\u{06D3}'
        | '\u{06D5}'
        | '\u{06EE}'..='\u{06EF}'
        | '\u{06FA}'..='\u{06FC}'
        | '\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08C9}'
        | '\u{FB50}'..='\u{FD3D}'
        | '\u{FD50}'..='\u{FDFB}'
        | '\u{FE70}'..='\u{FEFC}')
}

/// A combining mark of Arabic script (harakat, shadda, sukun, small alef, Quranic marks):
/// it belongs inside the word it follows and is removed by the `search` profile.
#[inline]
pub const fn is_arabic_mark(c: char) -> bool {
    matches!(c,
        '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{08CA}'..='\u{08E1}'
        | '\u{08E3}'..='\u{08FF}')
}

/// Tatweel (kashida), the elongation stroke: intra-word, carries no meaning.
pub const TATWEEL: char = '\u{0640}';
/// Zero-width non-joiner: intra-word in Arabic and Persian.
pub const ZWNJ: char = '\u{200C}';
/// Zero-width joiner: intra-word in Arabic, glue inside emoji sequences.
pub const ZWJ: char = '\u{200D}';

/// True for characters that continue an Arabic word.
#[inline]
pub const fn is_arabic_word_char(c: char) -> bool {
    is_arabic_letter(c) || is_arabic_mark(c) || c == TATWEEL
}

/// The ASCII value of an ASCII, Arabic-Indic or Persian (Extended Arabic-Indic) digit.
#[inline]
pub const fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        _ => None,
    }
}

/// Invisible formatting characters that only get in the way: bidi controls and marks,
/// zero-width space, word joiner, byte-order mark, soft hyphen, Mongolian vowel separator.
/// ZWNJ and ZWJ are not in this set: they shape words and emoji.
#[inline]
pub const fn is_invisible_junk(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{061C}'
        | '\u{180E}'
        | '\u{200B}'
        | '\u{200E}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Separators between tokens: Unicode white space, plus the invisible characters above.
#[inline]
pub fn is_separator(c: char) -> bool {
    c.is_whitespace() || is_invisible_junk(c) || c == ZWNJ
}

/// A code point that starts an emoji on its own (Extended_Pictographic, approximated by
/// the blocks that hold emoji).
#[inline]
pub fn is_emoji_base(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1F0FF}'
        | '\u{1F10D}'..='\u{1F10F}'
        | '\u{1F12F}'
        | '\u{1F16C}'..='\u{1F171}'
        | '\u{1F17E}'..='\u{1F17F}'
        | '\u{1F18E}'
        | '\u{1F191}'..='\u{1F19A}'
        | '\u{1F1AD}'..='\u{1F1E5}'
        | '\u{1F201}'..='\u{1F2FF}'
        | '\u{1F300}'..='\u{1F3FA}'
        | '\u{1F400}'..='\u{1FAFF}'
        | '\u{1FC00}'..='\u{1FFFD}'
        | '\u{231A}'..='\u{231B}'
        | '\u{2328}'
        | '\u{23CF}'
        | '\u{23E9}'..='\u{23F3}'
        | '\u{23F8}'..='\u{23FA}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2934}'..='\u{2935}'
        | '\u{2B05}'..='\u{2B07}'
        | '\u{2B1B}'..='\u{2B1C}'
        | '\u{2B50}'
        | '\u{2B55}'
        | '\u{3030}'
        | '\u{303D}'
        | '\u{3297}'
        | '\u{3299}')
}

/// A symbol that is an emoji only when a variation selector 16 follows it (©️, ™️, ↔️).
#[inline]
pub fn is_emoji_text_default(c: char) -> bool {
    matches!(c,
        '\u{00A9}'
        | '\u{00AE}'
        | '\u{203C}'
        | '\u{2049}'
        | '\u{2122}'
        | '\u{2139}'
        | '\u{2194}'..='\u{2199}'
        | '\u{21A9}'..='\u{21AA}'
        | '\u{24C2}'
        | '\u{25AA}'..='\u{25AB}'
        | '\u{25B6}'
        | '\u{25C0}'
        | '\u{25FB}'..='\u{25FE}')
}

/// Regional indicator symbols: two of them make a flag.
#[inline]
pub fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// Skin-tone modifiers, which extend the emoji before them.
#[inline]
pub fn is_emoji_modifier(c: char) -> bool {
    matches!(c, '\u{1F3FB}'..='\u{1F3FF}')
}

/// Variation selectors 15 (text) and 16 (emoji presentation).
#[inline]
pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}')
}

/// Tag characters, which spell subdivision flags (🏴 + tags + cancel tag).
#[inline]
pub fn is_emoji_tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// Combining enclosing keycap, which turns `1`, `#` or `*` into 1️⃣ #️⃣ *️⃣.
pub const KEYCAP: char = '\u{20E3}';

/// Any code point that may be part of an emoji sequence once one has started.
#[inline]
pub fn is_emoji_component(c: char) -> bool {
    is_emoji_base(c)
        || is_emoji_modifier(c)
        || is_variation_selector(c)
        || is_emoji_tag(c)
        || is_regional_indicator(c)
        || c == ZWJ
        || c == KEYCAP
}

/// A Latin letter in ASCII or Latin-1/Extended (the script of "Franco" Arabic).
#[inline]
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (matches!(c, '\u{00C0}'..='\u{024F}') && c.is_alphabetic())
}

/// The weight of one code point in X's weighted length, in hundredths: the ranges that
/// twitter-text (config v3) counts as one; everything else counts as two.
#[inline]
pub fn twitter_weight(c: char) -> u32 {
    match c {
        '\u{0000}'..='\u{10FF}'
        | '\u{2000}'..='\u{200D}'
        | '\u{2010}'..='\u{201F}'
        | '\u{2032}'..='\u{2037}' => 100,
        _ => 200,
    }
}

/// Class bits of a code point of the Arabic block, for table-driven hot loops.
pub mod class {
    /// An Arabic letter.
    pub const LETTER: u8 = 1;
    /// A combining mark (harakat and Quranic marks).
    pub const MARK: u8 = 2;
    /// Tatweel.
    pub const TATWEEL: u8 = 4;
    /// An Arabic-Indic or Persian digit.
    pub const DIGIT: u8 = 8;
    /// Anything that continues an Arabic word.
    pub const WORD: u8 = LETTER | MARK | TATWEEL;
    /// The `search` profile changes or drops this character.
    pub const SEARCH_FOLDS: u8 = 16;
    /// The `model` profile changes or drops this character.
    pub const MODEL_FOLDS: u8 = 32;
}

/// Class bits of ASCII bytes, for the tokeniser's byte loops (one lookup instead of a chain
/// of range tests that mispredicts on the random letters of short links).
pub mod ascii {
    /// A letter or digit.
    pub const ALNUM: u8 = 1;
    /// A letter, digit or `_`: continues a hashtag or mention.
    pub const TAG: u8 = 2;
    /// Allowed in the local part of an e-mail address.
    pub const EMAIL_LOCAL: u8 = 4;
    /// Ends a URL: white space, controls, `"`, `<`, `>`.
    pub const URL_STOP: u8 = 8;
    /// Always a `punct` token of its own: not a letter, digit or white space, and unable to
    /// start an entity (`#`, `@` and `*` can: hashtags, mentions, keycaps).
    pub const PUNCT: u8 = 16;
}

/// Class bits of the 128 ASCII bytes; see [`ascii`].
pub static ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        let mut bits = 0;
        if b.is_ascii_alphanumeric() {
            bits |= ascii::ALNUM | ascii::TAG | ascii::EMAIL_LOCAL;
        }
        if b == b'_' {
            bits |= ascii::TAG;
        }
        if matches!(b, b'.' | b'_' | b'%' | b'+' | b'-') {
            bits |= ascii::EMAIL_LOCAL;
        }
        if b.is_ascii_whitespace() || b.is_ascii_control() || matches!(b, b'"' | b'<' | b'>') {
            bits |= ascii::URL_STOP;
        }
        if !b.is_ascii_alphanumeric()
            && !matches!(
                b,
                b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | b'#' | b'@' | b'*'
            )
        {
            bits |= ascii::PUNCT;
        }
        t[i] = bits;
        i += 1;
    }
    t
};

/// The character at `index` of the Arabic block (U+0600 + index), for building its tables.
pub const fn arabic_block_char(index: usize) -> char {
    match char::from_u32(0x600 + index as u32) {
        Some(c) => c,
        None => '\0',
    }
}

/// Class bits of U+0600..=U+06FF, indexed by `code point - 0x600`.
pub static ARABIC_BLOCK_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = arabic_block_char(i);
        let mut bits = 0;
        if is_arabic_letter(c) {
            bits |= class::LETTER;
        }
        if is_arabic_mark(c) {
            bits |= class::MARK;
        }
        if c == TATWEEL {
            bits |= class::TATWEEL;
        }
        if digit_value(c).is_some() {
            bits |= class::DIGIT;
        }
        if !folds_to_itself(c, false) {
            bits |= class::SEARCH_FOLDS;
        }
        if !folds_to_itself(c, true) {
            bits |= class::MODEL_FOLDS;
        }
        t[i] = bits;
        i += 1;
    }
    t
};

/// [`ARABIC_BLOCK_CLASS`] indexed by two UTF-8 bytes read as one big-endian `u16`, zero for
/// every pair that is not a code point of the Arabic block: the tokeniser's word loop then
/// needs one load per character and no range test on the lead byte.
pub static PAIR_CLASS: [u8; 65536] = {
    let mut t = [0u8; 65536];
    let mut i = 0;
    while i < 256 {
        let cp = 0x600 + i;
        let lead = 0xC0 | (cp >> 6);
        let cont = 0x80 | (cp & 0x3F);
        t[(lead << 8) | cont] = ARABIC_BLOCK_CLASS[i];
        i += 1;
    }
    t
};

/// Whether the `search` (or `model`) fold leaves `c` as it is, for the class table.
const fn folds_to_itself(c: char, model: bool) -> bool {
    match crate::normalize::fold_arabic_block(c, model) {
        Some(m) => m as u32 == c as u32,
        None => false,
    }
}

/// Decode a code point of U+0600..=U+06FF from its two UTF-8 bytes (lead byte 0xD8..=0xDB):
/// the index into the Arabic-block tables.
#[inline]
pub const fn arabic_block_index(lead: u8, cont: u8) -> usize {
    ((((lead & 0x1F) as usize) << 6) | (cont & 0x3F) as usize) - 0x600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_class_is_the_block_class_under_utf8_bytes_and_zero_elsewhere() {
        for (i, &bits) in ARABIC_BLOCK_CLASS.iter().enumerate() {
            let mut utf8 = [0u8; 2];
            arabic_block_char(i).encode_utf8(&mut utf8);
            assert_eq!(PAIR_CLASS[usize::from(u16::from_be_bytes(utf8))], bits);
        }
        let block_pairs = (0..65536)
            .filter(|&p| (0xD880..=0xDBBF).contains(&p) && p & 0xC0 == 0x80)
            .count();
        assert_eq!(block_pairs, 256);
        let nonzero_outside = (0..65536usize)
            .filter(|&p| PAIR_CLASS[p] != 0 && !(0xD880..=0xDBBF).contains(&p))
            .count();
        assert_eq!(
            nonzero_outside, 0,
            "'a' 'b', Latin-1 and Hebrew pairs are not Arabic"
        );
    }

    #[test]
    fn harakat_tatweel_are_word_chars_but_zwnj_is_not_a_letter() {
        assert!(is_arabic_word_char('\u{064E}'));
        assert!(is_arabic_word_char(TATWEEL));
        assert!(!is_arabic_letter(ZWNJ));
        assert!(is_arabic_letter('ٱ'));
        assert!(!is_arabic_letter('،'));
        assert!(!is_arabic_letter('٣'));
    }

    #[test]
    fn digits_of_three_scripts() {
        assert_eq!(digit_value('٣'), Some(3));
        assert_eq!(digit_value('۴'), Some(4));
        assert_eq!(digit_value('9'), Some(9));
        assert_eq!(digit_value('a'), None);
    }

    #[test]
    fn block_table_agrees_with_predicates() {
        for cp in 0x600u32..0x700 {
            let c = char::from_u32(cp).unwrap();
            let mut b = [0u8; 4];
            let e = c.encode_utf8(&mut b);
            let bits = ARABIC_BLOCK_CLASS[arabic_block_index(e.as_bytes()[0], e.as_bytes()[1])];
            assert_eq!(bits & class::WORD != 0, is_arabic_word_char(c), "{cp:x}");
            assert_eq!(bits & class::DIGIT != 0, digit_value(c).is_some(), "{cp:x}");
            let s = c.to_string();
            for (bit, profile) in [
                (class::SEARCH_FOLDS, crate::Profile::Search),
                (class::MODEL_FOLDS, crate::Profile::Model),
            ] {
                let folds = crate::normalize(&s, profile) != s;
                assert_eq!(bits & bit != 0, folds, "{cp:x} {profile:?}");
            }
        }
    }

    #[test]
    fn emoji_classes() {
        assert!(is_emoji_base('😡'));
        assert!(is_emoji_base('❤'));
        assert!(is_emoji_modifier('🏽'));
        assert!(is_regional_indicator('🇪'));
        assert!(!is_emoji_base('#'));
        assert!(is_emoji_text_default('©'));
    }
}
