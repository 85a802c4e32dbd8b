//! Social-media tokeniser that keeps offsets.
//!
//! Entities come first (URLs, mentions, hashtags, emoji sequences, numbers), then words;
//! every token records where it stands in the input, in bytes and in Unicode scalar values,
//! so that highlighting and entity alignment never have to re-scan. The iterator borrows the
//! input and allocates nothing.

use crate::chars::{
    arabic_block_index, ascii, class, digit_value, is_arabic_letter, is_arabic_mark,
    is_arabic_word_char, is_emoji_base, is_emoji_modifier, is_emoji_tag, is_emoji_text_default,
    is_latin_letter, is_regional_indicator, is_separator, is_variation_selector,
    ARABIC_BLOCK_CLASS, ASCII_CLASS, KEYCAP, PAIR_CLASS, TATWEEL, ZWJ, ZWNJ,
};
use crate::normalize::{fold_arabic_word_into, normalize_into, Profile};

/// What a token is; the names are those of the CLI's JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A run of letters of one script (Arabic with its marks, tatweel and joiners; or Latin
    /// and other scripts, digits allowed inside for "Franco" Arabic such as `3ayez`).
    Word,
    /// `#tag`: letters, digits and underscores, at least one letter.
    Hashtag,
    /// `@handle`: letters, digits and underscores.
    Mention,
    /// `http(s)://…`, `www.…` or a bare domain with a known top-level domain.
    Url,
    /// One emoji sequence: with modifiers, ZWJ joins, flags, keycaps and tag sequences.
    Emoji,
    /// Digits in ASCII, Arabic-Indic or Persian forms, with inner separators.
    Number,
    /// Any other single visible character.
    Punct,
}

impl TokenKind {
    /// The lower-case name used in JSON and in golden files.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Word => "word",
            TokenKind::Hashtag => "hashtag",
            TokenKind::Mention => "mention",
            TokenKind::Url => "url",
            TokenKind::Emoji => "emoji",
            TokenKind::Number => "number",
            TokenKind::Punct => "punct",
        }
    }
}

/// One token: its kind and where it stands in the input.
///
/// For hashtags and mentions the span covers the sigil, as X's entity offsets do, while
/// [`Token::text`] gives the name without it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
    /// Offset of the first character, in Unicode scalar values.
    pub char_start: usize,
    /// Offset just past the last character, in Unicode scalar values.
    pub char_end: usize,
}

impl Token {
    /// The token's text in `input`, without the `#`/`@` sigil of hashtags and mentions.
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        let s = &input[self.start..self.end];
        match self.kind {
            TokenKind::Hashtag | TokenKind::Mention => {
                let mut chars = s.chars();
                chars.next();
                chars.as_str()
            }
            _ => s,
        }
    }

    /// The value of a number token in ASCII: digits mapped to `0-9`, a decimal separator
    /// (`.` or Arabic `٫`) to `.`, thousands separators (`,` and Arabic `٬`) dropped. Empty
    /// for other kinds.
    pub fn number_value_into(&self, input: &str, out: &mut String) {
        out.clear();
        if self.kind != TokenKind::Number {
            return;
        }
        for c in input[self.start..self.end].chars() {
            match digit_value(c) {
                Some(d) => out.push((b'0' + d) as char),
                None => match c {
                    '\u{066B}' | '.' => out.push('.'),
                    _ => {}
                },
            }
        }
    }
}

/// Iterator over the tokens of one text. `FOLD` makes the Arabic fast path also note what
/// [`NormalTokens`] needs (a character seen twice in a row); plain tokenising skips that work.
pub struct Tokens<'a, const FOLD: bool = false> {
    text: &'a str,
    pos: usize,
    char_pos: usize,
    /// What the character just before `pos` was (decides whether `#`/`@` start an entity).
    prev: Prev,
    /// Class bits seen in the last token when it was an Arabic word read wholly on the
    /// byte-level fast path, else [`NOT_FAST`]: what [`NormalTokens`] judges it by.
    word_bits: u8,
}

/// `word_bits` of a token that did not come from the Arabic fast path.
const NOT_FAST: u8 = 0x80;
/// `word_bits` flag: a character followed by itself (a run the squeeze may shorten).
const DOUBLED: u8 = 0x40;

/// The class of the character before the cursor: all the tokeniser needs to remember.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prev {
    /// Start of text, white space or any other character.
    Other,
    /// An ASCII letter or digit, `_` or `&` (glued `#`/`@` is not an entity: `a#b`, `x@y`).
    AsciiWord,
    /// `@` or `.` (a domain right after them is part of something else).
    AtOrDot,
}

impl Prev {
    #[inline]
    fn of(c: char) -> Prev {
        if c.is_ascii_alphanumeric() || c == '_' || c == '&' {
            Prev::AsciiWord
        } else if c == '@' || c == '.' {
            Prev::AtOrDot
        } else {
            Prev::Other
        }
    }
}

/// Tokenise `text`; see [`TokenKind`] for the rules.
pub fn tokenize(text: &str) -> Tokens<'_> {
    tokens_of(text)
}

fn tokens_of<const FOLD: bool>(text: &str) -> Tokens<'_, FOLD> {
    Tokens {
        text,
        pos: 0,
        char_pos: 0,
        prev: Prev::Other,
        word_bits: NOT_FAST,
    }
}

/// Top-level domains accepted for bare domains such as `moh.gov.eg` (the common generic ones
/// and the Arab countries'); a bare `word.word` with another ending stays words.
const BARE_TLDS: &[&str] = &[
    "com", "org", "net", "gov", "edu", "info", "io", "co", "me", "ly", "tv", "app", "news", "int",
    "eg", "sa", "ae", "kw", "qa", "bh", "om", "jo", "lb", "ma", "dz", "tn", "iq", "sy", "ps", "sd",
    "ye", "uk", "us", "fr", "de",
];

/// Longest local part of an e-mail address (RFC 5321); also bounds the look-ahead, so that
/// hostile runs such as `a-a-a-…` cost linear time.
const MAX_EMAIL_LOCAL: usize = 64;
/// Longest domain name (RFC 1035), the bound of the bare-domain look-ahead.
const MAX_DOMAIN: usize = 253;

/// A lightweight cursor: character at a byte offset.
#[inline]
fn char_at(text: &str, pos: usize) -> Option<char> {
    text[pos..].chars().next()
}

impl<'a, const FOLD: bool> Tokens<'a, FOLD> {
    #[inline]
    fn peek(&self, pos: usize) -> Option<char> {
        char_at(self.text, pos)
    }

    #[inline(always)]
    fn emit(&mut self, kind: TokenKind, end: usize, nchars: usize) -> Token {
        let tok = Token {
            kind,
            start: self.pos,
            end,
            char_start: self.char_pos,
            char_end: self.char_pos + nchars,
        };
        self.prev = match self.text.as_bytes()[end - 1] {
            b if b < 0x80 => Prev::of(b as char),
            _ => Prev::Other,
        };
        self.pos = end;
        self.char_pos += nchars;
        tok
    }

    /// Emoji sequence starting at `pos` (already known to start one).
    fn scan_emoji(&self, pos: usize) -> (usize, usize) {
        let text = self.text;
        let mut p = pos;
        let mut n = 0;
        let first = match char_at(text, p) {
            Some(c) => c,
            None => return (p, 0),
        };
        // Keycap: [0-9#*] FE0F? 20E3
        if first.is_ascii_digit() || first == '#' || first == '*' {
            p += 1;
            n += 1;
            if char_at(text, p) == Some('\u{FE0F}') {
                p += 3;
                n += 1;
            }
            // caller checked the keycap is there
            p += KEYCAP.len_utf8();
            n += 1;
            return (p, n);
        }
        // Flag: two regional indicators.
        if is_regional_indicator(first) {
            p += first.len_utf8();
            n += 1;
            if let Some(c) = char_at(text, p) {
                if is_regional_indicator(c) {
                    p += c.len_utf8();
                    n += 1;
                }
            }
            return (p, n);
        }
        // Base, then modifiers/selectors/tags, then (ZWJ base ...)*
        p += first.len_utf8();
        n += 1;
        loop {
            match char_at(text, p) {
                Some(c) if is_emoji_modifier(c) || is_variation_selector(c) || is_emoji_tag(c) => {
                    p += c.len_utf8();
                    n += 1;
                }
                Some(ZWJ) => {
                    let after = p + ZWJ.len_utf8();
                    match char_at(text, after) {
                        Some(c) if is_emoji_base(c) || is_emoji_text_default(c) => {
                            p = after + c.len_utf8();
                            n += 2;
                        }
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        (p, n)
    }

    /// Is there an emoji sequence at `pos` starting with `c`?
    fn emoji_starts(&self, pos: usize, c: char) -> bool {
        let next = pos + c.len_utf8();
        if c.is_ascii() {
            // only a keycap starts with ASCII: [0-9#*] FE0F? 20E3
            return matches!(c, '0'..='9' | '#' | '*')
                && match self.peek(next) {
                    Some(KEYCAP) => true,
                    Some('\u{FE0F}') => self.peek(next + 3) == Some(KEYCAP),
                    _ => false,
                };
        }
        // below U+2000 only © and ® can start one (with VS16): Arabic punctuation and
        // digits, the common callers here, leave at once
        if c < '\u{2000}' && c != '\u{00A9}' && c != '\u{00AE}' {
            return false;
        }
        if is_emoji_base(c) || is_regional_indicator(c) {
            return true;
        }
        is_emoji_text_default(c) && self.peek(next) == Some('\u{FE0F}')
    }

    /// URL at `pos`: scheme or `www.` form, or a bare domain with a known TLD.
    fn scan_url(&self, pos: usize) -> Option<(usize, usize)> {
        let rest = &self.text[pos..];
        let head = rest.as_bytes();
        let lower_starts =
            |p: &str| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p.as_bytes());
        let schemed = lower_starts("https://") || lower_starts("http://");
        let www = lower_starts("www.");
        if !schemed && !www {
            // bare domain: labels of [A-Za-z0-9-] separated by dots, last label a known TLD
            let mut end = 0;
            let mut last_label = 0;
            let mut dots = 0;
            for (i, b) in head.iter().enumerate().take(MAX_DOMAIN) {
                if b.is_ascii_alphanumeric() || *b == b'-' {
                    end = i + 1;
                } else if *b == b'.' && end == i && i > last_label {
                    if !head.get(i + 1).is_some_and(|x| x.is_ascii_alphanumeric()) {
                        break;
                    }
                    dots += 1;
                    last_label = i + 1;
                } else {
                    break;
                }
            }
            if dots == 0 || last_label >= end {
                return None;
            }
            let tld = &rest[last_label..end];
            if !BARE_TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld)) {
                return None;
            }
            // a letter right after the TLD means it was not a TLD
            let mut url_end = end;
            if head.get(end) == Some(&b'/') {
                url_end = end + self.url_path_len(pos + end);
            }
            let n = self.text[pos..pos + url_end].chars().count();
            return Some((pos + url_end, n));
        }
        let len = self.url_path_len(pos);
        let body = &self.text[pos..pos + len];
        // require something after the scheme or www.
        let min = if schemed {
            if lower_starts("https://") {
                8
            } else {
                7
            }
        } else {
            4
        };
        if len <= min {
            return None;
        }
        Some((pos + len, body.chars().count()))
    }

    /// An e-mail address at `pos` (kept whole, as a `url` token: it is a contact link).
    fn scan_email(&self, pos: usize) -> Option<(usize, usize)> {
        let b = &self.text.as_bytes()[pos..];
        let local = b
            .iter()
            .take(MAX_EMAIL_LOCAL + 1)
            .take_while(|&&c| c < 0x80 && ASCII_CLASS[usize::from(c)] & ascii::EMAIL_LOCAL != 0)
            .count();
        if local == 0 || local > MAX_EMAIL_LOCAL || b.get(local) != Some(&b'@') {
            return None;
        }
        let mut end = local + 1;
        let mut dots = 0;
        let mut label_start = end;
        let limit = b.len().min(end + MAX_DOMAIN);
        while end < limit {
            let c = b[end];
            if c.is_ascii_alphanumeric() || c == b'-' {
                end += 1;
            } else if c == b'.'
                && end > label_start
                && b.get(end + 1).is_some_and(|x| x.is_ascii_alphanumeric())
            {
                dots += 1;
                end += 1;
                label_start = end;
            } else {
                break;
            }
        }
        let tld = &b[label_start..end];
        if dots == 0 || tld.len() < 2 || !tld.iter().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        Some((pos + end, end))
    }

    /// Length in bytes of URL characters from `pos`: up to white space, then trailing
    /// punctuation given back (a closing bracket is kept when the URL opened one).
    fn url_path_len(&self, pos: usize) -> usize {
        let rest = &self.text[pos..];
        let bytes = rest.as_bytes();
        let mut end = 0;
        while let Some(&b) = bytes.get(end) {
            if b < 0x80 {
                if ASCII_CLASS[usize::from(b)] & ascii::URL_STOP != 0 {
                    break;
                }
                end += 1;
            } else {
                let Some(c) = char_at(rest, end) else { break };
                if is_separator(c) || is_emoji_base(c) {
                    break;
                }
                end += c.len_utf8();
            }
        }
        let mut s = &rest[..end];
        // bracket balance counted once, only when a bracket ends the URL, then kept up to
        // date while trimming (linear time)
        let mut brackets: Option<[usize; 4]> = None;
        let whole = s;
        while let Some(c) = s.chars().next_back() {
            let trailing = match c {
                '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '"' | '،' | '؛' | '؟' | '…' | '»'
                | '«' => true,
                ')' | ']' => {
                    let [open_paren, close_paren, open_sq, close_sq] =
                        brackets.get_or_insert_with(|| {
                            let mut n = [0; 4];
                            for b in whole.bytes() {
                                match b {
                                    b'(' => n[0] += 1,
                                    b')' => n[1] += 1,
                                    b'[' => n[2] += 1,
                                    b']' => n[3] += 1,
                                    _ => {}
                                }
                            }
                            n
                        });
                    let (open, close) = if c == ')' {
                        (open_paren, close_paren)
                    } else {
                        (open_sq, close_sq)
                    };
                    if *close > *open {
                        *close -= 1;
                        true
                    } else {
                        false
                    }
                }
                _ => false,
            };
            if trailing {
                s = &s[..s.len() - c.len_utf8()];
            } else {
                break;
            }
        }
        s.len()
    }

    /// Name after `#` or `@`: letters, marks, digits, underscores, tatweel and joiners
    /// between letters. Returns (byte end, chars, has_letter).
    fn scan_tag_name(&self, pos: usize, mention: bool) -> (usize, usize, bool) {
        let mut end = pos;
        let mut n = 0;
        let mut has_letter = false;
        let bytes = self.text.as_bytes();
        // fast path: the Arabic block and ASCII word characters
        loop {
            if end + 1 < bytes.len() && (0xD8..=0xDB).contains(&bytes[end]) {
                let bits = ARABIC_BLOCK_CLASS[arabic_block_index(bytes[end], bytes[end + 1])];
                if bits & (class::WORD | class::DIGIT) == 0 {
                    return (end, n, has_letter);
                }
                has_letter |= bits & class::LETTER != 0;
                end += 2;
                n += 1;
            } else if end < bytes.len()
                && bytes[end] < 0x80
                && ASCII_CLASS[usize::from(bytes[end])] & ascii::TAG != 0
            {
                has_letter |= bytes[end].is_ascii_alphabetic();
                end += 1;
                n += 1;
            } else {
                break;
            }
        }
        if end == bytes.len() || bytes[end] < 0x80 {
            return (end, n, has_letter);
        }
        let mut it = self.text[end..].chars().peekable();
        while let Some(c) = it.next() {
            let ok = if mention {
                c.is_ascii_alphanumeric() || c == '_' || is_arabic_word_char(c)
            } else if c == ZWNJ || c == ZWJ {
                it.peek().is_some_and(|&d| is_arabic_word_char(d))
            } else {
                c.is_alphanumeric() || c == '_' || is_arabic_mark(c) || c == TATWEEL
            };
            if !ok {
                break;
            }
            if c.is_alphabetic() && !is_arabic_mark(c) && c != TATWEEL {
                has_letter = true;
            }
            end += c.len_utf8();
            n += 1;
        }
        (end, n, has_letter)
    }

    fn scan_number(&self, pos: usize) -> (usize, usize) {
        let text = self.text;
        let mut p = pos;
        let mut n = 0;
        loop {
            match char_at(text, p) {
                Some(c) if digit_value(c).is_some() => {
                    p += c.len_utf8();
                    n += 1;
                }
                Some(c @ ('.' | ',' | '\u{066B}' | '\u{066C}')) => {
                    let after = p + c.len_utf8();
                    if char_at(text, after).is_some_and(|d| digit_value(d).is_some()) {
                        p = after;
                        n += 1;
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        (p, n)
    }

    /// An Arabic word at `pos`: (byte end, chars, class bits of its characters ORed, with
    /// [`NOT_FAST`] when a character outside the two-byte fast path was taken in).
    #[inline(always)]
    fn scan_arabic_word(&self, pos: usize) -> (usize, usize, u8) {
        let bytes = self.text.as_bytes();
        let mut end = pos;
        let mut seen = 0u8;
        let mut last = 0u16;
        // fast path: two-byte code points of the Arabic block, one table lookup each
        while end + 1 < bytes.len() {
            let pair = u16::from_be_bytes([bytes[end], bytes[end + 1]]);
            let bits = PAIR_CLASS[usize::from(pair)];
            if bits & class::WORD == 0 {
                break;
            }
            seen |= bits;
            if FOLD {
                seen |= if pair == last { DOUBLED } else { 0 };
                last = pair;
            }
            end += 2;
        }
        let mut n = (end - pos) / 2;
        // the word ends at ASCII, at the end of the text, or at a sign of the Arabic block
        if end == bytes.len() || bytes[end] < 0x80 || (0xD8..=0xDB).contains(&bytes[end]) {
            return (end, n, seen);
        }
        let fast_end = end;
        let pos = end;
        let mut it = self.text[pos..].chars().peekable();
        while let Some(c) = it.next() {
            let ok = if c == ZWNJ || c == ZWJ {
                it.peek().is_some_and(|&d| is_arabic_word_char(d))
            } else {
                is_arabic_word_char(c)
            };
            if !ok {
                break;
            }
            end += c.len_utf8();
            n += 1;
        }
        if end > fast_end {
            seen |= NOT_FAST;
        }
        (end, n, seen)
    }

    /// A word of a non-Arabic script; ASCII digits and inner apostrophes allowed.
    fn scan_other_word(&self, pos: usize) -> (usize, usize) {
        let bytes = self.text.as_bytes();
        // fast path: a run of ASCII letters and digits, done when ASCII other than an
        // apostrophe (or the end) follows
        let ascii_run = bytes[pos..]
            .iter()
            .take_while(|&&b| b < 0x80 && ASCII_CLASS[usize::from(b)] & ascii::ALNUM != 0)
            .count();
        let mut end = pos + ascii_run;
        let mut n = ascii_run;
        match bytes.get(end) {
            None => return (end, n),
            Some(&b) if b < 0x80 && b != b'\'' => return (end, n),
            _ => {}
        }
        let mut it = self.text[end..].chars().peekable();
        while let Some(c) = it.next() {
            let ok = if c == '\'' || c == '’' {
                n > 0 && it.peek().is_some_and(|d| d.is_alphabetic())
            } else {
                (c.is_alphanumeric()
                    && !is_arabic_word_char(c)
                    && digit_value(c).is_none_or(|_| c.is_ascii_digit()))
                    || (n > 0 && !c.is_alphanumeric() && is_combining_mark(c))
            };
            if !ok {
                break;
            }
            end += c.len_utf8();
            n += 1;
        }
        (end, n)
    }
}

/// A non-Arabic combining mark (accents of Latin and other scripts).
#[inline]
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20DC}' | '\u{FE20}'..='\u{FE2F}')
}

impl<'a, const FOLD: bool> Iterator for Tokens<'a, FOLD> {
    type Item = Token;

    #[inline]
    fn next(&mut self) -> Option<Token> {
        let bytes = self.text.as_bytes();
        if FOLD {
            self.word_bits = NOT_FAST;
        }
        // skip separators; an Arabic word or plain ASCII goes straight to its scanner
        loop {
            let b = *bytes.get(self.pos)?;
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => {
                    self.pos += 1;
                    self.char_pos += 1;
                    self.prev = Prev::Other;
                }
                0xD8..=0xDB if self.pos + 1 < bytes.len() => {
                    let bits = ARABIC_BLOCK_CLASS[arabic_block_index(b, bytes[self.pos + 1])];
                    if bits & class::WORD != 0 {
                        // the common token, emitted here: an Arabic word ends in a non-ASCII
                        // character, so the next `#` or `@` may start an entity
                        let (end, n, seen) = self.scan_arabic_word(self.pos);
                        let token = Token {
                            kind: TokenKind::Word,
                            start: self.pos,
                            end,
                            char_start: self.char_pos,
                            char_end: self.char_pos + n,
                        };
                        self.word_bits = seen;
                        self.prev = Prev::Other;
                        self.pos = end;
                        self.char_pos += n;
                        return Some(token);
                    }
                    if b == 0xD8 && bytes[self.pos + 1] == 0x9C {
                        // U+061C ARABIC LETTER MARK: invisible
                        self.pos += 2;
                        self.char_pos += 1;
                        continue;
                    }
                    // Arabic comma, semicolon, question mark, percent, star, full stop:
                    // punctuation whatever follows, without the general path's lookups
                    if matches!(
                        (b, bytes[self.pos + 1]),
                        (0xD8, 0x8C | 0x9B | 0x9F) | (0xD9, 0xAA | 0xAD) | (0xDB, 0x94)
                    ) {
                        return Some(self.emit(TokenKind::Punct, self.pos + 2, 1));
                    }
                    break;
                }
                b if b < 0x80 && ASCII_CLASS[usize::from(b)] & ascii::PUNCT != 0 => {
                    return Some(self.emit(TokenKind::Punct, self.pos + 1, 1));
                }
                0x00..=0x7F => break,
                _ => {
                    let c = self.peek(self.pos)?;
                    if is_separator(c) || c == ZWJ || is_variation_selector(c) {
                        self.pos += c.len_utf8();
                        self.char_pos += 1;
                        self.prev = Prev::Other;
                    } else {
                        break;
                    }
                }
            }
        }
        let pos = self.pos;
        let c = self.peek(pos)?;
        let c_len = c.len_utf8();

        if self.emoji_starts(pos, c) {
            let (end, n) = self.scan_emoji(pos);
            return Some(self.emit(TokenKind::Emoji, end, n));
        }

        let after_word_char = self.prev == Prev::AsciiWord;

        if (c == '#' || c == '＃') && !after_word_char {
            let (end, n, has_letter) = self.scan_tag_name(pos + c_len, false);
            if has_letter {
                return Some(self.emit(TokenKind::Hashtag, end, n + 1));
            }
        }
        if (c == '@' || c == '＠') && !after_word_char {
            let (end, n, _) = self.scan_tag_name(pos + c_len, true);
            if n > 0 {
                return Some(self.emit(TokenKind::Mention, end, n + 1));
            }
        }

        if c.is_ascii_alphanumeric() && self.prev == Prev::Other {
            if let Some((end, n)) = self.scan_email(pos).or_else(|| self.scan_url(pos)) {
                return Some(self.emit(TokenKind::Url, end, n));
            }
        }

        if digit_value(c).is_some() {
            let (end, n) = self.scan_number(pos);
            // ASCII digits glued to Latin letters are a "Franco" word (3ayez, 5G)
            if c.is_ascii_digit() {
                if let Some(next) = self.peek(end) {
                    if is_latin_letter(next) {
                        let (wend, wn) = self.scan_other_word(pos);
                        if wend > end {
                            return Some(self.emit(TokenKind::Word, wend, wn));
                        }
                    }
                }
            }
            return Some(self.emit(TokenKind::Number, end, n));
        }

        if is_arabic_word_char(c) {
            let (end, n, _) = self.scan_arabic_word(pos);
            return Some(self.emit(TokenKind::Word, end, n));
        }
        if is_arabic_letter(c) || c.is_alphabetic() {
            let (end, n) = self.scan_other_word(pos);
            if n > 0 {
                return Some(self.emit(TokenKind::Word, end, n));
            }
        }
        Some(self.emit(TokenKind::Punct, pos + c_len, 1))
    }
}

/// Tokenise `text` and tell, for every token, whether normalising its text under `profile`
/// would change it: the tokeniser already looks every Arabic character up in its class table,
/// so most words are known to be in normal form without a second pass over them.
pub fn tokenize_normalized(text: &str, profile: Profile) -> NormalTokens<'_> {
    NormalTokens {
        tokens: tokens_of(text),
        profile,
    }
}

/// Iterator of [`NormalToken`]s; see [`tokenize_normalized`].
pub struct NormalTokens<'a> {
    tokens: Tokens<'a, true>,
    profile: Profile,
}

/// A token, with what its normal form costs to get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalToken {
    /// The token, as [`tokenize`] gives it.
    pub token: Token,
    /// Class bits the scan saw (or [`NOT_FAST`]), judged only when a normal form is asked for.
    word_bits: u8,
    profile: Profile,
}

impl NormalToken {
    /// True when [`Token::text`] is already in the profile's normal form, so that
    /// [`NormalToken::normal`] borrows it instead of writing it out.
    #[inline]
    pub fn unchanged(&self, input: &str) -> bool {
        let squeezes = self.profile != Profile::Display;
        let bits = self.word_bits;
        let bytes = self.token.text(input).as_bytes();
        if bits & NOT_FAST == 0 {
            // an Arabic word of two-byte characters: unchanged unless one of them folds
            let folds = match self.profile {
                Profile::Search => class::SEARCH_FOLDS,
                Profile::Model => class::MODEL_FOLDS,
                // no character of the fast path is invisible junk
                Profile::Display => 0,
            };
            return bits & folds == 0
                && (bits & DOUBLED == 0 || !squeezes || !has_run_of_three(bytes, 2));
        }
        bytes.is_ascii()
            && (!squeezes
                || (!bytes.iter().any(u8::is_ascii_uppercase) && !has_run_of_three(bytes, 1)))
    }

    /// `normalize(token.text(input), profile)`: the input itself when it is unchanged (no copy),
    /// else written into `buf`.
    #[inline]
    pub fn normal<'s>(&self, input: &'s str, buf: &'s mut String) -> &'s str {
        let text = self.token.text(input);
        if self.unchanged(input) {
            return text;
        }
        if self.word_bits & NOT_FAST == 0 {
            fold_arabic_word_into(text, self.profile, buf);
        } else {
            normalize_into(text, self.profile, buf);
        }
        buf
    }
}

impl<'a> Iterator for NormalTokens<'a> {
    type Item = NormalToken;

    #[inline]
    fn next(&mut self) -> Option<NormalToken> {
        let token = self.tokens.next()?;
        Some(NormalToken {
            token,
            word_bits: self.tokens.word_bits,
            profile: self.profile,
        })
    }
}

/// Whether three equal characters of `width` bytes each (1 for ASCII, 2 for the Arabic block)
/// follow one another, digits excepted: the squeeze of `search` and `model` would shorten them.
#[inline]
fn has_run_of_three(bytes: &[u8], width: usize) -> bool {
    let n = bytes.len();
    let mut i = 0;
    while i + 3 * width <= n {
        let same = if width == 1 {
            bytes[i] == bytes[i + 1] && bytes[i] == bytes[i + 2]
        } else {
            bytes[i] == bytes[i + 2]
                && bytes[i + 1] == bytes[i + 3]
                && bytes[i] == bytes[i + 4]
                && bytes[i + 1] == bytes[i + 5]
        };
        if same && !bytes[i].is_ascii_digit() {
            return true;
        }
        i += width;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<(&'static str, String)> {
        tokenize(s)
            .map(|t| (t.kind.as_str(), t.text(s).to_string()))
            .collect()
    }

    #[test]
    fn hashtag_with_underscore_and_glued_conjunction() {
        assert_eq!(
            toks("و#اعرف_حقك"),
            vec![("word", "و".into()), ("hashtag", "اعرف_حقك".into())]
        );
    }

    #[test]
    fn email_is_one_url_token_not_a_mention() {
        assert_eq!(
            toks("راسلونا info@moh.gov.eg"),
            vec![
                ("word", "راسلونا".into()),
                ("url", "info@moh.gov.eg".into())
            ]
        );
    }

    #[test]
    fn url_trailing_brackets_trim_in_linear_time() {
        // regression: trimming recounted brackets per character (quadratic on hostile input)
        let s = format!("http://a.eg/x{}", ")".repeat(200_000));
        let v: Vec<Token> = tokenize(&s).collect();
        assert_eq!(v[0].kind, TokenKind::Url);
        assert_eq!(v[0].text(&s), "http://a.eg/x");
        assert_eq!(v.len(), 200_001);
        assert_eq!(
            toks("(see https://x.eg/a_(b))"),
            vec![
                ("punct", "(".into()),
                ("word", "see".into()),
                ("url", "https://x.eg/a_(b)".into()),
                ("punct", ")".into()),
            ]
        );
    }

    #[test]
    fn hostile_dash_runs_tokenise_in_linear_time() {
        // regression: e-mail and domain look-ahead rescanned the rest of the run at each word
        let s = "a-".repeat(200_000);
        let n = tokenize(&s).count();
        assert_eq!(n, 400_000);
    }

    /// (text, unchanged) of every token under `profile`.
    fn hints(s: &str, profile: Profile) -> Vec<(&str, bool)> {
        tokenize_normalized(s, profile)
            .map(|t| (t.token.text(s), t.unchanged(s)))
            .collect()
    }

    #[test]
    fn words_in_normal_form_are_borrowed_and_folding_words_are_not() {
        let s = "وزير الصحه يزور مستشفى أسيوط الْيوم مسئول جمييييل جمييل RT مصر، rt";
        assert_eq!(
            hints(s, Profile::Search),
            vec![
                ("وزير", true),
                ("الصحه", true),
                ("يزور", true),
                ("مستشفى", false),
                ("أسيوط", false),
                ("الْيوم", false),
                ("مسئول", true),
                ("جمييييل", false),
                ("جمييل", true),
                ("RT", false),
                ("مصر", true),
                ("،", false),
                ("rt", true),
            ]
        );
        // the hamza on a carrier folds under `model` only; `display` keeps letters as written
        assert_eq!(hints("مسئول", Profile::Model), vec![("مسئول", false)]);
        assert_eq!(
            hints("أسيوط الْيوم", Profile::Display),
            vec![("أسيوط", true), ("الْيوم", true)]
        );
        let mut buf = String::new();
        let t = tokenize_normalized(s, Profile::Search).next().unwrap();
        assert!(
            std::ptr::eq(t.normal(s, &mut buf), &s[..t.token.end]),
            "borrowed, not copied"
        );
    }

    #[test]
    fn ascii_fast_paths_keep_the_general_rules() {
        assert_eq!(
            toks("don't rock'n'roll RT: a_b & \u{1}x *️⃣ #1 #x @y 5G"),
            vec![
                ("word", "don't".into()),
                ("word", "rock'n'roll".into()),
                ("word", "RT".into()),
                ("punct", ":".into()),
                ("word", "a".into()),
                ("punct", "_".into()),
                ("word", "b".into()),
                ("punct", "&".into()),
                ("punct", "\u{1}".into()),
                ("word", "x".into()),
                ("emoji", "*️⃣".into()),
                ("punct", "#".into()),
                ("number", "1".into()),
                ("hashtag", "x".into()),
                ("mention", "y".into()),
                ("word", "5G".into()),
            ]
        );
        // an ASCII run continues into Latin letters beyond ASCII
        assert_eq!(toks("café"), vec![("word", "café".into())]);
    }

    #[test]
    fn offsets_are_in_chars() {
        let s = "مصر 😡 https://t.co/x";
        let v: Vec<Token> = tokenize(s).collect();
        assert_eq!((v[1].char_start, v[1].char_end), (4, 5));
        assert_eq!((v[2].char_start, v[2].char_end), (6, 20));
    }
}
