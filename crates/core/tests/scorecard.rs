//! Scorecards on small hand-built threads, every expected number computed by hand (the
//! arithmetic is in the comments).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{TimeZone, Utc};
use tawasul_core::calendar::CalendarSpec;
use tawasul_core::scorecard::{
    GovAccount, Quantile, ScanPost, Scorecard, ScorecardEngine, Window, ANSWER_WINDOW_MS,
};
use tawasul_core::{BusinessCalendar, PostKind};

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

const MOI: u64 = 100;
const MOH: u64 = 200;
const PRESIDENT: u64 = 900;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .map(|t| t.timestamp_millis())
        .expect("valid time")
}

#[derive(Default, Clone)]
struct P {
    id: u64,
    author: u64,
    handle: &'static str,
    time: i64,
    kind: PostKind,
    reply_to_post: u64,
    reply_to_user: u64,
    thread: u64,
    retweet_of: u64,
    mentions: String,
    hashtags: String,
    media: bool,
    reply_settings: &'static str,
    metrics: Option<(u64, u64, u64, u64)>,
    post_type: &'static str,
    intent: &'static str,
}

impl P {
    fn scan(&self) -> ScanPost<'_> {
        ScanPost {
            id: self.id,
            author_id: self.author,
            author_handle: self.handle,
            time_ms: self.time,
            kind: self.kind,
            reply_to_post: self.reply_to_post,
            reply_to_user: self.reply_to_user,
            thread: self.thread,
            retweet_of: self.retweet_of,
            mentioned_government: &self.mentions,
            hashtags_json: &self.hashtags,
            has_media: self.media,
            reply_settings: self.reply_settings,
            likes: self.metrics.map(|m| m.0),
            replies: self.metrics.map(|m| m.1),
            retweets: self.metrics.map(|m| m.2),
            quotes: self.metrics.map(|m| m.3),
            post_type: self.post_type,
            intent: self.intent,
        }
    }
}

/// The labelling pass's resolution of a post's mentions: government handles, lower-case.
fn mentions(handles: &[&str]) -> String {
    handles
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

fn accounts() -> Vec<GovAccount> {
    vec![
        GovAccount {
            handle: "moiegy".into(),
            body: "interior".into(),
            user_id: Some(MOI),
            is_president: false,
            followers: Some(10_000),
            report: true,
        },
        GovAccount {
            handle: "mohpegypt".into(),
            body: "health".into(),
            // Unknown id: learnt from the handle of its first post.
            user_id: None,
            is_president: false,
            followers: None,
            report: true,
        },
        GovAccount {
            handle: "AlsisiOfficial".into(),
            body: "presidency".into(),
            user_id: Some(PRESIDENT),
            is_president: true,
            followers: None,
            report: false,
        },
    ]
}

fn reply(id: u64, author: u64, time: i64, to_post: u64, to_user: u64, thread: u64) -> P {
    P {
        id,
        author,
        time,
        kind: PostKind::Reply,
        reply_to_post: to_post,
        reply_to_user: to_user,
        thread,
        ..P::default()
    }
}

/// January 2026 (Cairo UTC+2): a month of one ministry answering, one not.
fn january() -> Vec<P> {
    let t0 = utc(2026, 1, 4, 8, 0); // Sunday 10:00 Cairo
    let (a, b, c, d, e) = (1001, 1002, 1003, 1004, 1005);
    let mut posts = vec![
        P {
            id: 10,
            author: PRESIDENT,
            time: t0 - DAY,
            ..P::default()
        },
        P {
            id: 11,
            author: MOI,
            time: t0,
            kind: PostKind::Retweet,
            retweet_of: 10,
            ..P::default()
        },
        P {
            id: 12,
            author: MOI,
            time: t0 + 5 * MIN,
            thread: 12,
            post_type: "service",
            metrics: Some((10, 2, 3, 1)),
            media: true,
            hashtags: r#"["اعرف_حقك","مصر"]"#.into(),
            reply_settings: "everyone",
            ..P::default()
        },
        // A asks; answered 30 min later (1,800 s, all in office hours).
        P {
            intent: "question",
            ..reply(13, a, t0 + 10 * MIN, 12, MOI, 12)
        },
        reply(14, MOI, t0 + 40 * MIN, 13, a, 12),
        // The ministry continuing its own thread: a self-reply, answers nobody.
        reply(15, MOI, t0 + 50 * MIN, 12, MOI, 12),
        // B complains twice; one reply to the second answers both (1 h and 2 h).
        P {
            id: 16,
            author: b,
            time: t0 + HOUR,
            thread: 16,
            mentions: mentions(&["MOIEGY"]),
            intent: "complaint",
            ..P::default()
        },
        P {
            mentions: mentions(&["moiegy"]),
            intent: "complaint",
            ..reply(17, b, t0 + 2 * HOUR, 16, b, 16)
        },
        reply(18, MOI, t0 + 3 * HOUR, 17, b, 16),
        // C asks two ministries; neither answers within 7 days (health after 9 days, id 30).
        P {
            id: 19,
            author: c,
            time: t0 + DAY,
            thread: 19,
            mentions: mentions(&["moiegy", "mohpegypt"]),
            intent: "request",
            ..P::default()
        },
        // Health replies to the interior ministry's post: government to government, no citizen.
        P {
            handle: "MOHPEgypt",
            ..reply(21, MOH, t0 + DAY + HOUR, 12, MOI, 12)
        },
        // D asks Thursday 16:30 Cairo, answered Sunday 09:30: 2 d 17 h = 235,800 s wall,
        // 30 min Thursday + 30 min Sunday = 3,600 business s.
        P {
            intent: "question",
            ..reply(22, d, utc(2026, 1, 8, 14, 30), 12, MOI, 12)
        },
        reply(23, MOI, utc(2026, 1, 11, 7, 30), 22, d, 12),
        // A thanks on Friday 10:00, answered Friday 12:00: 7,200 s wall, 0 business, off hours.
        P {
            intent: "praise",
            ..reply(24, a, utc(2026, 1, 9, 8, 0), 14, MOI, 12)
        },
        reply(25, MOI, utc(2026, 1, 9, 10, 0), 24, a, 12),
        // A citizen's retweet is never a message.
        P {
            id: 26,
            author: a,
            time: utc(2026, 1, 9, 11, 0),
            kind: PostKind::Retweet,
            retweet_of: 12,
            mentions: mentions(&["moiegy"]),
            ..P::default()
        },
        P {
            id: 27,
            author: MOI,
            time: utc(2026, 1, 20, 8, 0),
            thread: 27,
            reply_settings: "mentionedUsers",
            post_type: "official_activity",
            ..P::default()
        },
        // E complains Tuesday 11:00; the answer comes after 8 days: unanswered, censored at 7 d.
        P {
            intent: "complaint",
            ..reply(28, e, utc(2026, 1, 20, 9, 0), 27, MOI, 27)
        },
        reply(29, MOI, utc(2026, 1, 28, 9, 0), 28, e, 27),
        P {
            handle: "mohpegypt",
            ..reply(30, MOH, t0 + 9 * DAY, 19, c, 19)
        },
    ];
    for post in &mut posts {
        if post.thread == 0 && post.kind != PostKind::Retweet {
            post.thread = post.id;
        }
    }
    posts
}

fn run(posts: &[P], calendar: BusinessCalendar, window: Window) -> Vec<Scorecard> {
    let mut engine = ScorecardEngine::new(accounts(), window, calendar);
    for post in posts {
        engine.push(&post.scan());
    }
    engine.finish()
}

fn january_window() -> Window {
    Window {
        from_ms: utc(2026, 1, 3, 22, 0), // 2026-01-04 00:00 Cairo
        to_ms: utc(2026, 1, 31, 22, 0),  // 2026-02-01 00:00 Cairo (31 Jan inclusive)
        as_of_ms: utc(2026, 3, 1, 0, 0),
    }
}

fn card<'a>(cards: &'a [Scorecard], handle: &str) -> &'a Scorecard {
    cards
        .iter()
        .find(|c| c.account.handle == handle)
        .expect("reported account")
}

#[test]
fn responsiveness_follows_the_definitions() {
    let cards = run(&january(), BusinessCalendar::default(), january_window());
    assert_eq!(cards.len(), 2, "the president is not reported");
    let moi = card(&cards, "moiegy");
    let r = &moi.responsiveness;
    // Messages 13, 16, 17, 19, 22, 24, 28; the retweet 26 and health's 21 are not citizens'.
    assert_eq!(r.citizen_messages, 7);
    assert_eq!(r.needs_reply, 6);
    // 13, 16, 17, 22, 24 answered within 7 days; 19 never, 28 after 8 days.
    assert_eq!(r.answered_7d, 5);
    assert_eq!(r.needs_reply_answered_7d, 4);
    assert_eq!(moi.reply_rate(), Some(5.0 / 7.0));
    // Wall: 1800, 3600, 7200, 7200, 235800 answered; two censored at 7 d. KM survival after
    // 1800: 6/7, 3600: 5/7, 7200: 5/7·3/5 = 3/7 → median 7,200 s; 1 − 2/7 < 0.75 → no p75.
    assert_eq!(r.median, Quantile::Seconds(7200.0));
    assert_eq!(r.p75, Quantile::NotReached);
    assert_eq!(r.p90, Quantile::NotReached);
    assert!((r.within_1h.expect("data") - 2.0 / 7.0).abs() < 1e-12);
    assert!((r.within_24h.expect("data") - 4.0 / 7.0).abs() < 1e-12);
    // Business: 0, 1800, 3600, 3600, 7200 answered; censored at 40 business hours each.
    assert_eq!(r.median_business, Quantile::Seconds(3600.0));
    assert_eq!(r.p90_business, Quantile::NotReached);
    assert_eq!(r.answered_outside_hours, 1);
    assert_eq!(r.awaiting, 0);
    assert_eq!(r.intents.get("complaint"), Some(&3));
    // Threads 12 (replies 14, 23, 25) and 16 (18) were answered; 27's answer was too late
    // but still a turn. Dialogue = two or more answering turns: thread 12 only.
    assert_eq!(r.dialogue_threads, 1);

    let moh = card(&cards, "mohpegypt");
    assert_eq!(moh.responsiveness.citizen_messages, 1);
    assert_eq!(moh.responsiveness.answered_7d, 0);
    assert_eq!(moh.reply_rate(), Some(0.0));
    assert_eq!(moh.responsiveness.median, Quantile::NotReached);
}

#[test]
fn publishing_counts_and_the_index() {
    let cards = run(&january(), BusinessCalendar::default(), january_window());
    let moi = card(&cards, "moiegy");
    let p = &moi.publishing;
    // 11 12 14 15 18 23 25 27 29.
    assert_eq!(p.posts, 9);
    assert_eq!((p.originals, p.retweets, p.quotes, p.replies), (2, 1, 0, 6));
    assert_eq!(p.president_retweets, 1);
    assert_eq!(p.self_replies, 1);
    assert_eq!(p.replies_to_citizens, 5);
    assert_eq!((p.with_media, p.restricted_replies), (1, 1));
    assert_eq!(p.post_types.get("service"), Some(&1));
    assert_eq!(p.hashtags.get("اعرف_حقك"), Some(&1));
    // Jan 4, 9, 11, 20, 28 (Cairo dates).
    assert_eq!(p.active_days, 5);
    // Sunday 10:00, 10:05, 10:40, 10:50 Cairo (11, 12, 14, 15); 18 at 13:00.
    assert_eq!(p.heatmap[0][10], 4);
    assert_eq!(p.heatmap[0][13], 1);
    // Only 12 has counts: 10 + 2 + 3 + 1 = 16; E = (10 + 2 + (3 + 1)) / 10,000 × 1,000.
    assert_eq!(moi.engagement_per_original(), Some(16.0));
    assert!((moi.engagement_per_1000_followers().expect("followers") - 1.6).abs() < 1e-12);
    // R = 4/6, S = 4/7, D = min(1, 4·5/9) = 1, C = 1/2 (service of two labelled posts):
    // 100 × (0.4·0.6667 + 0.2·0.5714 + 0.2 + 0.1) = 68.095 → 68.1.
    assert_eq!(moi.interactivity_index, 68.1);
    let moh = card(&cards, "mohpegypt");
    // 21 answers the interior ministry (government), 30 a citizen.
    assert_eq!(moh.publishing.replies, 2);
    assert_eq!(moh.publishing.replies_to_citizens, 1);
    // R = 0, S = 0, D = min(1, 4·1/2) = 1, nothing labelled: 20.
    assert_eq!(moh.interactivity_index, 20.0);
    assert_eq!(cards[0].account.handle, "moiegy", "ranked by index");
}

#[test]
fn window_and_age_censoring() {
    // Computed on 2026-01-06 12:00 UTC: C's request (Monday 08:00 UTC) is 2 days old and
    // unanswered, so its outcome is still open and its time is censored at its age.
    let window = Window {
        as_of_ms: utc(2026, 1, 6, 12, 0),
        ..january_window()
    };
    let posts: Vec<P> = january()
        .into_iter()
        .filter(|p| p.time <= utc(2026, 1, 6, 12, 0))
        .collect();
    let cards = run(&posts, BusinessCalendar::default(), window);
    let moi = card(&cards, "moiegy");
    assert_eq!(moi.responsiveness.citizen_messages, 4);
    assert_eq!(moi.responsiveness.awaiting, 1);
    // A window that starts after the messages sees none of them, but still their answers'
    // publishing.
    let later = Window {
        from_ms: utc(2026, 1, 10, 22, 0),
        ..january_window()
    };
    let cards = run(&january(), BusinessCalendar::default(), later);
    let moi = card(&cards, "moiegy");
    assert_eq!(
        moi.responsiveness.citizen_messages, 1,
        "only 28 (20 January)"
    );
    assert_eq!(moi.publishing.posts, 3, "23, 27, 29");
}

fn one_exchange(asked: i64, answered: i64) -> Vec<P> {
    vec![
        P {
            id: 1,
            author: MOI,
            time: asked - HOUR,
            thread: 1,
            ..P::default()
        },
        P {
            intent: "question",
            ..reply(2, 77, asked, 1, MOI, 1)
        },
        reply(3, MOI, answered, 2, 77, 1),
    ]
}

fn april_window() -> Window {
    Window {
        from_ms: utc(2026, 4, 1, 0, 0),
        to_ms: utc(2026, 5, 1, 0, 0),
        as_of_ms: utc(2026, 6, 1, 0, 0),
    }
}

#[test]
fn business_time_across_the_cairo_spring_clock_change() {
    // Thursday 2026-04-23 16:00 Cairo (UTC+2) to Sunday 2026-04-26 10:00 Cairo (UTC+3, summer
    // time from Friday 00:00): 2 d 18 h on the wall clock minus the skipped hour = 234,000 s;
    // business 1 h Thursday + 1 h Sunday.
    let posts = one_exchange(utc(2026, 4, 23, 14, 0), utc(2026, 4, 26, 7, 0));
    let cards = run(&posts, BusinessCalendar::default(), april_window());
    let r = &card(&cards, "moiegy").responsiveness;
    assert_eq!(r.median, Quantile::Seconds(234_000.0));
    assert_eq!(r.median_business, Quantile::Seconds(7_200.0));
    assert_eq!(r.answered_outside_hours, 0);

    // With Sunday a holiday (Sinai Liberation Day falls on the 25th; a bridge day here), only
    // Thursday's hour counts and the answer is off hours.
    let calendar = CalendarSpec::from_toml("holidays = [\"2026-04-26\"]")
        .expect("toml")
        .build()
        .expect("calendar");
    let cards = run(&posts, calendar, april_window());
    let r = &card(&cards, "moiegy").responsiveness;
    assert_eq!(r.median_business, Quantile::Seconds(3_600.0));
    assert_eq!(r.answered_outside_hours, 1);
}

#[test]
fn business_time_in_a_night_shift_past_midnight() {
    // A media centre open 20:00–04:00 every day. Asked 23:00 Cairo, answered 03:00: 4 h, all
    // inside the shift that began the day before.
    let calendar = CalendarSpec::from_toml(
        "[[shifts]]\ndays = [\"sun\",\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\"]\nstart = \"20:00\"\nend = \"04:00\"",
    )
    .expect("toml")
    .build()
    .expect("calendar");
    let posts = one_exchange(utc(2026, 4, 7, 21, 0), utc(2026, 4, 8, 1, 0));
    let cards = run(&posts, calendar.clone(), april_window());
    let r = &card(&cards, "moiegy").responsiveness;
    assert_eq!(r.median_business, Quantile::Seconds(4.0 * 3600.0));
    assert_eq!(r.answered_outside_hours, 0);
    // Asked 03:00, answered 21:00: 1 h before closing + 1 h after opening.
    let posts = one_exchange(utc(2026, 4, 8, 1, 0), utc(2026, 4, 8, 19, 0));
    let cards = run(&posts, calendar, april_window());
    let r = &card(&cards, "moiegy").responsiveness;
    assert_eq!(r.median_business, Quantile::Seconds(2.0 * 3600.0));
}

#[test]
fn a_reply_after_seven_days_is_not_an_answer() {
    let asked = utc(2026, 4, 5, 8, 0);
    let just_in = one_exchange(asked, asked + ANSWER_WINDOW_MS);
    let cards = run(&just_in, BusinessCalendar::default(), april_window());
    assert_eq!(card(&cards, "moiegy").responsiveness.answered_7d, 1);
    let late = one_exchange(asked, asked + ANSWER_WINDOW_MS + 1);
    let cards = run(&late, BusinessCalendar::default(), april_window());
    let moi = card(&cards, "moiegy");
    assert_eq!(moi.responsiveness.answered_7d, 0);
    assert_eq!(moi.responsiveness.median, Quantile::NotReached);
}

#[test]
fn a_later_reply_to_another_author_in_the_thread_does_not_answer() {
    // Two citizens in one thread; the ministry answers only the second.
    let t = utc(2026, 4, 5, 8, 0);
    let posts = vec![
        P {
            id: 1,
            author: MOI,
            time: t,
            thread: 1,
            ..P::default()
        },
        P {
            intent: "question",
            ..reply(2, 71, t + MIN, 1, MOI, 1)
        },
        P {
            intent: "question",
            ..reply(3, 72, t + 2 * MIN, 1, MOI, 1)
        },
        reply(4, MOI, t + 3 * MIN, 3, 72, 1),
    ];
    let cards = run(&posts, BusinessCalendar::default(), april_window());
    let r = &card(&cards, "moiegy").responsiveness;
    assert_eq!((r.citizen_messages, r.answered_7d), (2, 1));
}

#[test]
fn resolved_ids_skip_handle_lookups_but_handles_still_match_posts_without_ids() {
    let t = utc(2026, 4, 5, 8, 0);
    // Health's id is unknown; its post carries an author id (so a store would have resolved
    // it) and one post carries none (matched by handle).
    let posts = vec![
        P {
            id: 1,
            author: 4242,
            handle: "mohpegypt",
            time: t,
            thread: 1,
            ..P::default()
        },
        P {
            id: 2,
            author: 0,
            handle: "MOHPEGYPT",
            time: t + MIN,
            thread: 2,
            ..P::default()
        },
    ];
    let window = april_window();
    let count = |engine: ScorecardEngine| {
        let mut engine = engine;
        for post in &posts {
            engine.push(&post.scan());
        }
        card(&engine.finish(), "mohpegypt").publishing.posts
    };
    let learning = ScorecardEngine::new(accounts(), window, BusinessCalendar::default());
    assert_eq!(count(learning), 2);
    let resolved =
        ScorecardEngine::new(accounts(), window, BusinessCalendar::default()).ids_resolved();
    assert_eq!(
        count(resolved),
        1,
        "an unknown author id is a citizen once ids are resolved"
    );
}

/// Thousands of citizens writing to the interior ministry, which answers some directly, some
/// later in the conversation and some after a week: a stream long enough that `finish` splits
/// its work across two threads.
fn busy_month() -> (Vec<P>, u64) {
    let t0 = utc(2026, 1, 4, 8, 0);
    let mut posts = Vec::new();
    let mut id = 10_000u64;
    let mut next_id = || {
        id += 1;
        id
    };
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut random = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut citizen_messages = 0;
    let mut answers = BinaryHeap::new();
    for minute in 0..40_000i64 {
        let time = t0 + minute * MIN / 2;
        if minute % 50 == 0 {
            let post = next_id();
            posts.push(P {
                id: post,
                author: MOI,
                time,
                thread: post,
                post_type: "news",
                ..P::default()
            });
            continue;
        }
        let Some(topic) = posts
            .iter()
            .rev()
            .find(|p| p.author == MOI && p.kind == PostKind::Original)
            .map(|p| p.id)
        else {
            continue;
        };
        let citizen = 5_000 + random(3_000);
        let message = next_id();
        posts.push(P {
            intent: ["question", "complaint", "praise"][random(3) as usize],
            ..reply(message, citizen, time, topic, MOI, topic)
        });
        citizen_messages += 1;
        // Answered: directly, later in the thread to the citizen, or after a week.
        match random(6) {
            0 => answers.push(Reverse((
                time + (1 + random(600) as i64) * MIN,
                message,
                citizen,
                topic,
            ))),
            1 => answers.push(Reverse((
                time + (1 + random(90) as i64) * MIN,
                topic,
                citizen,
                topic,
            ))),
            2 => answers.push(Reverse((time + 8 * DAY, message, citizen, topic))),
            _ => {}
        }
        // The answers due by now, in time order (ids must follow time). A heap: sorting
        // the thousands of week-late answers at every minute made this test half a minute.
        while answers.peek().is_some_and(|a| a.0 .0 <= time) {
            if let Some(Reverse((at, to_post, to_user, thread))) = answers.pop() {
                posts.push(reply(
                    next_id(),
                    MOI,
                    at.max(time),
                    to_post,
                    to_user,
                    thread,
                ));
            }
        }
    }
    (posts, citizen_messages)
}

#[test]
fn splitting_the_work_across_threads_gives_the_same_scorecards() {
    let (posts, citizen_messages) = busy_month();
    let window = january_window();
    let cards = |engine: ScorecardEngine| {
        let mut engine = engine;
        for post in &posts {
            engine.push(&post.scan());
        }
        engine.finish()
    };
    let split = cards(ScorecardEngine::new(
        accounts(),
        window,
        BusinessCalendar::default(),
    ));
    let single = cards(
        ScorecardEngine::new(accounts(), window, BusinessCalendar::default()).single_threaded(),
    );
    assert_eq!(split, single);
    let moi = &card(&split, "moiegy").responsiveness;
    assert_eq!(moi.citizen_messages, citizen_messages);
    assert!(
        citizen_messages > 30_000,
        "enough messages to split the work"
    );
    // A third is answered within minutes or hours, a sixth only after a week.
    let share = moi.answered_7d as f64 / citizen_messages as f64;
    assert!((0.25..0.42).contains(&share), "answered share {share}");
    // Fewer than half answered within a week: the median is not reached.
    assert_eq!(moi.median, Quantile::NotReached);
    assert!(moi.answered_threads > 0);
    assert!(
        moi.within_24h.is_some_and(|s| s > 0.2),
        "{:?}",
        moi.within_24h
    );
}
