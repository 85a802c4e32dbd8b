//! Properties over arbitrary Unicode: no panic, offsets that slice the input, normalisation
//! that is idempotent, stems that are idempotent on their own output's normal form.

use proptest::prelude::*;
use tawasul_text::{normalize, stem, tokenize, tokenize_normalized, weighted_length, Profile};

/// Strings biased towards the characters that matter here: Arabic letters and marks,
/// joiners, bidi controls, emoji parts, sigils, digits of three scripts.
fn social_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "ا",
        "أ",
        "ٱ",
        "ى",
        "ة",
        "ه",
        "و",
        "ال",
        "ل",
        "ب",
        "\u{064E}",
        "\u{0670}",
        "ـ",
        "\u{200C}",
        "\u{200D}",
        "\u{200F}",
        "\u{202B}",
        "\u{FEFF}",
        "\u{200B}",
        "#",
        "@",
        "_",
        "٣",
        "۴",
        "7",
        ".",
        ",",
        "٫",
        "https://",
        "www.",
        "t.co/",
        ".eg",
        "😡",
        "👨",
        "🏽",
        "\u{FE0F}",
        "\u{20E3}",
        "🇪",
        "🇬",
        "\u{E0067}",
        "ﻻ",
        "ﷲ",
        " ",
        "a",
        "Z",
        "İ",
        "中",
        "(",
        ")",
        "؟",
        "!",
        "\n",
        "ك",
        "ی",
        "ييي",
        "ووو",
        "ooo",
        "ؤ",
        "ئ",
        "\u{061C}",
        "ABC",
        "mm",
    ]);
    prop::collection::vec(
        prop_oneof![
            pieces.prop_map(String::from),
            any::<char>().prop_map(String::from)
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tokens_have_valid_ordered_offsets(s in social_text()) {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let mut last_end = 0;
        for t in tokenize(&s) {
            prop_assert!(t.start < t.end && t.end <= s.len());
            prop_assert!(t.start >= last_end);
            prop_assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end));
            // char offsets agree with byte offsets
            let cs = chars.iter().position(|(b, _)| *b == t.start).unwrap();
            let ce = chars.iter().position(|(b, _)| *b == t.end).unwrap_or(chars.len());
            prop_assert_eq!((t.char_start, t.char_end), (cs, ce));
            last_end = t.end;
        }
    }

    #[test]
    fn fused_normal_forms_equal_normalising_each_token(s in social_text()) {
        let mut buf = String::new();
        for p in [Profile::Search, Profile::Display, Profile::Model] {
            let plain: Vec<_> = tokenize(&s).collect();
            let fused: Vec<_> = tokenize_normalized(&s, p).collect();
            prop_assert_eq!(fused.iter().map(|t| t.token).collect::<Vec<_>>(), plain);
            for t in fused {
                let expected = normalize(t.token.text(&s), p);
                if t.unchanged(&s) {
                    prop_assert_eq!(t.token.text(&s), expected.as_str(), "{:?} {:?}", p, t);
                }
                prop_assert_eq!(t.normal(&s, &mut buf), expected.as_str(), "{:?} {:?}", p, t);
            }
        }
    }

    #[test]
    fn normalisation_is_idempotent(s in social_text()) {
        for p in [Profile::Search, Profile::Display, Profile::Model] {
            let once = normalize(&s, p);
            prop_assert_eq!(normalize(&once, p), once.clone(), "profile {:?}", p);
        }
    }

    #[test]
    fn search_never_maps_alef_maksura_to_alef(s in social_text()) {
        let with = format!("{s}على");
        prop_assert!(normalize(&with, Profile::Search).ends_with("علي"));
    }

    #[test]
    fn stem_and_length_never_panic(s in social_text()) {
        for w in s.split_whitespace() {
            let _ = stem(w);
        }
        let _ = weighted_length(&s);
    }
}
