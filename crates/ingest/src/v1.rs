//! Legacy X API v1.1 tweet objects (REST extended and streaming compat modes), the account
//! archive's `tweets.js` elements (same shape, every number a string, no `user`), and DM events
//! of v1.1 and of the archive.

use std::borrow::Cow;

use serde::Deserialize;
use tawasul_core::{AccountInfo, DirectMessage, Media, Mention, Metrics, Post, PostKind, Record};

use crate::value::{
    id_list, opt_bool, opt_count, opt_id, parse_rfc3339_ms, parse_v1_date_ms, unescape_html,
};

type Text<'a> = Cow<'a, str>;

/// A v1.1 (or archive) tweet. Ids come from `*_str` fields: the numeric twins may already have
/// been rounded by a float parser upstream.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TweetV1<'a> {
    #[serde(deserialize_with = "opt_id")]
    id_str: Option<u64>,
    #[serde(deserialize_with = "opt_id")]
    id: Option<u64>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_count")]
    timestamp_ms: Option<u64>,
    #[serde(borrow)]
    text: Option<Text<'a>>,
    #[serde(borrow)]
    full_text: Option<Text<'a>>,
    #[serde(borrow)]
    extended_tweet: Option<Extended<'a>>,
    #[serde(borrow)]
    entities: Option<EntitiesV1<'a>>,
    #[serde(borrow)]
    extended_entities: Option<EntitiesV1<'a>>,
    #[serde(deserialize_with = "opt_id")]
    in_reply_to_status_id_str: Option<u64>,
    #[serde(deserialize_with = "opt_id")]
    in_reply_to_user_id_str: Option<u64>,
    #[serde(borrow)]
    user: Option<UserV1<'a>>,
    #[serde(borrow)]
    retweeted_status: Option<Box<TweetV1<'a>>>,
    #[serde(deserialize_with = "opt_id")]
    quoted_status_id_str: Option<u64>,
    #[serde(borrow)]
    quoted_status: Option<Box<TweetV1<'a>>>,
    #[serde(deserialize_with = "opt_count")]
    retweet_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    favorite_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    quote_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    reply_count: Option<u64>,
    #[serde(borrow)]
    lang: Option<Text<'a>>,
    #[serde(borrow)]
    withheld_in_countries: Vec<Text<'a>>,
    edit_info: Option<EditInfo>,
    edit_history: Option<EditHistory>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Extended<'a> {
    #[serde(borrow)]
    full_text: Option<Text<'a>>,
    #[serde(borrow)]
    entities: Option<EntitiesV1<'a>>,
    #[serde(borrow)]
    extended_entities: Option<EntitiesV1<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntitiesV1<'a> {
    #[serde(borrow)]
    hashtags: Vec<HashtagV1<'a>>,
    #[serde(borrow)]
    user_mentions: Vec<MentionV1<'a>>,
    #[serde(borrow)]
    urls: Vec<UrlV1<'a>>,
    #[serde(borrow)]
    media: Vec<MediaV1<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HashtagV1<'a> {
    #[serde(borrow)]
    text: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MentionV1<'a> {
    #[serde(borrow)]
    screen_name: Text<'a>,
    #[serde(deserialize_with = "opt_id")]
    id_str: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UrlV1<'a> {
    #[serde(borrow)]
    expanded_url: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MediaV1<'a> {
    #[serde(borrow)]
    id_str: Option<Text<'a>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    media_url_https: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct UserV1<'a> {
    #[serde(deserialize_with = "opt_id")]
    id_str: Option<u64>,
    #[serde(deserialize_with = "opt_id")]
    id: Option<u64>,
    #[serde(borrow)]
    screen_name: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_count")]
    followers_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    friends_count: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    statuses_count: Option<u64>,
    #[serde(deserialize_with = "opt_bool")]
    verified: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditInfo {
    initial: Option<EditInitial>,
    edit: Option<EditLater>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EditInitial {
    #[serde(deserialize_with = "id_list")]
    edit_tweet_ids: Vec<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EditLater {
    edit_control_initial: Option<EditInitial>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditHistory {
    #[serde(deserialize_with = "id_list")]
    edit_tweet_ids: Vec<u64>,
}

/// Who owns an archive, from `account.js`: archive tweets carry no `user`.
#[derive(Debug, Clone, Default)]
pub struct ArchiveOwner {
    /// Account id.
    pub id: Option<u64>,
    /// Handle.
    pub handle: Option<String>,
}

impl<'a> TweetV1<'a> {
    fn post_id(&self) -> Option<u64> {
        self.id_str.or(self.id)
    }

    /// The object whose text is the real text (x-formats.md §5.2): retweeted status first.
    fn text_source(&self) -> &TweetV1<'a> {
        match &self.retweeted_status {
            Some(original) => original.text_source(),
            None => self,
        }
    }

    fn full_text(&self) -> &str {
        self.extended_tweet
            .as_ref()
            .and_then(|e| e.full_text.as_deref())
            .or(self.full_text.as_deref())
            .or(self.text.as_deref())
            .unwrap_or("")
    }

    fn entity_sets(&self) -> (Option<&EntitiesV1<'a>>, Option<&EntitiesV1<'a>>) {
        match &self.extended_tweet {
            Some(e) if e.full_text.is_some() => (e.entities.as_ref(), e.extended_entities.as_ref()),
            _ => (self.entities.as_ref(), self.extended_entities.as_ref()),
        }
    }
}

/// Turns one v1.1 or archive tweet into records (the tweet, the retweeted and quoted tweets
/// embedded in it, and the authors).
pub(crate) fn push_tweet(
    tweet: &TweetV1,
    raw: &str,
    owner: Option<&ArchiveOwner>,
    keep_raw: bool,
    out: &mut Vec<Record>,
) -> Result<(), String> {
    let id = tweet.post_id().ok_or("a tweet without id_str")?;
    let created_at_ms = tawasul_core::snowflake::time_ms(id)
        .or(tweet.timestamp_ms.map(|t| t as i64))
        .or_else(|| tweet.created_at.as_deref().and_then(parse_v1_date_ms));
    let author = tweet.user.as_ref();
    let observed_at_ms = None;
    if let Some(user) = author {
        if let Some(account) = account_from(user, created_at_ms) {
            out.push(Record::Account(account));
        }
    }
    let mut post = Post {
        id,
        author_id: author
            .and_then(|u| u.id_str.or(u.id))
            .or(owner.and_then(|o| o.id)),
        author_handle: author
            .and_then(|u| u.screen_name.as_ref().map(|s| s.to_string()))
            .or_else(|| owner.and_then(|o| o.handle.clone())),
        created_at_ms,
        lang: tweet.lang.as_ref().map(|s| s.to_string()),
        reply_to_post: tweet.in_reply_to_status_id_str,
        reply_to_user: tweet.in_reply_to_user_id_str,
        retweet_of: tweet.retweeted_status.as_ref().and_then(|r| r.post_id()),
        quote_of: tweet
            .quoted_status_id_str
            .or_else(|| tweet.quoted_status.as_ref().and_then(|q| q.post_id())),
        withheld_in: tweet
            .withheld_in_countries
            .iter()
            .map(|c| c.to_string())
            .collect(),
        observed_at_ms,
        complete: true,
        raw: keep_raw.then(|| raw.to_string()),
        ..Post::default()
    };
    let source = tweet.text_source();
    post.text = unescape_html(source.full_text()).into_owned();
    let low_fidelity_retweet = post.retweet_of.is_none() && post.text.starts_with("RT @");
    post.kind = if post.retweet_of.is_some() || low_fidelity_retweet {
        PostKind::Retweet
    } else if post.reply_to_post.is_some() || post.reply_to_user.is_some() {
        PostKind::Reply
    } else if post.quote_of.is_some() {
        PostKind::Quote
    } else {
        PostKind::Original
    };
    // An archive retweet keeps only "RT @…" text: mark it so a fuller copy wins.
    post.complete = !low_fidelity_retweet;
    let (entities, extended) = source.entity_sets();
    if let Some(e) = entities {
        post.hashtags = e.hashtags.iter().map(|h| h.text.to_string()).collect();
        post.mentions = e
            .user_mentions
            .iter()
            .map(|m| Mention {
                handle: m.screen_name.to_string(),
                user_id: m.id_str,
            })
            .collect();
        post.urls = e
            .urls
            .iter()
            .filter_map(|u| u.expanded_url.as_ref().or(u.url.as_ref()))
            .map(|u| u.to_string())
            .collect();
    }
    let media = extended.filter(|e| !e.media.is_empty()).or(entities);
    if let Some(e) = media {
        post.media = e
            .media
            .iter()
            .map(|m| Media {
                key: m.id_str.as_deref().unwrap_or("").to_string(),
                kind: m.kind.as_deref().unwrap_or("photo").to_string(),
                url: m.media_url_https.as_ref().map(|u| u.to_string()),
            })
            .collect();
    }
    // In v1.1 a retweet's counts are the original's already.
    post.metrics = Metrics {
        likes: source.favorite_count.or(tweet.favorite_count),
        retweets: source.retweet_count.or(tweet.retweet_count),
        replies: source.reply_count,
        quotes: source.quote_count,
        impressions: None,
        bookmarks: None,
    };
    post.edit_history = tweet
        .edit_info
        .as_ref()
        .and_then(|e| {
            e.initial.as_ref().or(e
                .edit
                .as_ref()
                .and_then(|l| l.edit_control_initial.as_ref()))
        })
        .map(|i| i.edit_tweet_ids.clone())
        .or_else(|| {
            tweet
                .edit_history
                .as_ref()
                .map(|h| h.edit_tweet_ids.clone())
        })
        .unwrap_or_default();
    out.push(Record::Post(post));
    for embedded in [&tweet.retweeted_status, &tweet.quoted_status]
        .into_iter()
        .flatten()
    {
        if embedded.post_id().is_some() {
            push_tweet(embedded, "", None, false, out)?;
        }
    }
    Ok(())
}

fn account_from(user: &UserV1, observed_at_ms: Option<i64>) -> Option<AccountInfo> {
    Some(AccountInfo {
        id: user.id_str.or(user.id)?,
        handle: user.screen_name.as_ref().map(|s| s.to_string()),
        name: user.name.as_ref().map(|s| s.to_string()),
        followers: user.followers_count,
        following: user.friends_count,
        post_count: user.statuses_count,
        verified: user.verified,
        observed_at_ms,
    })
}

/// A v1.1 DM event (`/1.1/direct_messages/events`, webhooks).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DmEventV1<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(deserialize_with = "opt_id")]
    id: Option<u64>,
    #[serde(deserialize_with = "opt_count")]
    created_timestamp: Option<u64>,
    #[serde(borrow)]
    message_create: Option<MessageCreateV1<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageCreateV1<'a> {
    target: Target,
    #[serde(deserialize_with = "opt_id")]
    sender_id: Option<u64>,
    #[serde(borrow)]
    message_data: MessageData<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Target {
    #[serde(deserialize_with = "opt_id")]
    recipient_id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageData<'a> {
    #[serde(borrow)]
    text: Text<'a>,
}

impl DmEventV1<'_> {
    /// Only message events carry text; typing and read receipts do not.
    pub(crate) fn message_create_present(&self) -> bool {
        self.message_create.is_some()
    }
}

pub(crate) fn dm_from_v1(
    event: &DmEventV1,
    raw: &str,
    keep_raw: bool,
) -> Result<DirectMessage, String> {
    let id = event.id.ok_or("a DM event without an id")?;
    let create = event.message_create.as_ref();
    let sender_id = create.and_then(|c| c.sender_id);
    let recipient_id = create.and_then(|c| c.target.recipient_id);
    Ok(DirectMessage {
        id,
        conversation_key: crate::pair_key(sender_id, recipient_id),
        sender_id,
        recipient_id,
        created_at_ms: event
            .created_timestamp
            .map(|t| t as i64)
            .or_else(|| tawasul_core::snowflake::time_ms(id)),
        text: unescape_html(create.map(|c| c.message_data.text.as_ref()).unwrap_or(""))
            .into_owned(),
        event_type: event
            .kind
            .as_deref()
            .unwrap_or("message_create")
            .to_string(),
        raw: keep_raw.then(|| raw.to_string()),
    })
}

/// One element of an archive's `direct-messages*.js`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DmConversationArchive<'a> {
    #[serde(borrow)]
    conversation_id: Option<Text<'a>>,
    #[serde(borrow)]
    messages: Vec<ArchiveMessage<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ArchiveMessage<'a> {
    #[serde(borrow)]
    message_create: Option<ArchiveMessageCreate<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ArchiveMessageCreate<'a> {
    #[serde(deserialize_with = "opt_id")]
    id: Option<u64>,
    #[serde(deserialize_with = "opt_id")]
    sender_id: Option<u64>,
    #[serde(deserialize_with = "opt_id")]
    recipient_id: Option<u64>,
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
}

pub(crate) fn push_archive_dms(
    conv: &DmConversationArchive,
    out: &mut Vec<Record>,
) -> Result<usize, String> {
    let mut n = 0;
    for message in &conv.messages {
        // Joins, leaves and renames are kept out: the inbox wants what people wrote.
        let Some(m) = &message.message_create else {
            continue;
        };
        let id = m.id.ok_or("a messageCreate without an id")?;
        out.push(Record::DirectMessage(DirectMessage {
            id,
            conversation_key: conv
                .conversation_id
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_else(|| crate::pair_key(m.sender_id, m.recipient_id)),
            sender_id: m.sender_id,
            recipient_id: m.recipient_id,
            created_at_ms: m
                .created_at
                .as_deref()
                .and_then(parse_rfc3339_ms)
                .or_else(|| tawasul_core::snowflake::time_ms(id)),
            text: unescape_html(&m.text).into_owned(),
            event_type: "MessageCreate".to_string(),
            raw: None,
        }));
        n += 1;
    }
    Ok(n)
}

/// `account.js` element.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ArchiveAccount<'a> {
    #[serde(deserialize_with = "opt_id")]
    account_id: Option<u64>,
    #[serde(borrow)]
    username: Option<Text<'a>>,
    #[serde(borrow)]
    account_display_name: Option<Text<'a>>,
}

impl ArchiveAccount<'_> {
    pub(crate) fn owner(&self) -> ArchiveOwner {
        ArchiveOwner {
            id: self.account_id,
            handle: self.username.as_ref().map(|s| s.to_string()),
        }
    }

    pub(crate) fn account(&self) -> Option<AccountInfo> {
        Some(AccountInfo {
            id: self.account_id?,
            handle: self.username.as_ref().map(|s| s.to_string()),
            name: self.account_display_name.as_ref().map(|s| s.to_string()),
            ..AccountInfo::default()
        })
    }
}
