//! Field-level parsing shared by every format: ids that arrive as strings or numbers, counts that
//! arrive as strings, the three timestamp spellings, and HTML-escaped text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Parses a decimal id; `None` for anything that is not a positive integer (archives write
/// `"-1"` for unknown mention ids).
pub fn parse_id(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|&id| valid_id(id))
}

/// Ids are positive and fit in a signed 64-bit integer (all X snowflakes do; stores need it).
fn valid_id(id: u64) -> bool {
    id > 0 && id <= i64::MAX as u64
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id as a digit string or an unsigned integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v).filter(|&v| valid_id(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).ok().filter(|&v| valid_id(v)))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        // A float id has already lost digits (x-formats.md §1): refuse to guess.
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(parse_id(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Serde helper: an optional id from a string, an integer or null.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(IdVisitor)
}

/// Serde helper: a list of ids; entries that are not ids are dropped.
pub fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    struct ListVisitor;
    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<u64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of ids")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(Lenient(id)) = seq.next_element::<Lenient>()? {
                out.extend(id);
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    struct Lenient(Option<u64>);
    impl<'de> de::Deserialize<'de> for Lenient {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(IdVisitor).map(Lenient)
        }
    }
    d.deserialize_any(ListVisitor)
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a count as an integer or a digit string")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).ok())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok((v >= 0.0 && v.fract() == 0.0 && v < 1e18).then_some(v as u64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<u64>().ok())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Serde helper: a count from an integer or a string (archives, `edits_remaining`).
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(CountVisitor)
}

/// Serde helper: a boolean from `true`/`false` or their string spellings.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct BoolVisitor;
    impl<'de> Visitor<'de> for BoolVisitor {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(match v.trim() {
                "true" | "True" | "1" => Some(true),
                "false" | "False" | "0" => Some(false),
                _ => None,
            })
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(BoolVisitor)
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn to_ms(
    (year, month, day): (i64, u32, u32),
    (h, mi, s, ms): (u32, u32, u32, i64),
    offset_min: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + h as i64) * 60 + mi as i64 - offset_min) * 60_000 + s as i64 * 1000 + ms)
}

/// Parses RFC 3339 (`2021-05-08T01:41:52.000Z`, `2021-05-19T15:26:17+00:00`, any fraction
/// length, a space instead of `T`) into Unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() < 19 || !t.is_char_boundary(10) || !t.is_char_boundary(19) {
        return None;
    }
    let (date, rest) = t.split_at(10);
    let mut parts = date.split('-');
    let year = digits(parts.next()?)? as i64;
    let month = digits(parts.next()?)?;
    let day = digits(parts.next()?)?;
    let sep = rest.as_bytes()[0];
    if sep != b'T' && sep != b' ' && sep != b't' {
        return None;
    }
    let time = &rest[1..9];
    let mut hms = time.split(':');
    let h = digits(hms.next()?)?;
    let mi = digits(hms.next()?)?;
    let s = digits(hms.next()?)?;
    let mut tail = &rest[9..];
    let mut ms = 0i64;
    if let Some(frac) = tail.strip_prefix('.') {
        let end = frac
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(frac.len());
        let f = &frac[..end];
        for (i, b) in f.bytes().take(3).enumerate() {
            ms += (b - b'0') as i64 * [100, 10, 1][i];
        }
        tail = &frac[end..];
    }
    let offset = match tail {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tail.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hhmm = tail[1..].replace(':', "");
            if hhmm.len() != 4 {
                return None;
            }
            let oh = digits(&hhmm[..2])? as i64;
            let om = digits(&hhmm[2..])? as i64;
            sign * (oh * 60 + om)
        }
    };
    to_ms((year, month, day), (h, mi, s, ms), offset)
}

/// Parses the v1.1/archive spelling `Fri Mar 31 13:36:51 +0000 2017` into Unix milliseconds.
pub fn parse_v1_date_ms(text: &str) -> Option<i64> {
    let mut fields = text.split_ascii_whitespace();
    let _weekday = fields.next()?;
    let month = match fields.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let day = digits(fields.next()?)?;
    let mut hms = fields.next()?.split(':');
    let h = digits(hms.next()?)?;
    let mi = digits(hms.next()?)?;
    let s = digits(hms.next()?)?;
    let zone = fields.next()?;
    if zone.len() != 5 {
        return None;
    }
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let offset = sign * (digits(&zone[1..3])? as i64 * 60 + digits(&zone[3..5])? as i64);
    let year = digits(fields.next()?)? as i64;
    to_ms((year, month, day), (h, mi, s, 0), offset)
}

/// Any timestamp spelling tawasul meets: RFC 3339, v1.1, or epoch milliseconds.
pub fn parse_any_time_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() >= 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    parse_rfc3339_ms(t).or_else(|| parse_v1_date_ms(t))
}

/// Decodes the HTML entities X leaves in post text (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&#39;`); borrows when there is nothing to decode.
pub fn unescape_html(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, used) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else if rest.starts_with("&quot;") {
            ('"', 6)
        } else if rest.starts_with("&#39;") || rest.starts_with("&apos;") {
            ('\'', if rest.starts_with("&#39;") { 5 } else { 6 })
        } else {
            ('&', 1)
        };
        out.push(decoded);
        rest = &rest[used..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_every_spelling() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(deserialize_with = "opt_id", default)]
            id: Option<u64>,
        }
        let id = |json: &str| serde_json::from_str::<T>(json).unwrap().id;
        assert_eq!(
            id(r#"{"id":"847804888365117440"}"#),
            Some(847_804_888_365_117_440)
        );
        assert_eq!(
            id(r#"{"id":847804888365117440}"#),
            Some(847_804_888_365_117_440)
        );
        assert_eq!(id(r#"{"id":"-1"}"#), None);
        assert_eq!(id(r#"{"id":8.478048883651174e17}"#), None);
        assert_eq!(id(r#"{"id":null}"#), None);
        assert_eq!(id(r#"{}"#), None);
    }

    #[test]
    fn times_in_every_spelling() {
        assert_eq!(
            parse_v1_date_ms("Fri Mar 31 13:36:51 +0000 2017"),
            Some(1_490_967_411_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2017-03-31T13:36:51.000Z"),
            Some(1_490_967_411_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2025-01-25T21:42:05.068Z"),
            Some(1_737_841_325_068)
        );
        assert_eq!(
            parse_rfc3339_ms("2021-05-19T15:26:17+00:00"),
            Some(1_621_437_977_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2021-05-19T17:26:17+02:00"),
            Some(1_621_437_977_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2020-09-27T07:17:28.891000Z"),
            Some(1_601_191_048_891)
        );
        assert_eq!(parse_any_time_ms("1490967411496"), Some(1_490_967_411_496));
        assert_eq!(parse_any_time_ms("2017-13-31T00:00:00Z"), None);
        assert_eq!(parse_any_time_ms("yesterday"), None);
        assert_eq!(parse_any_time_ms("٢٠٢١-٠٥-٠٨T01:41:52Z"), None);
    }

    #[test]
    fn html_entities_decoded_once() {
        assert_eq!(
            unescape_html("Hello World &amp; good wishes."),
            "Hello World & good wishes."
        );
        assert_eq!(unescape_html("a &amp;lt; b &gt; c & d"), "a &lt; b > c & d");
        assert!(matches!(unescape_html("لا شيء"), Cow::Borrowed(_)));
    }
}
