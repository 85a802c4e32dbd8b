//! The scorecard report in three forms: JSON for programs, CSV for spreadsheets, and one
//! self-contained HTML page (Arabic RTL first, English on request) that tells each account's
//! story with SVG charts drawn here — no scripts, fonts or network at all, so it can be mailed,
//! archived and printed as it is.
//!
//! Pure: scorecards in, text out.
#![deny(missing_docs)]
#![recursion_limit = "256"]

mod html;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tawasul_core::scorecard::{Quantile, Scorecard};

pub use html::{to_html, Lang};

/// Errors of the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The CSV writer failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// The CSV bytes were not UTF-8 (cannot happen with our inputs).
    #[error("csv: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
}

/// What a report is about, beyond the scorecards.
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    /// When computed (ISO 8601).
    pub as_of: String,
    /// The time zone of the dates and heatmaps.
    pub timezone: String,
    /// Body key → (Arabic name, English name).
    pub body_names: BTreeMap<String, (String, String)>,
    /// Set when the store holds generated demo data: every output says so.
    pub demo: bool,
}

/// The `post_type` labels in codebook order, with their Arabic and English names.
pub const POST_TYPES: [(&str, &str, &str); 14] = [
    ("decision", "قرارات", "Decisions"),
    ("service", "خدمات", "Services"),
    ("official_activity", "نشاط المسؤول", "Official activity"),
    ("news", "أخبار وإنجازات", "News"),
    ("statistics", "أرقام وإحصاءات", "Statistics"),
    ("agreement", "اتفاقيات", "Agreements"),
    ("guidance", "إرشادات وتوعية", "Guidance"),
    ("rumor_rebuttal", "نفي الشائعات", "Rumour rebuttals"),
    ("religious", "محتوى ديني", "Religious"),
    ("jobs", "وظائف ومسابقات", "Jobs"),
    ("publication", "إصدارات", "Publications"),
    ("greeting", "تهاني ومناسبات", "Greetings"),
    ("citizen_reply", "رد على مواطن", "Citizen replies"),
    ("other", "أخرى", "Other"),
];

/// The `intent` labels in codebook order.
pub const INTENTS: [&str; 5] = ["complaint", "question", "request", "praise", "other"];

fn seconds(q: Quantile) -> Value {
    q.seconds().map_or(Value::Null, |s| json!(round3(s)))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn ratio(x: Option<f64>) -> Value {
    x.map_or(Value::Null, |x| json!((x * 10_000.0).round() / 10_000.0))
}

/// One account as a JSON object (the report's `accounts` items).
pub fn account_json(card: &Scorecard, rank: usize, meta: &ReportMeta) -> Value {
    let p = &card.publishing;
    let r = &card.responsiveness;
    let names = meta.body_names.get(&card.account.body);
    let post_types: BTreeMap<&str, u64> = POST_TYPES
        .iter()
        .map(|(label, _, _)| (*label, p.post_types.get(*label).copied().unwrap_or(0)))
        .collect();
    let intents: BTreeMap<&str, u64> = INTENTS
        .iter()
        .map(|label| (*label, r.intents.get(*label).copied().unwrap_or(0)))
        .collect();
    let hashtags: Vec<Value> = card
        .top_hashtags(10)
        .into_iter()
        .map(|(tag, count)| json!({"tag": tag, "count": count}))
        .collect();
    json!({
        "rank": rank,
        "handle": card.account.handle,
        "body": card.account.body,
        "body_name_ar": names.map(|n| n.0.as_str()),
        "body_name_en": names.map(|n| n.1.as_str()),
        "followers": card.account.followers,
        "posts": p.posts,
        "originals": p.originals,
        "retweets": p.retweets,
        "president_retweets": p.president_retweets,
        "government_retweets": p.government_retweets,
        "quotes": p.quotes,
        "replies": p.replies,
        "replies_to_citizens": p.replies_to_citizens,
        "self_replies": p.self_replies,
        "with_media": p.with_media,
        "restricted_replies": p.restricted_replies,
        "restricted_share": ratio(card.restricted_share()),
        "posts_per_day": round3(card.posts_per_day()),
        "active_days": p.active_days,
        "post_types": post_types,
        "top_hashtags": hashtags,
        "heatmap": p.heatmap.iter().map(|day| day.to_vec()).collect::<Vec<_>>(),
        "engagement_per_original": card.engagement_per_original().map(round3),
        "engagement_per_1000_followers": card.engagement_per_1000_followers().map(round3),
        "citizen_messages": r.citizen_messages,
        "needs_reply": r.needs_reply,
        "unlabelled": r.unlabelled,
        "intents": intents,
        "answered_7d": r.answered_7d,
        "needs_reply_answered_7d": r.needs_reply_answered_7d,
        "awaiting_outcome": r.awaiting,
        "reply_rate": ratio(card.reply_rate()),
        "needs_reply_rate": ratio(card.needs_reply_rate()),
        "median_response_s": seconds(r.median),
        "p75_response_s": seconds(r.p75),
        "p90_response_s": seconds(r.p90),
        "median_business_response_s": seconds(r.median_business),
        "p90_business_response_s": seconds(r.p90_business),
        "median_not_reached": r.median == Quantile::NotReached,
        "p90_not_reached": r.p90 == Quantile::NotReached,
        "answered_within_1h": ratio(r.within_1h),
        "answered_within_24h": ratio(r.within_24h),
        "outside_hours_share": ratio(card.outside_hours_share()),
        "answered_threads": r.answered_threads,
        "dialogue_threads": r.dialogue_threads,
        "interactivity_index": card.interactivity_index,
    })
}

/// The whole report as JSON.
pub fn to_json(meta: &ReportMeta, cards: &[Scorecard]) -> Value {
    json!({
        "from": meta.from,
        "to": meta.to,
        "as_of": meta.as_of,
        "timezone": meta.timezone,
        "demo_data": meta.demo,
        "definitions": "shared/reference/metrics.md §3; response times: Kaplan–Meier with unanswered messages censored at 7 days; business time on each body's calendar (elapsed open hours between message and reply)",
        "accounts": cards.iter().enumerate().map(|(i, c)| account_json(c, i + 1, meta)).collect::<Vec<_>>(),
    })
}

/// Column order of the CSV: every scalar of the JSON, then one column per post type and intent.
const CSV_SCALARS: [&str; 44] = [
    "rank",
    "handle",
    "body",
    "followers",
    "posts",
    "originals",
    "retweets",
    "president_retweets",
    "government_retweets",
    "quotes",
    "replies",
    "replies_to_citizens",
    "self_replies",
    "with_media",
    "restricted_replies",
    "restricted_share",
    "posts_per_day",
    "active_days",
    "engagement_per_original",
    "engagement_per_1000_followers",
    "citizen_messages",
    "needs_reply",
    "unlabelled",
    "answered_7d",
    "needs_reply_answered_7d",
    "awaiting_outcome",
    "reply_rate",
    "needs_reply_rate",
    "median_response_s",
    "p75_response_s",
    "p90_response_s",
    "median_business_response_s",
    "p90_business_response_s",
    "median_not_reached",
    "p90_not_reached",
    "answered_within_1h",
    "answered_within_24h",
    "outside_hours_share",
    "answered_threads",
    "dialogue_threads",
    "interactivity_index",
    "from",
    "to",
    "demo_data",
];

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The report as CSV: a header and one row per account. Text cells that a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@` first) are prefixed with `'`.
pub fn to_csv(meta: &ReportMeta, cards: &[Scorecard]) -> Result<String, ReportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = CSV_SCALARS.iter().map(|c| c.to_string()).collect();
    header.extend(POST_TYPES.iter().map(|(l, _, _)| format!("post_type_{l}")));
    header.extend(INTENTS.iter().map(|l| format!("intent_{l}")));
    writer.write_record(&header)?;
    for (i, card) in cards.iter().enumerate() {
        let object = account_json(card, i + 1, meta);
        let mut row: Vec<String> = CSV_SCALARS
            .iter()
            .map(|column| match *column {
                "from" => meta.from.clone(),
                "to" => meta.to.clone(),
                "demo_data" => meta.demo.to_string(),
                _ => cell(object.get(*column)),
            })
            .map(|text| {
                if text.starts_with(['=', '+', '@']) {
                    format!("'{text}")
                } else {
                    text
                }
            })
            .collect();
        for (label, _, _) in POST_TYPES {
            row.push(cell(object["post_types"].get(label)));
        }
        for label in INTENTS {
            row.push(cell(object["intents"].get(label)));
        }
        writer.write_record(&row)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))?;
    Ok(String::from_utf8(bytes)?)
}
