//! Scorecard maths: what each government account publishes and whether, how often and how fast it
//! answers citizens. Definitions: `shared/reference/metrics.md` §3, summarised here.
//!
//! * Citizen messages to G: posts that are not retweets, by authors outside the registry's
//!   government accounts, that reply to a post of G, are addressed to G (`in_reply_to_user`) or
//!   mention G. One message may address several accounts; it counts for each. A message belongs
//!   to the window by its own time.
//! * A message `q` is answered by G's first reply `r` with `t(r) > t(q)` that either replies to
//!   `q` itself or, later in `q`'s conversation, is addressed to `q`'s author. G replying to itself
//!   (threads) and replies by other government accounts do not answer for G.
//! * Answered within 7 days = the first answer comes at most 7 days after the message.
//! * Response times: Kaplan–Meier over all messages, unanswered ones censored at
//!   `min(7 days, as_of − t(q))`, so a silent account cannot look fast by having few answered
//!   messages. A quantile not reached within 7 days is `None` ("> 7 d"), never a number.
//!
//! The engine takes posts in id order (time order for snowflake ids, which is the store's scan
//! order), one at a time, keeping only per-message state for messages addressed to government
//! accounts: memory grows with the citizen messages, not with the posts scanned.

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::calendar::{BusinessCalendar, LocalClock, Timeline};
use crate::model::PostKind;

/// Seven days in ms: the window in which an answer counts.
pub const ANSWER_WINDOW_MS: i64 = 7 * 86_400_000;

const NONE: u32 = u32::MAX;

/// A government account the scorecard is computed for (or whose posts never count as citizen
/// input).
#[derive(Debug, Clone, PartialEq)]
pub struct GovAccount {
    /// Handle without `@`.
    pub handle: String,
    /// Body key of the registry.
    pub body: String,
    /// X user id when known from the data.
    pub user_id: Option<u64>,
    /// The presidency's account: retweets of its posts are "president retweets".
    pub is_president: bool,
    /// Followers at collection time, for engagement per 1,000 followers.
    pub followers: Option<u64>,
    /// Whether a scorecard is wanted for this account (others only shape who is a citizen).
    pub report: bool,
}

/// One stored post, as the scorecard needs it. Borrowed from the store's scan buffer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanPost<'a> {
    /// Post id.
    pub id: u64,
    /// Author's user id (0 when unknown).
    pub author_id: u64,
    /// Author's handle when known.
    pub author_handle: &'a str,
    /// Unix ms.
    pub time_ms: i64,
    /// Structural kind.
    pub kind: PostKind,
    /// Post replied to (0 when none).
    pub reply_to_post: u64,
    /// User replied to (0 when none).
    pub reply_to_user: u64,
    /// Reply tree (conversation) id; 0 when unknown.
    pub thread: u64,
    /// Post retweeted (0 when none).
    pub retweet_of: u64,
    /// Lower-case handles of the government accounts the post mentions, comma-separated.
    pub mentioned_government: &'a str,
    /// Stored hashtags JSON (`["…"]`) or empty.
    pub hashtags_json: &'a str,
    /// Has photos or videos.
    pub has_media: bool,
    /// `reply_settings` when the source gave it.
    pub reply_settings: &'a str,
    /// Likes (None when unknown).
    pub likes: Option<u64>,
    /// Replies.
    pub replies: Option<u64>,
    /// Retweets.
    pub retweets: Option<u64>,
    /// Quotes.
    pub quotes: Option<u64>,
    /// `post_type` label, empty when none.
    pub post_type: &'a str,
    /// `intent` label, empty when none.
    pub intent: &'a str,
}

/// A stored post as the engine reads it: each field is fetched only when the engine needs it,
/// so a store can hand over its cursor and skip columns of posts that turn out not to matter.
pub trait PostRow {
    /// Post id.
    fn id(&self) -> u64;
    /// Author's user id (0 when unknown).
    fn author_id(&self) -> u64;
    /// Author's handle ("" when unknown).
    fn author_handle(&self) -> &str;
    /// Unix ms.
    fn time_ms(&self) -> i64;
    /// Structural kind.
    fn kind(&self) -> PostKind;
    /// Post replied to (0 when none).
    fn reply_to_post(&self) -> u64;
    /// User replied to (0 when none).
    fn reply_to_user(&self) -> u64;
    /// Reply tree id (0 when unknown).
    fn thread(&self) -> u64;
    /// Post retweeted (0 when none).
    fn retweet_of(&self) -> u64;
    /// Lower-case handles of the government accounts the post mentions, comma-separated
    /// (resolved once when the post is labelled), or "".
    fn mentioned_government(&self) -> &str;
    /// Hashtags JSON or "".
    fn hashtags_json(&self) -> &str;
    /// Has photos or videos.
    fn has_media(&self) -> bool;
    /// `reply_settings` or "".
    fn reply_settings(&self) -> &str;
    /// Likes, replies, retweets, quotes (None when unknown).
    fn metrics(&self) -> [Option<u64>; 4];
    /// `post_type` label or "".
    fn post_type(&self) -> &str;
    /// `intent` label or "".
    fn intent(&self) -> &str;
}

impl PostRow for ScanPost<'_> {
    fn id(&self) -> u64 {
        self.id
    }
    fn author_id(&self) -> u64 {
        self.author_id
    }
    fn author_handle(&self) -> &str {
        self.author_handle
    }
    fn time_ms(&self) -> i64 {
        self.time_ms
    }
    fn kind(&self) -> PostKind {
        self.kind
    }
    fn reply_to_post(&self) -> u64 {
        self.reply_to_post
    }
    fn reply_to_user(&self) -> u64 {
        self.reply_to_user
    }
    fn thread(&self) -> u64 {
        self.thread
    }
    fn retweet_of(&self) -> u64 {
        self.retweet_of
    }
    fn mentioned_government(&self) -> &str {
        self.mentioned_government
    }
    fn hashtags_json(&self) -> &str {
        self.hashtags_json
    }
    fn has_media(&self) -> bool {
        self.has_media
    }
    fn reply_settings(&self) -> &str {
        self.reply_settings
    }
    fn metrics(&self) -> [Option<u64>; 4] {
        [self.likes, self.replies, self.retweets, self.quotes]
    }
    fn post_type(&self) -> &str {
        self.post_type
    }
    fn intent(&self) -> &str {
        self.intent
    }
}

/// The reporting window and the moment the computation is made.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// First instant, inclusive (Unix ms).
    pub from_ms: i64,
    /// Last instant, exclusive (Unix ms).
    pub to_ms: i64,
    /// "Now": messages younger than 7 days at this instant are censored at their age.
    pub as_of_ms: i64,
}

/// Whether an intent needs a reply (CODEBOOK §2).
pub fn intent_needs_reply(intent: &str) -> bool {
    matches!(intent, "complaint" | "question" | "request")
}

/// A quantile of a response-time distribution.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Quantile {
    /// Reached at this many seconds.
    Seconds(f64),
    /// Fewer than the quantile's share were answered within 7 days: "> 7 d".
    NotReached,
    /// No messages at all.
    #[default]
    NoData,
}

impl Quantile {
    /// Seconds, or None when not reached or no data.
    pub fn seconds(self) -> Option<f64> {
        match self {
            Quantile::Seconds(s) => Some(s),
            _ => None,
        }
    }
}

/// Kaplan–Meier estimate of time-to-answer from `(duration_ms, answered)` observations;
/// censored observations (`answered == false`) leave the risk set without an event.
pub fn kaplan_meier_quantile(observations: &mut [(i64, bool)], share: f64) -> Quantile {
    ResponseCurve::from_observations(observations).quantile(share)
}

/// Kaplan–Meier probability of an answer within `limit_ms`.
pub fn kaplan_meier_share_within(observations: &mut [(i64, bool)], limit_ms: i64) -> Option<f64> {
    let curve = ResponseCurve::from_observations(observations);
    (curve.observations > 0).then(|| curve.share_within(limit_ms))
}

/// An observation as one sortable integer: the duration (ms, never negative) shifted left with
/// the low bit set when censored, so that a plain integer sort puts times in order and, at equal
/// times, events before censorings (the usual convention).
pub fn survival_key(duration_ms: i64, answered: bool) -> u64 {
    ((duration_ms.max(0) as u64) << 1) | u64::from(!answered)
}

/// A survival key as stored: `u64` in general, `u32` for the engine's observations, which
/// never exceed the 7-day answer window (half the memory for millions of messages).
pub trait SortKey: Copy + Ord + Default {
    /// The key as a `u64`.
    fn wide(self) -> u64;
}

impl SortKey for u64 {
    fn wide(self) -> u64 {
        self
    }
}

impl SortKey for u32 {
    fn wide(self) -> u64 {
        u64::from(self)
    }
}

/// [`survival_key`] for a duration within the answer window, which fits in 32 bits (a week is
/// 6.05e8 ms, under 2^30); longer durations are held at the window, where the engine censors.
fn window_key(duration_ms: i64, answered: bool) -> u32 {
    let duration = duration_ms.clamp(0, ANSWER_WINDOW_MS) as u32;
    (duration << 1) | u32::from(!answered)
}

/// Sorts survival keys. Keys are at most a week of milliseconds shifted by one (31 bits), so
/// for the hundreds of thousands of messages of a busy account three counting passes of 11 bits
/// beat a comparison sort several times over; short lists use the comparison sort.
fn sort_keys<K: SortKey>(keys: &mut [K]) {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    let Some(&max) = keys.iter().max() else {
        return;
    };
    let passes = (64 - max.wide().leading_zeros()).div_ceil(BITS);
    if keys.len() < 4096 || passes > 4 {
        keys.sort_unstable();
        return;
    }
    let mut scratch = vec![K::default(); keys.len()];
    let mut from_keys = true;
    for pass in 0..passes {
        let shift = pass * BITS;
        let (source, target): (&[K], &mut [K]) = if from_keys {
            (keys, &mut scratch)
        } else {
            (&scratch, keys)
        };
        let mut counts = [0usize; BUCKETS];
        for &key in source {
            counts[((key.wide() >> shift) as usize) & (BUCKETS - 1)] += 1;
        }
        let mut next = 0;
        for count in counts.iter_mut() {
            let here = *count;
            *count = next;
            next += here;
        }
        for &key in source {
            let bucket = ((key.wide() >> shift) as usize) & (BUCKETS - 1);
            target[counts[bucket]] = key;
            counts[bucket] += 1;
        }
        from_keys = !from_keys;
    }
    if !from_keys {
        keys.copy_from_slice(&scratch);
    }
}

/// The Kaplan–Meier curve of one account's response times, built in one pass over its sorted
/// observations so that every quantile and share of a scorecard reads the same steps instead of
/// sorting and walking the observations again for each.
#[derive(Debug, Clone, Default)]
pub struct ResponseCurve {
    /// `(time ms, 1 − S(t))` just after each event time, in time order.
    steps: Vec<(i64, f64)>,
    observations: usize,
}

impl ResponseCurve {
    /// The curve of `(duration_ms, answered)` observations.
    pub fn from_observations(observations: &[(i64, bool)]) -> Self {
        let mut keys: Vec<u64> = observations
            .iter()
            .map(|&(duration, answered)| survival_key(duration, answered))
            .collect();
        Self::from_keys(&mut keys)
    }

    /// The curve of observations given as [`survival_key`]s (sorted here, in place).
    pub fn from_keys<K: SortKey>(keys: &mut [K]) -> Self {
        sort_keys(keys);
        let mut steps = Vec::new();
        let mut at_risk = keys.len() as f64;
        let mut survival = 1.0_f64;
        let mut index = 0;
        while index < keys.len() {
            let time = keys[index].wide() >> 1;
            let mut events = 0u64;
            let mut leaving = 0u64;
            while index < keys.len() && keys[index].wide() >> 1 == time {
                events += 1 - (keys[index].wide() & 1);
                leaving += 1;
                index += 1;
            }
            if events > 0 {
                survival *= 1.0 - events as f64 / at_risk;
                steps.push((time as i64, 1.0 - survival));
            }
            at_risk -= leaving as f64;
        }
        Self {
            steps,
            observations: keys.len(),
        }
    }

    /// The time by which `share` of messages were answered.
    pub fn quantile(&self, share: f64) -> Quantile {
        if self.observations == 0 {
            return Quantile::NoData;
        }
        // 1e-12 guards against 0.4999999 when the share is exactly reached.
        match self
            .steps
            .iter()
            .find(|&&(_, failed)| failed >= share - 1e-12)
        {
            Some(&(time, _)) => Quantile::Seconds(time as f64 / 1000.0),
            None => Quantile::NotReached,
        }
    }

    /// The estimated share of messages answered within `limit_ms` (0 with no observations).
    pub fn share_within(&self, limit_ms: i64) -> f64 {
        let reached = self.steps.partition_point(|&(time, _)| time <= limit_ms);
        reached
            .checked_sub(1)
            .map_or(0.0, |last| self.steps[last].1)
    }
}

/// What one account published in the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Publishing {
    /// All posts.
    pub posts: u64,
    /// Originals.
    pub originals: u64,
    /// Retweets.
    pub retweets: u64,
    /// Retweets of the presidency's posts.
    pub president_retweets: u64,
    /// Retweets of other government accounts (the presidency included).
    pub government_retweets: u64,
    /// Quotes.
    pub quotes: u64,
    /// All replies.
    pub replies: u64,
    /// Replies addressed to citizens (not to itself, not to other government accounts).
    pub replies_to_citizens: u64,
    /// Replies to itself (threads).
    pub self_replies: u64,
    /// Posts with photos or videos.
    pub with_media: u64,
    /// Posts whose replies are restricted (`reply_settings` other than everyone).
    pub restricted_replies: u64,
    /// Distinct local days with at least one post.
    pub active_days: u64,
    /// Posts by weekday (0 = Sunday) and hour, local time of the calendar.
    pub heatmap: [[u32; 24]; 7],
    /// Labelled content mix.
    pub post_types: HashMap<String, u64>,
    /// Hashtag counts, case-folded.
    pub hashtags: HashMap<String, u64>,
    /// Engagement sums over originals whose counts are known.
    pub likes: u64,
    /// Reply counts summed over originals.
    pub reply_count: u64,
    /// Retweet counts summed over originals.
    pub retweet_count: u64,
    /// Quote counts summed over originals.
    pub quote_count: u64,
    /// Originals with known counts.
    pub originals_with_metrics: u64,
}

/// How one account answered citizens in the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Responsiveness {
    /// Citizen messages addressed to the account.
    pub citizen_messages: u64,
    /// Of them, labelled complaint, question or request.
    pub needs_reply: u64,
    /// Of them, without an intent label.
    pub unlabelled: u64,
    /// Citizen messages answered within 7 days.
    pub answered_7d: u64,
    /// Messages needing a reply answered within 7 days.
    pub needs_reply_answered_7d: u64,
    /// Messages younger than 7 days at `as_of` and not yet answered: outcome unknown.
    pub awaiting: u64,
    /// Counts by intent label.
    pub intents: HashMap<String, u64>,
    /// Median wall-clock response (Kaplan–Meier).
    pub median: Quantile,
    /// 75th percentile.
    pub p75: Quantile,
    /// 90th percentile.
    pub p90: Quantile,
    /// Median in business time of the body's calendar.
    pub median_business: Quantile,
    /// 90th percentile in business time.
    pub p90_business: Quantile,
    /// Estimated share answered within 1 hour.
    pub within_1h: Option<f64>,
    /// Estimated share answered within 24 hours.
    pub within_24h: Option<f64>,
    /// Of the answers within 7 days, those given while the body was closed.
    pub answered_outside_hours: u64,
    /// Conversations in which the account replied at least twice (dialogue, not a one-shot).
    pub dialogue_threads: u64,
    /// Conversations in which the account answered at least once.
    pub answered_threads: u64,
}

/// One account's scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// The account.
    pub account: GovAccount,
    /// Publishing.
    pub publishing: Publishing,
    /// Responsiveness.
    pub responsiveness: Responsiveness,
    /// Days in the window.
    pub days: f64,
    /// 0–100, see [`interactivity_index`].
    pub interactivity_index: f64,
}

impl Scorecard {
    /// `answered_7d / citizen_messages`, None when there are no messages.
    pub fn reply_rate(&self) -> Option<f64> {
        let r = &self.responsiveness;
        (r.citizen_messages > 0).then(|| r.answered_7d as f64 / r.citizen_messages as f64)
    }

    /// Reply rate on messages that need a reply.
    pub fn needs_reply_rate(&self) -> Option<f64> {
        let r = &self.responsiveness;
        (r.needs_reply > 0).then(|| r.needs_reply_answered_7d as f64 / r.needs_reply as f64)
    }

    /// Posts per day over the window.
    pub fn posts_per_day(&self) -> f64 {
        if self.days > 0.0 {
            self.publishing.posts as f64 / self.days
        } else {
            0.0
        }
    }

    /// Mean likes + replies + retweets + quotes per original with known counts.
    pub fn engagement_per_original(&self) -> Option<f64> {
        let p = &self.publishing;
        (p.originals_with_metrics > 0).then(|| {
            (p.likes + p.reply_count + p.retweet_count + p.quote_count) as f64
                / p.originals_with_metrics as f64
        })
    }

    /// Bonsón et al.'s E = P3 + C3 + V3: per-original likes, replies and retweets per 1,000
    /// followers (quotes counted with retweets as shares).
    pub fn engagement_per_1000_followers(&self) -> Option<f64> {
        let followers = self.account.followers.filter(|&f| f > 0)? as f64;
        let p = &self.publishing;
        (p.originals_with_metrics > 0).then(|| {
            let n = p.originals_with_metrics as f64;
            let shares = (p.retweet_count + p.quote_count) as f64;
            (p.likes as f64 / n + p.reply_count as f64 / n + shares / n) / followers * 1000.0
        })
    }

    /// Share of posts with restricted replies.
    pub fn restricted_share(&self) -> Option<f64> {
        let p = &self.publishing;
        (p.posts > 0).then(|| p.restricted_replies as f64 / p.posts as f64)
    }

    /// Share of the answers within 7 days given outside business hours.
    pub fn outside_hours_share(&self) -> Option<f64> {
        let r = &self.responsiveness;
        (r.answered_7d > 0).then(|| r.answered_outside_hours as f64 / r.answered_7d as f64)
    }

    /// Hashtags by count, most used first (ties by name), at most `limit`.
    pub fn top_hashtags(&self, limit: usize) -> Vec<(&str, u64)> {
        let mut tags: Vec<(&str, u64)> = self
            .publishing
            .hashtags
            .iter()
            .map(|(tag, &count)| (tag.as_str(), count))
            .collect();
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        tags.truncate(limit);
        tags
    }
}

/// Post types that inform or serve citizens (DePaula et al.'s information provision, Mergel's
/// customer service), as opposed to symbolic and presentational posts.
pub const SERVING_POST_TYPES: [&str; 6] = [
    "decision",
    "service",
    "guidance",
    "rumor_rebuttal",
    "citizen_reply",
    "jobs",
];

/// The interactivity index, 0–100; the formula and its grounding are in `docs/METRICS.md`:
///
/// `100 × (0.40·R + 0.20·S + 0.20·D + 0.20·C)` where R is the 7-day reply rate on messages that
/// need a reply (all citizen messages when none are labelled), S the Kaplan–Meier share answered
/// within 24 hours, D the dialogue share of the account's own posts (replies to citizens ÷ posts,
/// ×4 and capped at 1, so one reply in four posts is full networking), and C the share of
/// labelled posts that inform or serve citizens. Missing parts (nobody wrote to the account)
/// count as 0: an account nobody can reach is not interactive.
pub fn interactivity_index(card: &Scorecard) -> f64 {
    let r = card
        .needs_reply_rate()
        .or_else(|| card.reply_rate())
        .unwrap_or(0.0);
    let s = card.responsiveness.within_24h.unwrap_or(0.0);
    let p = &card.publishing;
    let d = if p.posts > 0 {
        (4.0 * p.replies_to_citizens as f64 / p.posts as f64).min(1.0)
    } else {
        0.0
    };
    let labelled: u64 = p.post_types.values().sum();
    let serving: u64 = SERVING_POST_TYPES
        .iter()
        .filter_map(|label| p.post_types.get(*label))
        .sum();
    let c = if labelled > 0 {
        serving as f64 / labelled as f64
    } else {
        0.0
    };
    let index = 100.0 * (0.40 * r + 0.20 * s + 0.20 * d + 0.20 * c);
    (index * 10.0).round() / 10.0
}

/// Per-message state: one entry per (citizen message, addressed account).
struct Message {
    /// The citizen's post (messages are pushed in post id order, so this is sorted).
    post_id: u64,
    thread: u64,
    author_id: u64,
    time_ms: i64,
    /// The reply that answered first (index into the replies), `NONE` if none; its time is the
    /// answer's, so it is not kept twice (the list holds millions of messages).
    answered_by: u32,
    account: u16,
    needs_reply: bool,
}

/// A government reply that may answer citizens (self-threads left out).
struct Reply {
    reply_to_post: u64,
    reply_to_user: u64,
    thread: u64,
    time_ms: i64,
    account: u16,
}

/// Streaming scorecard computation; see the module documentation.
pub struct ScorecardEngine {
    accounts: Vec<GovAccount>,
    by_id: FxHashMap<u64, u16>,
    by_handle: FxHashMap<String, u16>,
    window: Window,
    /// The calendar's time zone, for heatmaps and active days.
    clock: LocalClock,
    timeline: Timeline,
    publishing: Vec<Publishing>,
    active_days: Vec<FxHashSet<i32>>,
    /// Posts of government accounts: id → account.
    gov_posts: FxHashMap<u64, u16>,
    president_posts: FxHashSet<u64>,
    messages: Vec<Message>,
    ids_complete: bool,
    learn_ids: bool,
    replies: Vec<Reply>,
    /// Intent counts per account: a handful of labels, so a short list searched in order
    /// beats hashing the label of every message.
    intents: Vec<Vec<(String, u64)>>,
    unlabelled: Vec<u64>,
    targets: Vec<u16>,
    handle_buf: String,
    /// Threads the final matching and tallies may use (1 or 2).
    threads: usize,
}

impl ScorecardEngine {
    /// Starts a computation for `accounts` (every government account of the registry, with
    /// `report` set on the ones wanted) over `window`, timing answers on `calendar`.
    pub fn new(accounts: Vec<GovAccount>, window: Window, calendar: BusinessCalendar) -> Self {
        let mut by_id = FxHashMap::default();
        let mut by_handle = FxHashMap::default();
        for (index, account) in accounts.iter().enumerate() {
            let index = index as u16;
            if let Some(id) = account.user_id {
                by_id.insert(id, index);
            }
            by_handle.insert(account.handle.to_ascii_lowercase(), index);
        }
        let timeline = calendar.timeline(
            window.from_ms - 86_400_000,
            window
                .to_ms
                .max(window.as_of_ms.min(window.to_ms + ANSWER_WINDOW_MS))
                + ANSWER_WINDOW_MS,
        );
        let n = accounts.len();
        let ids_complete = accounts.iter().all(|a| a.user_id.is_some());
        Self {
            ids_complete,
            learn_ids: true,
            by_id,
            by_handle,
            window,
            clock: LocalClock::new(calendar.timezone()),
            timeline,
            publishing: vec![Publishing::default(); n],
            active_days: vec![FxHashSet::default(); n],
            intents: vec![Vec::new(); n],
            unlabelled: vec![0; n],
            accounts,
            gov_posts: FxHashMap::default(),
            president_posts: FxHashSet::default(),
            messages: Vec::new(),
            replies: Vec::new(),
            targets: Vec::new(),
            handle_buf: String::new(),
            threads: 2,
        }
    }

    fn account_of(&mut self, post: &impl PostRow) -> Option<u16> {
        let author_id = post.author_id();
        if author_id != 0 {
            if let Some(&index) = self.by_id.get(&author_id) {
                return Some(index);
            }
            if self.ids_complete || !self.learn_ids {
                // Every government account's id is known (or the caller resolved all it could):
                // no handle to compare.
                return None;
            }
        }
        let handle = post.author_handle();
        if handle.is_empty() {
            return None;
        }
        self.handle_buf.clear();
        self.handle_buf.push_str(handle);
        self.handle_buf.make_ascii_lowercase();
        let index = *self.by_handle.get(self.handle_buf.as_str())?;
        if author_id != 0 {
            // Learn the id, so replies addressed by user id find the account.
            self.by_id.insert(author_id, index);
            if self.accounts[index as usize].user_id.is_none() {
                self.accounts[index as usize].user_id = Some(author_id);
            }
            self.ids_complete = self.accounts.iter().all(|a| a.user_id.is_some());
        }
        Some(index)
    }

    /// Tells the engine that every account's user id that can be known was given: a post whose
    /// author id is not one of them is a citizen's, without comparing handles. A store resolves
    /// ids from its own posts first, so this only skips a lookup per post when some registry
    /// account never posted; data without author ids are still matched by handle.
    pub fn ids_resolved(mut self) -> Self {
        self.learn_ids = false;
        self
    }

    /// Keeps the whole computation on the calling thread (the default lets `finish` use a
    /// second one on large inputs); the results are the same either way.
    pub fn single_threaded(mut self) -> Self {
        self.threads = 1;
        self
    }

    /// Feeds one post; posts must come in id (time) order.
    pub fn push(&mut self, post: &impl PostRow) {
        match self.account_of(post) {
            Some(account) => self.push_government(account, post),
            None => self.push_citizen(post),
        }
    }

    fn in_window(&self, time_ms: i64) -> bool {
        self.window.from_ms <= time_ms && time_ms < self.window.to_ms
    }

    fn push_government(&mut self, account: u16, post: &impl PostRow) {
        self.gov_posts.insert(post.id(), account);
        if self.accounts[account as usize].is_president {
            self.president_posts.insert(post.id());
        }
        if post.kind() == PostKind::Reply {
            self.answer(account, post);
        }
        if !self.in_window(post.time_ms()) {
            return;
        }
        let addressed = if post.reply_to_user() != 0 {
            self.by_id.get(&post.reply_to_user()).copied()
        } else {
            None
        };
        let replied_gov = if post.reply_to_post() != 0 {
            self.gov_posts.get(&post.reply_to_post()).copied()
        } else {
            None
        };
        let retweets_president =
            post.retweet_of() != 0 && self.president_posts.contains(&post.retweet_of());
        let retweets_government =
            post.retweet_of() != 0 && self.gov_posts.contains_key(&post.retweet_of());
        let local = self.clock.at(post.time_ms());
        let p = &mut self.publishing[account as usize];
        p.posts += 1;
        match post.kind() {
            PostKind::Original => {
                p.originals += 1;
                let [likes, replies, retweets, quotes] = post.metrics();
                if let (Some(l), Some(c), Some(r)) = (likes, replies, retweets) {
                    p.originals_with_metrics += 1;
                    p.likes += l;
                    p.reply_count += c;
                    p.retweet_count += r;
                    p.quote_count += quotes.unwrap_or(0);
                }
            }
            PostKind::Retweet => {
                p.retweets += 1;
                p.president_retweets += u64::from(retweets_president);
                p.government_retweets += u64::from(retweets_government);
            }
            PostKind::Quote => p.quotes += 1,
            PostKind::Reply => {
                p.replies += 1;
                let to_self = addressed == Some(account)
                    || (addressed.is_none() && replied_gov == Some(account));
                if to_self {
                    p.self_replies += 1;
                } else if addressed.is_none() && replied_gov.is_none() {
                    p.replies_to_citizens += 1;
                }
            }
        }
        p.with_media += u64::from(post.has_media());
        if !post.reply_settings().is_empty() && post.reply_settings() != "everyone" {
            p.restricted_replies += 1;
        }
        if !post.post_type().is_empty() {
            count_label(&mut p.post_types, post.post_type());
        }
        if post.kind() != PostKind::Retweet {
            for tag in json_strings(post.hashtags_json()) {
                let key = tag.to_lowercase();
                *p.hashtags.entry(key).or_insert(0) += 1;
            }
        }
        if let Some(local) = local {
            p.heatmap[usize::from(local.weekday_from_sunday)][usize::from(local.hour)] += 1;
            self.active_days[account as usize].insert(local.day_from_ce);
        }
    }

    fn push_citizen(&mut self, post: &impl PostRow) {
        if post.kind() == PostKind::Retweet || !self.in_window(post.time_ms()) {
            return;
        }
        self.targets.clear();
        if post.reply_to_post() != 0 {
            if let Some(&account) = self.gov_posts.get(&post.reply_to_post()) {
                self.targets.push(account);
            }
        }
        if post.reply_to_user() != 0 {
            if let Some(&account) = self.by_id.get(&post.reply_to_user()) {
                self.targets.push(account);
            }
        }
        let mentioned = post.mentioned_government();
        if !mentioned.is_empty() {
            for handle in mentioned.split(',') {
                if let Some(&account) = self.by_handle.get(handle) {
                    self.targets.push(account);
                }
            }
        }
        if self.targets.is_empty() {
            return;
        }
        self.targets.sort_unstable();
        self.targets.dedup();
        let needs_reply = intent_needs_reply(post.intent());
        let thread = if post.thread() != 0 {
            post.thread()
        } else {
            post.id()
        };
        let post_id = post.id();
        let time_ms = post.time_ms();
        let author_id = post.author_id();
        for position in 0..self.targets.len() {
            let account = self.targets[position];
            self.messages.push(Message {
                post_id,
                thread,
                author_id,
                time_ms,
                answered_by: NONE,
                account,
                needs_reply,
            });
            if post.intent().is_empty() {
                self.unlabelled[account as usize] += 1;
            } else {
                let tally = &mut self.intents[account as usize];
                match tally.iter_mut().find(|(label, _)| label == post.intent()) {
                    Some((_, count)) => *count += 1,
                    None => tally.push((post.intent().to_string(), 1)),
                }
            }
        }
    }

    /// A government reply: kept to be matched with the messages it may answer in `finish`.
    fn answer(&mut self, account: u16, reply: &impl PostRow) {
        let reply_to_user = reply.reply_to_user();
        if reply_to_user != 0 && self.by_id.get(&reply_to_user) == Some(&account) {
            return; // a thread of its own
        }
        let thread = reply.thread();
        self.replies.push(Reply {
            reply_to_post: reply.reply_to_post(),
            reply_to_user,
            thread: if thread != 0 { thread } else { reply.id() },
            time_ms: reply.time_ms(),
            account,
        });
    }

    /// Finds each message's first answer: direct replies by the id replied to, then replies
    /// later in the conversation by (thread, citizen, account). The two indexes are built side
    /// by side and the messages looked up in two halves, one per thread.
    fn match_answers(&mut self) {
        let split = self.split();
        let replies = &self.replies;
        let (direct, (conversational, groups)) = join(
            split,
            || direct_index(replies),
            || conversational_index(replies),
        );
        let index = AnswerIndex {
            replies,
            direct: &direct,
            conversational: &conversational,
            groups: &groups,
        };
        let half = if split {
            self.messages.len() / 2
        } else {
            self.messages.len()
        };
        let (first, second) = self.messages.split_at_mut(half);
        join(split, || index.answer(first), || index.answer(second));
    }

    /// Makes room at once for the citizen messages and government replies among `rows` rows,
    /// when the caller knows about how many rows the scan will visit (a scan cache says so):
    /// on millions of messages a list that doubles as it grows touches twice the fresh memory
    /// and copies it, which costs more than the scorecard maths on the first report of a
    /// process. Either list may take every row, and the overestimate costs only address space,
    /// since pages never written are never backed.
    pub fn reserve_rows(&mut self, rows: usize) {
        self.messages
            .reserve_exact(rows.saturating_sub(self.messages.len()));
        self.replies
            .reserve_exact(rows.saturating_sub(self.replies.len()));
    }

    /// Whether the work is worth a second thread.
    fn split(&self) -> bool {
        self.threads > 1 && self.messages.len() >= PARALLEL_MIN_MESSAGES
    }

    /// Computes every reported account's scorecard, ranked by interactivity index.
    pub fn finish(mut self) -> Vec<Scorecard> {
        self.match_answers();
        let n = self.accounts.len();
        let split = self.split();
        let half = if split {
            self.messages.len() / 2
        } else {
            self.messages.len()
        };
        let (first, second) = self.messages.split_at(half);
        let (window, timeline, replies) = (self.window, &self.timeline, &self.replies);
        // The first run's lists are made for every message of their account, since the second
        // run's keys are absorbed into them; the second's for its own.
        let later_counts = messages_per_account(second, n);
        let total: Vec<usize> = messages_per_account(first, n)
            .iter()
            .zip(&later_counts)
            .map(|(first, later)| first + later)
            .collect();
        let (mut outcomes, later) = join(
            split,
            || Outcomes::of(first, replies, &total, window, timeline),
            || Outcomes::of(second, replies, &later_counts, window, timeline),
        );
        outcomes.absorb(later);
        let Outcomes {
            mut responsiveness,
            mut wall,
            mut business,
        } = outcomes;
        // Conversations the account answered in, and those with two or more answering turns.
        // The replies that answered a message, as one bit each: millions of answers collected
        // and sorted only to find the distinct ones took twice as long on 10M items.
        let mut answering = vec![0u64; self.replies.len().div_ceil(64)];
        for message in &self.messages {
            if message.answered_by != NONE {
                let index = message.answered_by as usize;
                answering[index / 64] |= 1 << (index % 64);
            }
        }
        let turns = answering
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum();
        let mut threads: Vec<(u16, u64)> = Vec::with_capacity(turns);
        for (word_index, &word) in answering.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let reply = &self.replies[word_index * 64 + bits.trailing_zeros() as usize];
                threads.push((reply.account, reply.thread));
                bits &= bits - 1;
            }
        }
        threads.sort_unstable();
        for group in threads.chunk_by(|a, b| a == b) {
            let r = &mut responsiveness[group[0].0 as usize];
            r.answered_threads += 1;
            r.dialogue_threads += u64::from(group.len() >= 2);
        }
        // The curves of reported accounts: wall-clock on one thread, business time on another.
        let accounts = &self.accounts;
        let curves = |keys: &mut Vec<Vec<u32>>| -> Vec<ResponseCurve> {
            keys.iter_mut()
                .zip(accounts)
                .map(|(keys, account)| {
                    if account.report {
                        ResponseCurve::from_keys(keys)
                    } else {
                        ResponseCurve::default()
                    }
                })
                .collect()
        };
        let (wall_curves, business_curves) =
            join(split, || curves(&mut wall), || curves(&mut business));
        let days = ((self.window.to_ms - self.window.from_ms) as f64 / 86_400_000.0).max(0.0);
        let mut cards = Vec::new();
        for (index, account) in self.accounts.iter().enumerate() {
            if !account.report {
                continue;
            }
            let mut r = std::mem::take(&mut responsiveness[index]);
            let w = &wall_curves[index];
            r.median = w.quantile(0.5);
            r.p75 = w.quantile(0.75);
            r.p90 = w.quantile(0.9);
            let any = !wall[index].is_empty();
            r.within_1h = any.then(|| w.share_within(3_600_000));
            r.within_24h = any.then(|| w.share_within(86_400_000));
            let b = &business_curves[index];
            r.median_business = b.quantile(0.5);
            r.p90_business = b.quantile(0.9);
            r.intents = std::mem::take(&mut self.intents[index])
                .into_iter()
                .collect();
            r.unlabelled = self.unlabelled[index];
            let mut publishing = std::mem::take(&mut self.publishing[index]);
            publishing.active_days = self.active_days[index].len() as u64;
            let mut card = Scorecard {
                account: account.clone(),
                publishing,
                responsiveness: r,
                days,
                interactivity_index: 0.0,
            };
            card.interactivity_index = interactivity_index(&card);
            cards.push(card);
        }
        cards.sort_by(|a, b| {
            b.interactivity_index
                .total_cmp(&a.interactivity_index)
                .then_with(|| a.account.handle.cmp(&b.account.handle))
        });
        cards
    }
}

/// How many of `messages` each of `accounts` accounts received.
fn messages_per_account(messages: &[Message], accounts: usize) -> Vec<usize> {
    let mut counts = vec![0usize; accounts];
    for message in messages {
        counts[message.account as usize] += 1;
    }
    counts
}

/// Below this many citizen messages the answer matching and the tallies stay on one thread:
/// starting a second one would cost more than it saves.
const PARALLEL_MIN_MESSAGES: usize = 16_384;

/// Runs `a` on this thread and `b` on a second one when `split`, else both here in turn.
fn join<A: Send, B: Send>(
    split: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !split {
        let first = a();
        return (first, b());
    }
    std::thread::scope(|scope| {
        let second = scope.spawn(b);
        let first = a();
        match second.join() {
            Ok(second) => (first, second),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Replies to a post, as indexes into the replies sorted by (post replied to, time).
fn direct_index(replies: &[Reply]) -> Vec<u32> {
    // Made for every reply at once (a filtered collect would double its way there).
    let mut direct: Vec<u32> = Vec::with_capacity(replies.len());
    direct.extend((0..replies.len() as u32).filter(|&i| replies[i as usize].reply_to_post != 0));
    direct.sort_unstable_by_key(|&i| {
        let r = &replies[i as usize];
        (r.reply_to_post, r.time_ms)
    });
    direct
}

/// Replies addressed to a user, grouped by (thread, citizen, account) in time order: the
/// sorted indexes, and where each group starts in them and how long it is.
type ConversationIndex = (Vec<u32>, FxHashMap<(u64, u64, u16), (u32, u32)>);

fn conversational_index(replies: &[Reply]) -> ConversationIndex {
    let mut conversational: Vec<u32> = Vec::with_capacity(replies.len());
    conversational
        .extend((0..replies.len() as u32).filter(|&i| replies[i as usize].reply_to_user != 0));
    let key = |r: &Reply| (r.thread, r.reply_to_user, r.account, r.time_ms);
    conversational.sort_unstable_by_key(|&i| key(&replies[i as usize]));
    let group_of = |i: u32| {
        let r = &replies[i as usize];
        (r.thread, r.reply_to_user, r.account)
    };
    // Sized for its groups once: rehashing a table of a million groups as it grows would
    // touch several times its memory.
    let count = conversational
        .chunk_by(|&a, &b| group_of(a) == group_of(b))
        .count();
    let mut groups: FxHashMap<(u64, u64, u16), (u32, u32)> =
        FxHashMap::with_capacity_and_hasher(count, Default::default());
    let mut offset = 0u32;
    for run in conversational.chunk_by(|&a, &b| group_of(a) == group_of(b)) {
        groups.insert(group_of(run[0]), (offset, run.len() as u32));
        offset += run.len() as u32;
    }
    (conversational, groups)
}

/// The replies indexed both ways, shared read-only by the threads that match messages.
struct AnswerIndex<'a> {
    replies: &'a [Reply],
    direct: &'a [u32],
    conversational: &'a [u32],
    groups: &'a FxHashMap<(u64, u64, u16), (u32, u32)>,
}

impl AnswerIndex<'_> {
    /// Sets the first answer of each of `messages` (a run of messages in post id order).
    fn answer(&self, messages: &mut [Message]) {
        let (replies, direct) = (self.replies, self.direct);
        // Direct replies: one merge of the messages with the replies sorted by post replied to.
        let mut start = messages.first().map_or(0, |first| {
            direct.partition_point(|&i| replies[i as usize].reply_to_post < first.post_id)
        });
        for message in messages.iter_mut() {
            while start < direct.len()
                && replies[direct[start] as usize].reply_to_post < message.post_id
            {
                start += 1;
            }
            for &index in direct[start..].iter() {
                let reply = &replies[index as usize];
                if reply.reply_to_post != message.post_id {
                    break;
                }
                if reply.account == message.account && reply.time_ms > message.time_ms {
                    if reply.time_ms < answered_at(replies, message) {
                        message.answered_by = index;
                    }
                    break;
                }
            }
        }
        // Later in the conversation, addressed to the message's author: each message looks up
        // its own group, so the messages keep their order and are never sorted.
        for message in messages.iter_mut() {
            if message.author_id == 0 {
                continue;
            }
            let Some(&(start, len)) =
                self.groups
                    .get(&(message.thread, message.author_id, message.account))
            else {
                continue;
            };
            let group = &self.conversational[start as usize..(start + len) as usize];
            let later = group.partition_point(|&i| replies[i as usize].time_ms <= message.time_ms);
            if let Some(&index) = group.get(later) {
                if replies[index as usize].time_ms < answered_at(replies, message) {
                    message.answered_by = index;
                }
            }
        }
    }
}

/// When `message` was first answered, `i64::MAX` while it is not.
fn answered_at(replies: &[Reply], message: &Message) -> i64 {
    if message.answered_by == NONE {
        i64::MAX
    } else {
        replies[message.answered_by as usize].time_ms
    }
}

/// What became of a run of messages, per account: the counts, and each message's survival key
/// in wall-clock and in business time.
struct Outcomes {
    responsiveness: Vec<Responsiveness>,
    wall: Vec<Vec<u32>>,
    business: Vec<Vec<u32>>,
}

impl Outcomes {
    /// `capacity` is how many keys each account's lists are made for: the messages of this run,
    /// or of all runs when the others are to be absorbed into this one. Exact sizes matter: on
    /// millions of messages, lists that double as they grow touch twice the fresh memory.
    fn of(
        messages: &[Message],
        replies: &[Reply],
        capacity: &[usize],
        window: Window,
        timeline: &Timeline,
    ) -> Self {
        let accounts = capacity.len();
        let mut responsiveness: Vec<Responsiveness> = vec![Responsiveness::default(); accounts];
        let mut wall: Vec<Vec<u32>> = capacity.iter().map(|&n| Vec::with_capacity(n)).collect();
        let mut business: Vec<Vec<u32>> = capacity.iter().map(|&n| Vec::with_capacity(n)).collect();
        for message in messages {
            let account = message.account as usize;
            let r = &mut responsiveness[account];
            r.citizen_messages += 1;
            r.needs_reply += u64::from(message.needs_reply);
            let horizon = (window.as_of_ms - message.time_ms).clamp(0, ANSWER_WINDOW_MS);
            let answered_at = answered_at(replies, message);
            let delay = answered_at.saturating_sub(message.time_ms);
            let answered = answered_at != i64::MAX && delay <= horizon;
            if answered {
                r.answered_7d += 1;
                r.needs_reply_answered_7d += u64::from(message.needs_reply);
                if !timeline.is_open(answered_at) {
                    r.answered_outside_hours += 1;
                }
                wall[account].push(window_key(delay, true));
                business[account].push(window_key(
                    timeline.business_ms(message.time_ms, answered_at),
                    true,
                ));
            } else {
                if horizon < ANSWER_WINDOW_MS {
                    r.awaiting += 1;
                }
                wall[account].push(window_key(horizon, false));
                business[account].push(window_key(
                    timeline.business_ms(message.time_ms, message.time_ms + horizon),
                    false,
                ));
            }
        }
        Self {
            responsiveness,
            wall,
            business,
        }
    }

    /// Adds the outcomes of another run of messages (the order of keys does not matter: each
    /// account's keys are sorted when its curve is drawn).
    fn absorb(&mut self, other: Outcomes) {
        for (mine, theirs) in self.responsiveness.iter_mut().zip(&other.responsiveness) {
            mine.citizen_messages += theirs.citizen_messages;
            mine.needs_reply += theirs.needs_reply;
            mine.answered_7d += theirs.answered_7d;
            mine.needs_reply_answered_7d += theirs.needs_reply_answered_7d;
            mine.answered_outside_hours += theirs.answered_outside_hours;
            mine.awaiting += theirs.awaiting;
        }
        for (mine, theirs) in self.wall.iter_mut().zip(&other.wall) {
            mine.extend_from_slice(theirs);
        }
        for (mine, theirs) in self.business.iter_mut().zip(&other.business) {
            mine.extend_from_slice(theirs);
        }
    }
}

/// Counts one more `label`, allocating only the first time a label is seen.
fn count_label(counts: &mut HashMap<String, u64>, label: &str) {
    match counts.get_mut(label) {
        Some(count) => *count += 1,
        None => {
            counts.insert(label.to_string(), 1);
        }
    }
}

/// The `"handle"` values of a stored mentions JSON array, without allocating.
pub fn mention_handles(json: &str) -> impl Iterator<Item = &str> {
    const KEY: &str = "\"handle\":\"";
    let mut rest = json;
    std::iter::from_fn(move || {
        let start = rest.find(KEY)? + KEY.len();
        let tail = &rest[start..];
        // Handles are [A-Za-z0-9_]: no escapes inside, the next quote ends it.
        let end = tail.find('"')?;
        rest = &tail[end..];
        Some(&tail[..end])
    })
}

/// The string items of a stored JSON array of strings (hashtags); escaped items are decoded.
pub fn json_strings(json: &str) -> Vec<String> {
    if json.is_empty() {
        return Vec::new();
    }
    serde_json::from_str::<Vec<String>>(json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaplan_meier_matches_a_hand_computation() {
        // Times 1, 2 (censored), 3, 4 (censored), 5 s: S(1)=4/5, S(3)=4/5·2/3=8/15, S(5)=0.
        let mut obs = vec![
            (1000, true),
            (2000, false),
            (3000, true),
            (4000, false),
            (5000, true),
        ];
        assert_eq!(kaplan_meier_quantile(&mut obs, 0.2), Quantile::Seconds(1.0));
        // 1 − 8/15 = 0.467 < 0.5, so the median is at 5 s.
        assert_eq!(kaplan_meier_quantile(&mut obs, 0.5), Quantile::Seconds(5.0));
        let share = kaplan_meier_share_within(&mut obs, 3000).expect("data");
        assert!((share - 7.0 / 15.0).abs() < 1e-12);
    }

    #[test]
    fn the_counting_sort_of_survival_keys_agrees_with_a_comparison_sort() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for (len, max) in [
            (5_000usize, 1u64 << 31),
            (70_000, 1 << 20),
            (9_000, 3),
            (6_000, u64::MAX),
        ] {
            let mut keys: Vec<u64> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % max.max(1)
                })
                .collect();
            let mut expected = keys.clone();
            expected.sort_unstable();
            sort_keys(&mut keys);
            assert_eq!(keys, expected, "{len} keys below {max}");
        }
    }

    #[test]
    fn window_keys_are_survival_keys_in_32_bits() {
        for (duration, answered) in [
            (0, true),
            (1, false),
            (3_600_000, true),
            (ANSWER_WINDOW_MS, false),
            (ANSWER_WINDOW_MS, true),
        ] {
            assert_eq!(
                u64::from(window_key(duration, answered)),
                survival_key(duration, answered)
            );
        }
        assert_eq!(
            window_key(ANSWER_WINDOW_MS + 1, false),
            window_key(ANSWER_WINDOW_MS, false)
        );
        assert_eq!(window_key(-5, true), 0);
        // The same observations give the same curve from either width.
        let mut state = 0x9e37_79b9u64;
        let observations: Vec<(i64, bool)> = (0..20_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                ((state >> 33) as i64 % ANSWER_WINDOW_MS, state & 1 == 0)
            })
            .collect();
        let mut narrow: Vec<u32> = observations
            .iter()
            .map(|&(d, a)| window_key(d, a))
            .collect();
        let wide = ResponseCurve::from_observations(&observations);
        let narrow = ResponseCurve::from_keys(&mut narrow);
        for share in [0.1, 0.25, 0.5, 0.75, 0.9] {
            assert_eq!(narrow.quantile(share), wide.quantile(share), "{share}");
        }
        assert_eq!(
            narrow.share_within(86_400_000),
            wide.share_within(86_400_000)
        );
    }

    #[test]
    fn a_silent_account_has_no_median() {
        let mut obs = vec![
            (100, true),
            (ANSWER_WINDOW_MS, false),
            (ANSWER_WINDOW_MS, false),
        ];
        assert_eq!(kaplan_meier_quantile(&mut obs, 0.5), Quantile::NotReached);
        assert_eq!(kaplan_meier_quantile(&mut [], 0.5), Quantile::NoData);
    }

    #[test]
    fn mention_handles_are_read_without_parsing() {
        let json = r#"[{"handle":"MoHPEgypt","id":"1"},{"handle":"x_y","id":null}]"#;
        assert_eq!(
            mention_handles(json).collect::<Vec<_>>(),
            ["MoHPEgypt", "x_y"]
        );
        assert_eq!(mention_handles("").count(), 0);
    }
}
