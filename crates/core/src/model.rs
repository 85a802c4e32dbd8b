//! The records every reader produces and every store keeps. One shape for all input formats, so
//! that scorecards and the inbox never care where a post came from.

/// What a post is, structurally. Decided from the data (references), never guessed from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PostKind {
    /// Neither a retweet, a reply nor a quote.
    #[default]
    Original,
    /// A repost of someone else's post; text and metrics are the original's.
    Retweet,
    /// Answers a post or a user; wins over `Quote` when a post is both, because it sits in a
    /// reply tree and the inbox must see it.
    Reply,
    /// Quotes another post.
    Quote,
}

impl PostKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [PostKind; 4] = [Self::Original, Self::Retweet, Self::Reply, Self::Quote];

    /// Stable lower-case name used in the store, JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Retweet => "retweet",
            Self::Reply => "reply",
            Self::Quote => "quote",
        }
    }

    /// Parses the stable name; also accepts `mention`, which some datasets use for replies.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "original" | "tweet" | "post" => Self::Original,
            "retweet" | "rt" | "repost" => Self::Retweet,
            "reply" | "mention" | "reply_or_mention" | "replied_to" => Self::Reply,
            "quote" | "quoted" => Self::Quote,
            _ => return None,
        })
    }
}

/// Public engagement counts at one moment. `None` means the source did not say (impressions on
/// old data), which is different from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Likes (v1.1 `favorite_count`).
    pub likes: Option<u64>,
    /// Retweets.
    pub retweets: Option<u64>,
    /// Replies.
    pub replies: Option<u64>,
    /// Quotes.
    pub quotes: Option<u64>,
    /// Impressions (views), on data collected since late 2022.
    pub impressions: Option<u64>,
    /// Bookmarks, on recent data.
    pub bookmarks: Option<u64>,
}

impl Metrics {
    /// True when the source gave no count at all.
    pub fn is_empty(&self) -> bool {
        *self == Metrics::default()
    }
}

/// An @mention as the source gave it; the id is often missing (v2 gives it for most, not all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Handle without `@`.
    pub handle: String,
    /// User id when the source resolved it.
    pub user_id: Option<u64>,
}

/// A media attachment, kept so reports can count photo/video posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Source key (v2 `media_key`, v1.1 `id_str`).
    pub key: String,
    /// `photo`, `video`, `animated_gif` or whatever new value the source sends.
    pub kind: String,
    /// A URL to show it (photo URL or video preview).
    pub url: Option<String>,
}

/// One post by any account, official or citizen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Post {
    /// Platform id (X tweet id). Every id is one stored post; edits get new ids.
    pub id: u64,
    /// Author's user id, when known.
    pub author_id: Option<u64>,
    /// Author's handle without `@`, when known.
    pub author_handle: Option<String>,
    /// Creation time, Unix milliseconds (from the snowflake id where possible).
    pub created_at_ms: Option<i64>,
    /// Full text as published (HTML entities decoded); a retweet holds the original's text.
    pub text: String,
    /// Language code as the platform guessed it.
    pub lang: Option<String>,
    /// Structural kind.
    pub kind: PostKind,
    /// Root of the reply tree as the source gave it (v2 `conversation_id`).
    pub conversation_id: Option<u64>,
    /// The post this one answers, when known.
    pub reply_to_post: Option<u64>,
    /// The user this one answers; can be set without `reply_to_post` (parent unavailable).
    pub reply_to_user: Option<u64>,
    /// The post this one reposts.
    pub retweet_of: Option<u64>,
    /// The post this one quotes.
    pub quote_of: Option<u64>,
    /// Who may reply (`everyone`, `mentionedUsers`, …): an open set of values.
    pub reply_settings: Option<String>,
    /// All ids of this post's versions, oldest first (`edit_history_tweet_ids`).
    pub edit_history: Vec<u64>,
    /// Hashtags without `#`.
    pub hashtags: Vec<String>,
    /// Mentions.
    pub mentions: Vec<Mention>,
    /// Expanded URLs.
    pub urls: Vec<String>,
    /// Media attachments.
    pub media: Vec<Media>,
    /// Country codes where the post is withheld.
    pub withheld_in: Vec<String>,
    /// Engagement counts as observed.
    pub metrics: Metrics,
    /// When the counts were observed (Unix ms), e.g. twarc's `retrieved_at`.
    pub observed_at_ms: Option<i64>,
    /// False for a post known only as another post's reference (fewer fields); a complete
    /// record of the same id always wins over it.
    pub complete: bool,
    /// The source object as it was read, so the post can be re-parsed later.
    pub raw: Option<String>,
}

/// A direct message: private, so it never appears in public reports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectMessage {
    /// Event id.
    pub id: u64,
    /// The platform's conversation key (`<idA>-<idB>` in archives), or one derived from the
    /// two participants so both directions meet.
    pub conversation_key: String,
    /// Sender user id.
    pub sender_id: Option<u64>,
    /// Recipient user id (one-to-one conversations).
    pub recipient_id: Option<u64>,
    /// Unix milliseconds.
    pub created_at_ms: Option<i64>,
    /// Text, HTML entities decoded.
    pub text: String,
    /// Event kind (`MessageCreate`, `ParticipantsJoin`, …), open set.
    pub event_type: String,
    /// The source object.
    pub raw: Option<String>,
}

/// What the platform says about an account at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountInfo {
    /// User id.
    pub id: u64,
    /// Handle without `@`.
    pub handle: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Followers at `observed_at_ms`.
    pub followers: Option<u64>,
    /// Accounts followed.
    pub following: Option<u64>,
    /// Posts published, as the platform counts them.
    pub post_count: Option<u64>,
    /// Verified badge.
    pub verified: Option<bool>,
    /// When observed (Unix ms).
    pub observed_at_ms: Option<i64>,
}

/// A label on a post or message, with where it came from and how sure it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// `post_type`, `intent` or `body`.
    pub task: String,
    /// The label value from the codebook.
    pub value: String,
    /// Model probability, 1.0 for a human label.
    pub confidence: f32,
    /// `human` or the model's name and version.
    pub source: String,
}

/// One thing a reader found in its input.
// Nearly every record is a post: boxing it would add an allocation per post to save space
// only on the rare account and DM records.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A post.
    Post(Post),
    /// A direct message.
    DirectMessage(DirectMessage),
    /// Account facts.
    Account(AccountInfo),
}

impl Record {
    /// The post, if this record is one.
    pub fn as_post(&self) -> Option<&Post> {
        match self {
            Record::Post(p) => Some(p),
            _ => None,
        }
    }

    /// The direct message, if this record is one.
    pub fn as_direct_message(&self) -> Option<&DirectMessage> {
        match self {
            Record::DirectMessage(d) => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in PostKind::ALL {
            assert_eq!(PostKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(PostKind::parse(" Mention "), Some(PostKind::Reply));
        assert_eq!(PostKind::parse("story"), None);
    }
}
