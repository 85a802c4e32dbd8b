//! Tabular inputs: twarc-csv's 84-column CSV (its conversions undone) and any delimited file
//! whose columns the user maps (`--columns id=tweet_id,author=handle,...`).

use std::collections::HashMap;

use tawasul_core::{AccountInfo, Mention, Metrics, Post, PostKind, Record};

use crate::value::{parse_any_time_ms, parse_id};

/// Fields a delimited file can provide, and the header names recognised for each when the user
/// gives no mapping.
pub const FIELDS: &[(&str, &[&str])] = &[
    ("id", &["id", "tweet_id", "post_id", "id_str", "status_id"]),
    (
        "text",
        &[
            "text",
            "full_text",
            "tweet_text",
            "content",
            "message",
            "body",
        ],
    ),
    (
        "author",
        &[
            "author",
            "handle",
            "username",
            "screen_name",
            "user_screen_name",
            "author.username",
            "account",
        ],
    ),
    ("author_id", &["author_id", "user_id"]),
    (
        "created_at",
        &["created_at", "date", "time", "timestamp", "published_at"],
    ),
    (
        "kind",
        &["kind", "tweet_type", "type", "post_type_structural"],
    ),
    (
        "reply_to",
        &[
            "reply_to",
            "in_reply_to_status_id",
            "in_reply_to_id",
            "referenced_tweets.replied_to.id",
        ],
    ),
    ("reply_to_user", &["reply_to_user", "in_reply_to_user_id"]),
    ("conversation_id", &["conversation_id", "thread_id"]),
    (
        "retweet_of",
        &["retweet_of", "referenced_tweets.retweeted.id"],
    ),
    ("quote_of", &["quote_of", "referenced_tweets.quoted.id"]),
    ("lang", &["lang", "language"]),
    (
        "likes",
        &[
            "likes",
            "like_count",
            "favorite_count",
            "public_metrics.like_count",
        ],
    ),
    (
        "retweets",
        &["retweets", "retweet_count", "public_metrics.retweet_count"],
    ),
    (
        "replies",
        &["replies", "reply_count", "public_metrics.reply_count"],
    ),
    (
        "quotes",
        &["quotes", "quote_count", "public_metrics.quote_count"],
    ),
];

/// Column positions for each field of a delimited file.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    columns: HashMap<&'static str, usize>,
}

impl ColumnMap {
    /// Resolves a user mapping (`field=column,...`, may be empty) against a header; fields the
    /// user did not map are found by their usual names. Errors name the unknown field or column.
    pub fn resolve(spec: &str, header: &csv::StringRecord) -> Result<Self, String> {
        let position = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let mut columns = HashMap::new();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| format!("--columns: {pair:?} is not field=column"))?;
            let field = FIELDS
                .iter()
                .map(|(f, _)| *f)
                .find(|f| *f == field.trim())
                .ok_or_else(|| {
                    let known: Vec<_> = FIELDS.iter().map(|(f, _)| *f).collect();
                    format!(
                        "--columns: unknown field {:?} (known: {})",
                        field.trim(),
                        known.join(", ")
                    )
                })?;
            let at = position(column.trim())
                .ok_or_else(|| format!("--columns: no column {:?} in the header", column.trim()))?;
            columns.insert(field, at);
        }
        for (field, names) in FIELDS {
            if !columns.contains_key(field) {
                if let Some(at) = names.iter().find_map(|n| position(n)) {
                    columns.insert(*field, at);
                }
            }
        }
        for required in ["id", "text"] {
            if !columns.contains_key(required) {
                return Err(format!(
                    "no column for `{required}`: map it with --columns {required}=<column>"
                ));
            }
        }
        Ok(ColumnMap { columns })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, field: &str) -> Option<&'r str> {
        self.columns
            .get(field)
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

fn id_field(
    map: &ColumnMap,
    record: &csv::StringRecord,
    field: &str,
) -> Result<Option<u64>, String> {
    match map.get(record, field) {
        None => Ok(None),
        Some(v) => parse_id(v)
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: {v:?} is not an id")),
    }
}

fn count_field(map: &ColumnMap, record: &csv::StringRecord, field: &str) -> Option<u64> {
    map.get(record, field)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v >= 0.0)
        .map(|v| v as u64)
}

/// One row of a user-mapped delimited file.
pub(crate) fn delimited_post(map: &ColumnMap, record: &csv::StringRecord) -> Result<Post, String> {
    let id = id_field(map, record, "id")?.ok_or("field `id` is empty")?;
    let mut post = Post {
        id,
        text: map.get(record, "text").unwrap_or("").to_string(),
        author_handle: map
            .get(record, "author")
            .map(|h| h.trim_start_matches('@').to_string()),
        author_id: id_field(map, record, "author_id")?,
        created_at_ms: tawasul_core::snowflake::time_ms(id),
        reply_to_post: id_field(map, record, "reply_to")?,
        reply_to_user: id_field(map, record, "reply_to_user")?,
        conversation_id: id_field(map, record, "conversation_id")?,
        retweet_of: id_field(map, record, "retweet_of")?,
        quote_of: id_field(map, record, "quote_of")?,
        lang: map.get(record, "lang").map(str::to_string),
        metrics: Metrics {
            likes: count_field(map, record, "likes"),
            retweets: count_field(map, record, "retweets"),
            replies: count_field(map, record, "replies"),
            quotes: count_field(map, record, "quotes"),
            impressions: None,
            bookmarks: None,
        },
        complete: true,
        ..Post::default()
    };
    if let Some(created) = map.get(record, "created_at") {
        let ms = parse_any_time_ms(created)
            .ok_or_else(|| format!("field `created_at`: {created:?} is not a time"))?;
        post.created_at_ms = post.created_at_ms.or(Some(ms));
    }
    post.kind = match map.get(record, "kind") {
        Some(kind) => PostKind::parse(kind).ok_or_else(|| {
            format!("field `kind`: {kind:?} is not original, retweet, reply or quote")
        })?,
        None if post.retweet_of.is_some() => PostKind::Retweet,
        None if post.reply_to_post.is_some() || post.reply_to_user.is_some() => PostKind::Reply,
        None if post.quote_of.is_some() => PostKind::Quote,
        None => PostKind::Original,
    };
    crate::entities::fill_from_text(&mut post);
    Ok(post)
}

/// Column positions of a twarc-csv header.
pub(crate) struct TwarcColumns {
    at: HashMap<String, usize>,
}

/// True when a header is twarc-csv's.
pub(crate) fn is_twarc_header(header: &csv::StringRecord) -> bool {
    let has = |name: &str| header.iter().any(|h| h == name);
    has("id")
        && has("conversation_id")
        && has("referenced_tweets.replied_to.id")
        && has("author_id")
}

impl TwarcColumns {
    pub(crate) fn new(header: &csv::StringRecord) -> Self {
        TwarcColumns {
            at: header
                .iter()
                .enumerate()
                .map(|(i, h)| (h.to_string(), i))
                .collect(),
        }
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.at
            .get(name)
            .and_then(|&i| record.get(i))
            .filter(|v| !v.is_empty())
    }

    fn id(&self, record: &csv::StringRecord, name: &str) -> Result<Option<u64>, String> {
        match self.get(record, name) {
            None => Ok(None),
            Some(v) => parse_id(v)
                .map(Some)
                .ok_or_else(|| format!("column `{name}`: {v:?} is not an id")),
        }
    }

    fn count(&self, record: &csv::StringRecord, name: &str) -> Option<u64> {
        self.get(record, name)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as u64)
    }

    fn list(&self, record: &csv::StringRecord, name: &str) -> Vec<String> {
        self.get(record, name)
            .and_then(|v| serde_json::from_str::<Vec<serde_json::Value>>(v).ok())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    }
}

/// One twarc-csv row: a post and its author. Undoes twarc-csv's conversions (x-formats.md §8).
pub(crate) fn twarc_row(
    cols: &TwarcColumns,
    record: &csv::StringRecord,
    out: &mut Vec<Record>,
) -> Result<(), String> {
    let id = cols.id(record, "id")?.ok_or("column `id` is empty")?;
    let observed_at_ms = cols
        .get(record, "__twarc.retrieved_at")
        .and_then(parse_any_time_ms);
    let author_id = cols.id(record, "author_id")?;
    let mut post = Post {
        id,
        author_id,
        author_handle: cols.get(record, "author.username").map(str::to_string),
        created_at_ms: tawasul_core::snowflake::time_ms(id)
            .or_else(|| cols.get(record, "created_at").and_then(parse_any_time_ms)),
        // twarc-csv writes newlines as the two characters `\n`.
        text: cols.get(record, "text").unwrap_or("").replace("\\n", "\n"),
        lang: cols.get(record, "lang").map(str::to_string),
        conversation_id: cols.id(record, "conversation_id")?,
        reply_to_post: cols.id(record, "referenced_tweets.replied_to.id")?,
        reply_to_user: cols.id(record, "in_reply_to_user_id")?,
        retweet_of: cols.id(record, "referenced_tweets.retweeted.id")?,
        quote_of: cols.id(record, "referenced_tweets.quoted.id")?,
        reply_settings: cols.get(record, "reply_settings").map(str::to_string),
        edit_history: cols
            .list(record, "edit_history_tweet_ids")
            .iter()
            .filter_map(|s| parse_id(s))
            .collect(),
        hashtags: cols
            .list(record, "entities.hashtags")
            .into_iter()
            .map(|h| h.trim_start_matches('#').to_string())
            .collect(),
        mentions: cols
            .list(record, "entities.mentions")
            .into_iter()
            .map(|m| Mention {
                handle: m.trim_start_matches('@').to_string(),
                user_id: None,
            })
            .collect(),
        urls: cols.list(record, "entities.urls"),
        withheld_in: cols.list(record, "withheld.country_codes"),
        metrics: Metrics {
            likes: cols.count(record, "public_metrics.like_count"),
            retweets: cols.count(record, "public_metrics.retweet_count"),
            replies: cols.count(record, "public_metrics.reply_count"),
            quotes: cols.count(record, "public_metrics.quote_count"),
            impressions: cols.count(record, "public_metrics.impression_count"),
            bookmarks: cols.count(record, "public_metrics.bookmark_count"),
        },
        observed_at_ms,
        complete: true,
        ..Post::default()
    };
    post.kind = if post.retweet_of.is_some() {
        PostKind::Retweet
    } else if post.reply_to_post.is_some()
        || (post.reply_to_user.is_some() && post.quote_of.is_none())
    {
        PostKind::Reply
    } else if post.quote_of.is_some() {
        PostKind::Quote
    } else {
        PostKind::Original
    };
    if let Some(author_id) = author_id {
        out.push(Record::Account(AccountInfo {
            id: author_id,
            handle: post.author_handle.clone(),
            name: cols.get(record, "author.name").map(str::to_string),
            followers: cols.count(record, "author.public_metrics.followers_count"),
            following: cols.count(record, "author.public_metrics.following_count"),
            post_count: cols.count(record, "author.public_metrics.tweet_count"),
            verified: cols
                .get(record, "author.verified")
                .map(|v| v.eq_ignore_ascii_case("true")),
            observed_at_ms,
        }));
    }
    out.push(Record::Post(post));
    Ok(())
}
