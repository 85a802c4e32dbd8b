//! X API v2 as twarc2 writes it: response pages (`data` list + `includes`), stream lines (`data`
//! object), flattened tweets (expansions inlined), users lookups and DM events.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use tawasul_core::{AccountInfo, DirectMessage, Media, Mention, Metrics, Post, PostKind, Record};

use crate::value::{id_list, opt_bool, opt_count, opt_id, parse_rfc3339_ms, unescape_html};

type Text<'a> = Cow<'a, str>;

/// A v2 data item: a tweet, a user or a DM event. One struct for all, because twarc pages mix
/// them by endpoint and the fields that tell them apart are cheap to check.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ItemV2<'a> {
    #[serde(deserialize_with = "opt_id")]
    pub id: Option<u64>,
    #[serde(borrow)]
    pub text: Option<Text<'a>>,
    #[serde(borrow, rename = "type")]
    pub ref_type: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_id")]
    pub author_id: Option<u64>,
    #[serde(borrow)]
    pub created_at: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_id")]
    pub conversation_id: Option<u64>,
    #[serde(deserialize_with = "opt_id")]
    pub in_reply_to_user_id: Option<u64>,
    #[serde(borrow)]
    pub lang: Option<Text<'a>>,
    #[serde(borrow)]
    pub referenced_tweets: Vec<ItemV2<'a>>,
    #[serde(borrow)]
    pub entities: Option<EntitiesV2<'a>>,
    #[serde(borrow)]
    pub note_tweet: Option<NoteTweet<'a>>,
    pub public_metrics: Option<PublicMetrics>,
    #[serde(borrow)]
    pub reply_settings: Option<Text<'a>>,
    #[serde(deserialize_with = "id_list")]
    pub edit_history_tweet_ids: Vec<u64>,
    #[serde(borrow)]
    pub attachments: Option<Attachments<'a>>,
    #[serde(borrow)]
    pub withheld: Option<Withheld<'a>>,
    /// Flattened lines inline the author.
    #[serde(borrow)]
    pub author: Option<Box<ItemV2<'a>>>,
    // users
    #[serde(borrow)]
    pub username: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_bool")]
    pub verified: Option<bool>,
    // DM events
    #[serde(borrow)]
    pub event_type: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_id")]
    pub sender_id: Option<u64>,
    #[serde(borrow)]
    pub dm_conversation_id: Option<Text<'a>>,
    #[serde(deserialize_with = "id_list")]
    pub participant_ids: Vec<u64>,
    // counts pages
    #[serde(deserialize_with = "opt_count")]
    pub tweet_count: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EntitiesV2<'a> {
    #[serde(borrow)]
    hashtags: Vec<TagV2<'a>>,
    #[serde(borrow)]
    mentions: Vec<MentionV2<'a>>,
    #[serde(borrow)]
    urls: Vec<UrlV2<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TagV2<'a> {
    #[serde(borrow)]
    tag: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MentionV2<'a> {
    #[serde(borrow)]
    username: Text<'a>,
    #[serde(deserialize_with = "opt_id")]
    id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UrlV2<'a> {
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    expanded_url: Option<Text<'a>>,
    #[serde(borrow)]
    unwound_url: Option<Text<'a>>,
    #[serde(borrow)]
    media_key: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NoteTweet<'a> {
    #[serde(borrow)]
    text: Option<Text<'a>>,
    #[serde(borrow)]
    entities: Option<EntitiesV2<'a>>,
}

/// Tweet and user counts share the object name; every field is optional.
#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
pub(crate) struct PublicMetrics {
    #[serde(deserialize_with = "opt_count")]
    retweet_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    reply_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    like_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    quote_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    impression_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    bookmark_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    followers_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    following_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    tweet_count: Option<u64>,
}

impl PublicMetrics {
    fn post_metrics(&self) -> Metrics {
        Metrics {
            likes: self.like_count,
            retweets: self.retweet_count,
            replies: self.reply_count,
            quotes: self.quote_count,
            impressions: self.impression_count,
            bookmarks: self.bookmark_count,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Attachments<'a> {
    #[serde(borrow)]
    media_keys: Vec<Text<'a>>,
    /// Flattened lines inline the media objects.
    #[serde(borrow)]
    media: Vec<MediaV2<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MediaV2<'a> {
    #[serde(borrow)]
    media_key: Text<'a>,
    #[serde(borrow, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    preview_image_url: Option<Text<'a>>,
}

impl MediaV2<'_> {
    fn to_media(&self) -> Media {
        Media {
            key: self.media_key.to_string(),
            kind: self.kind.to_string(),
            url: self
                .url
                .as_ref()
                .or(self.preview_image_url.as_ref())
                .map(|u| u.to_string()),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Withheld<'a> {
    #[serde(borrow)]
    country_codes: Vec<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Includes<'a> {
    #[serde(borrow)]
    users: Vec<ItemV2<'a>>,
    #[serde(borrow)]
    tweets: Vec<&'a RawValue>,
    #[serde(borrow)]
    media: Vec<MediaV2<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TwarcMeta<'a> {
    #[serde(borrow)]
    retrieved_at: Option<Text<'a>>,
}

/// The top level of a v2 line, whichever kind it is. `data` stays raw so each item's source
/// text can be stored next to the parsed record.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PageV2<'a> {
    #[serde(borrow)]
    pub data: Option<DataField<'a>>,
    #[serde(borrow)]
    pub includes: Option<Includes<'a>>,
    #[serde(borrow, rename = "__twarc")]
    pub twarc: Option<TwarcMeta<'a>>,
    // Markers that tell other line kinds apart without a second pass.
    pub id_str: Option<IgnoredAny>,
    pub full_text: Option<IgnoredAny>,
    pub user: Option<IgnoredAny>,
    pub edit_history_tweet_ids: Option<IgnoredAny>,
    pub author_id: Option<IgnoredAny>,
    pub text: Option<IgnoredAny>,
    pub event_type: Option<IgnoredAny>,
    pub message_create: Option<IgnoredAny>,
    #[serde(borrow)]
    pub event: Option<&'a RawValue>,
    #[serde(borrow)]
    pub events: Option<&'a RawValue>,
    #[serde(borrow)]
    pub direct_message_events: Option<&'a RawValue>,
    #[serde(borrow)]
    pub tweet_create_events: Option<&'a RawValue>,
}

/// A page's `data`: a list of items captured raw in the one pass over the line, or (stream
/// lines) a single object, which the caller captures with a second, rare, parse.
pub(crate) enum DataField<'a> {
    Items(Vec<&'a RawValue>),
    Object,
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for DataField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DataVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for DataVisitor<'a> {
            type Value = DataField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of items or one item")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(100));
                while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                    items.push(raw);
                }
                Ok(DataField::Items(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(DataField::Object)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(DataField::Other)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(DataField::Other)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(DataField::Other)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(DataField::Other)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(DataField::Other)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(DataField::Other)
            }
        }
        d.deserialize_any(DataVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct StreamLine<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// Lookups a page provides to the items it carries.
struct PageContext<'p, 'a> {
    originals: HashMap<u64, &'p ItemV2<'a>>,
    media: HashMap<&'p str, &'p MediaV2<'a>>,
    handles: HashMap<u64, &'p str>,
    observed_at_ms: Option<i64>,
}

/// Turns one v2 page or stream line into records; returns the number of data items.
pub(crate) fn read_page<'a>(
    line: &'a str,
    page: &'a PageV2<'a>,
    keep_raw: bool,
    out: &mut Vec<Record>,
) -> Result<usize, String> {
    let items: Vec<&RawValue> = match &page.data {
        None | Some(DataField::Other) => return Ok(0),
        Some(DataField::Items(items)) => items.clone(),
        Some(DataField::Object) => {
            let stream: StreamLine =
                serde_json::from_str(line).map_err(|e| format!("data: {e}"))?;
            vec![stream.data]
        }
    };
    let observed_at_ms = page
        .twarc
        .as_ref()
        .and_then(|t| t.retrieved_at.as_deref())
        .and_then(parse_rfc3339_ms);
    let empty = Includes::default();
    let includes = page.includes.as_ref().unwrap_or(&empty);
    let mut included = Vec::with_capacity(includes.tweets.len());
    for raw in &includes.tweets {
        let item: ItemV2 =
            serde_json::from_str(raw.get()).map_err(|e| format!("includes.tweets: {e}"))?;
        included.push((*raw, item));
    }
    let ctx = PageContext {
        originals: included
            .iter()
            .filter_map(|(_, item)| Some((item.id?, item)))
            .collect(),
        media: includes
            .media
            .iter()
            .map(|m| (m.media_key.as_ref(), m))
            .collect(),
        handles: includes
            .users
            .iter()
            .filter_map(|u| Some((u.id?, u.username.as_deref()?)))
            .collect(),
        observed_at_ms,
    };
    for user in &includes.users {
        if let Some(account) = account_from(user, observed_at_ms) {
            out.push(Record::Account(account));
        }
    }
    for raw in &items {
        let item: ItemV2 = serde_json::from_str(raw.get()).map_err(|e| format!("data: {e}"))?;
        push_item(&item, raw.get(), &ctx, keep_raw, out)?;
    }
    // Referenced tweets are stored too, as posts of their own.
    for (raw, item) in &included {
        push_item(item, raw.get(), &ctx, keep_raw, out)?;
    }
    Ok(items.len())
}

/// One flattened tweet line (`twarc2 flatten`): expansions are inlined, so referenced tweets
/// carry their own fields and are stored too.
pub(crate) fn read_flat(raw: &str, keep_raw: bool, out: &mut Vec<Record>) -> Result<usize, String> {
    let item: ItemV2 = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    let inline_refs = || item.referenced_tweets.iter().filter(|r| r.text.is_some());
    let ctx = PageContext {
        originals: inline_refs().filter_map(|r| Some((r.id?, r))).collect(),
        media: HashMap::new(),
        handles: HashMap::new(),
        observed_at_ms: None,
    };
    for author in std::iter::once(&item.author)
        .chain(inline_refs().map(|r| &r.author))
        .flatten()
    {
        if let Some(account) = account_from(author, None) {
            out.push(Record::Account(account));
        }
    }
    push_item(&item, raw, &ctx, keep_raw, out)?;
    for r in inline_refs() {
        push_item(r, "", &ctx, false, out)?;
    }
    Ok(1)
}

fn account_from(user: &ItemV2, observed_at_ms: Option<i64>) -> Option<AccountInfo> {
    let metrics = user.public_metrics.unwrap_or_default();
    Some(AccountInfo {
        id: user.id?,
        handle: user.username.as_ref().map(|s| s.to_string()),
        name: user.name.as_ref().map(|s| s.to_string()),
        followers: metrics.followers_count,
        following: metrics.following_count,
        post_count: metrics.tweet_count,
        verified: user.verified,
        observed_at_ms,
    })
}

fn push_item(
    item: &ItemV2,
    raw: &str,
    ctx: &PageContext,
    keep_raw: bool,
    out: &mut Vec<Record>,
) -> Result<(), String> {
    if item.event_type.is_some() {
        out.push(Record::DirectMessage(dm_from(item, raw, keep_raw)?));
        return Ok(());
    }
    if item.text.is_none() && item.username.is_some() {
        if let Some(account) = account_from(item, ctx.observed_at_ms) {
            out.push(Record::Account(account));
        }
        return Ok(());
    }
    if item.tweet_count.is_some() && item.id.is_none() {
        return Ok(()); // a counts bucket, not a post
    }
    let id = item.id.ok_or("a tweet without an id")?;
    let mut post = Post {
        id,
        author_id: item.author_id,
        created_at_ms: tawasul_core::snowflake::time_ms(id)
            .or_else(|| item.created_at.as_deref().and_then(parse_rfc3339_ms)),
        lang: item.lang.as_ref().map(|s| s.to_string()),
        conversation_id: item.conversation_id,
        reply_to_user: item.in_reply_to_user_id,
        reply_settings: item.reply_settings.as_ref().map(|s| s.to_string()),
        edit_history: item.edit_history_tweet_ids.clone(),
        withheld_in: item
            .withheld
            .as_ref()
            .map(|w| w.country_codes.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default(),
        observed_at_ms: ctx.observed_at_ms,
        complete: true,
        raw: keep_raw.then(|| raw.to_string()),
        ..Post::default()
    };
    post.author_handle = item
        .author
        .as_ref()
        .and_then(|a| a.username.as_deref())
        .or_else(|| item.author_id.and_then(|a| ctx.handles.get(&a).copied()))
        .map(str::to_string);
    for r in &item.referenced_tweets {
        match r.ref_type.as_deref() {
            Some("retweeted") => post.retweet_of = r.id,
            Some("replied_to") => post.reply_to_post = r.id,
            Some("quoted") => post.quote_of = r.id,
            _ => {}
        }
    }
    post.kind = if post.retweet_of.is_some() {
        PostKind::Retweet
    } else if post.reply_to_post.is_some()
        || post.reply_to_user.is_some() && post.quote_of.is_none()
    {
        PostKind::Reply
    } else if post.quote_of.is_some() {
        PostKind::Quote
    } else {
        PostKind::Original
    };
    // A retweet's text, entities and metrics are the original's (x-formats.md §3.5).
    let source = post
        .retweet_of
        .and_then(|o| ctx.originals.get(&o).copied())
        .unwrap_or(item);
    let note = source.note_tweet.as_ref();
    let text = note
        .and_then(|n| n.text.as_deref())
        .or(source.text.as_deref())
        .unwrap_or("");
    post.text = unescape_html(text).into_owned();
    let entities = note
        .and_then(|n| n.entities.as_ref())
        .or(source.entities.as_ref());
    if let Some(e) = entities {
        post.hashtags = e.hashtags.iter().map(|h| h.tag.to_string()).collect();
        post.mentions = e
            .mentions
            .iter()
            .map(|m| Mention {
                handle: m.username.to_string(),
                user_id: m.id,
            })
            .collect();
        post.urls = e
            .urls
            .iter()
            .filter(|u| u.media_key.is_none())
            .filter_map(|u| {
                u.unwound_url
                    .as_ref()
                    .or(u.expanded_url.as_ref())
                    .or(u.url.as_ref())
            })
            .map(|u| u.to_string())
            .collect();
    }
    post.metrics = source
        .public_metrics
        .map(|m| m.post_metrics())
        .unwrap_or_default();
    if let Some(att) = &item.attachments {
        post.media.extend(att.media.iter().map(MediaV2::to_media));
        for key in &att.media_keys {
            if let Some(m) = ctx.media.get(key.as_ref()) {
                post.media.push(m.to_media());
            } else if att.media.is_empty() {
                post.media.push(Media {
                    key: key.to_string(),
                    kind: String::new(),
                    url: None,
                });
            }
        }
    }
    out.push(Record::Post(post));
    Ok(())
}

fn dm_from(item: &ItemV2, raw: &str, keep_raw: bool) -> Result<DirectMessage, String> {
    let id = item.id.ok_or("a DM event without an id")?;
    let others: Vec<u64> = item
        .participant_ids
        .iter()
        .copied()
        .filter(|&p| Some(p) != item.sender_id)
        .collect();
    let conversation_key = match &item.dm_conversation_id {
        Some(key) => key.to_string(),
        None => crate::pair_key(item.sender_id, others.first().copied()),
    };
    Ok(DirectMessage {
        id,
        conversation_key,
        sender_id: item.sender_id,
        recipient_id: others.first().copied(),
        created_at_ms: item
            .created_at
            .as_deref()
            .and_then(parse_rfc3339_ms)
            .or_else(|| tawasul_core::snowflake::time_ms(id)),
        text: unescape_html(item.text.as_deref().unwrap_or("")).into_owned(),
        event_type: item
            .event_type
            .as_deref()
            .unwrap_or("MessageCreate")
            .to_string(),
        raw: keep_raw.then(|| raw.to_string()),
    })
}
