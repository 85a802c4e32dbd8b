//! SLA clocks against hand-computed times, on the default calendar (Africa/Cairo,
//! Sunday–Thursday 09:00–17:00) and a 24/7 one.

use chrono::{TimeZone, Utc};
use tawasul_core::calendar::BusinessCalendar;
use tawasul_core::sla::{ClockKind, SlaClock, SlaPolicy, SlaState};

/// Unix ms of a UTC wall time.
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .map(|t| t.timestamp_millis())
        .expect("valid time")
}

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

fn policy(first: i64, next: i64, resolution: i64) -> SlaPolicy {
    SlaPolicy {
        first_response_ms: Some(first),
        next_response_ms: Some(next),
        resolution_ms: Some(resolution),
        warn_before_ms: 15 * MIN,
    }
}

#[test]
fn thursday_afternoon_question_is_due_sunday_morning() {
    // Thursday 2026-01-08 16:45 Cairo (UTC+2) = 14:45 UTC; 30 business minutes: 15 today,
    // Friday and Saturday closed, 15 on Sunday → Sunday 2026-01-11 09:15 Cairo = 07:15 UTC.
    let calendar = BusinessCalendar::default();
    let mut clock = SlaClock::default();
    clock.citizen_message(utc(2026, 1, 8, 14, 45), &calendar);
    let due = clock.deadlines(&policy(30 * MIN, HOUR, 8 * HOUR), &calendar);
    assert_eq!(due.first_response, Some(utc(2026, 1, 11, 7, 15)));
    // Resolution 8 business hours: 15 min Thursday + 7 h 45 min Sunday → Sunday 16:45 Cairo.
    assert_eq!(due.resolution, Some(utc(2026, 1, 11, 14, 45)));
    assert_eq!(due.next(), due.first_response);
}

#[test]
fn a_reply_measures_wall_and_business_time_and_starts_nothing_until_the_citizen_writes() {
    let calendar = BusinessCalendar::default();
    let mut clock = SlaClock::default();
    clock.citizen_message(utc(2026, 1, 8, 14, 45), &calendar);
    // Answered Sunday 10:00 Cairo (08:00 UTC): wall 2 d 17 h 15 min; business 15 + 60 min.
    let m = clock
        .agent_reply(utc(2026, 1, 11, 8, 0), &calendar)
        .expect("a measurement");
    assert_eq!(m.kind, ClockKind::FirstResponse);
    assert_eq!(m.wall_ms, (2 * 24 + 17) * HOUR + 15 * MIN);
    assert_eq!(m.business_ms, 75 * MIN);
    // Nobody waits now: no response clock runs; a second reply measures nothing.
    let due = clock.deadlines(&policy(HOUR, HOUR, 40 * HOUR), &calendar);
    assert_eq!((due.first_response, due.next_response), (None, None));
    assert!(clock
        .agent_reply(utc(2026, 1, 11, 9, 0), &calendar)
        .is_none());
    // The citizen writes again Sunday 13:00 Cairo: next response due in 1 business hour.
    clock.citizen_message(utc(2026, 1, 11, 11, 0), &calendar);
    let due = clock.deadlines(&policy(HOUR, HOUR, 40 * HOUR), &calendar);
    assert_eq!(due.next_response, Some(utc(2026, 1, 11, 12, 0)));
    let m = clock
        .agent_reply(utc(2026, 1, 11, 11, 30), &calendar)
        .expect("next response");
    assert_eq!(m.kind, ClockKind::NextResponse);
    assert_eq!((m.wall_ms, m.business_ms), (30 * MIN, 30 * MIN));
}

#[test]
fn pending_pauses_the_clock_and_the_deadline_moves_by_the_paused_business_time() {
    let calendar = BusinessCalendar::default();
    let mut clock = SlaClock::default();
    // Sunday 2026-01-11 09:00 Cairo = 07:00 UTC; first response 2 business hours.
    clock.citizen_message(utc(2026, 1, 11, 7, 0), &calendar);
    let p = policy(2 * HOUR, HOUR, 8 * HOUR);
    assert_eq!(
        clock.deadlines(&p, &calendar).first_response,
        Some(utc(2026, 1, 11, 9, 0))
    );
    // Pending from 10:00 to 11:30 Cairo: no deadline while paused.
    clock.pause(utc(2026, 1, 11, 8, 0));
    assert_eq!(clock.deadlines(&p, &calendar).next(), None);
    clock.resume(utc(2026, 1, 11, 9, 30), &calendar);
    // 90 paused minutes move the deadline from 11:00 to 12:30 Cairo.
    assert_eq!(
        clock.deadlines(&p, &calendar).first_response,
        Some(utc(2026, 1, 11, 10, 30))
    );
    let m = clock
        .agent_reply(utc(2026, 1, 11, 10, 0), &calendar)
        .expect("measured");
    // Wall 3 h; business 3 h less the 90 paused minutes.
    assert_eq!((m.wall_ms, m.business_ms), (3 * HOUR, 90 * MIN));
}

#[test]
fn resolve_stops_every_clock_and_a_new_message_reopens_with_a_new_cycle() {
    let calendar = BusinessCalendar::always_open(chrono_tz::Africa::Cairo);
    let mut clock = SlaClock::default();
    clock.citizen_message(utc(2026, 3, 6, 22, 0), &calendar); // a Friday night: 24/7 counts
    let p = policy(HOUR, HOUR, 4 * HOUR);
    assert_eq!(
        clock.deadlines(&p, &calendar).first_response,
        Some(utc(2026, 3, 6, 23, 0))
    );
    let m = clock
        .resolve(utc(2026, 3, 7, 0, 30), &calendar)
        .expect("resolution measured");
    assert_eq!(
        (m.kind, m.wall_ms, m.business_ms),
        (ClockKind::Resolution, 150 * MIN, 150 * MIN)
    );
    assert_eq!(clock.deadlines(&p, &calendar).next(), None);
    assert!(clock.resolve(utc(2026, 3, 7, 1, 0), &calendar).is_none());
    // A new citizen message reopens: first-response clock again, from the new message.
    assert!(clock.citizen_message(utc(2026, 3, 8, 10, 0), &calendar));
    assert_eq!(
        clock.deadlines(&p, &calendar).first_response,
        Some(utc(2026, 3, 8, 11, 0))
    );
}

#[test]
fn states_around_a_deadline() {
    let due = Some(1_000 * MIN);
    assert_eq!(SlaState::at(due, 900 * MIN, 15 * MIN), SlaState::Ok);
    assert_eq!(SlaState::at(due, 990 * MIN, 15 * MIN), SlaState::Warning);
    assert_eq!(SlaState::at(due, 1_000 * MIN, 15 * MIN), SlaState::Breached);
    assert_eq!(SlaState::at(None, 0, 15 * MIN), SlaState::None);
}

#[test]
fn deadlines_cross_cairo_dst_and_long_holidays() {
    // Egypt moves to summer time on the last Friday of April: 2026-04-24. A question on
    // Thursday 2026-04-23 16:30 Cairo (EET, 14:30 UTC) with 1 business hour: 30 min Thursday,
    // 30 min Sunday 2026-04-26 09:00 EEST (06:00 UTC) → 06:30 UTC.
    let calendar = BusinessCalendar::default();
    let mut clock = SlaClock::default();
    clock.citizen_message(utc(2026, 4, 23, 14, 30), &calendar);
    let p = policy(HOUR, HOUR, HOUR);
    assert_eq!(
        clock.deadlines(&p, &calendar).first_response,
        Some(utc(2026, 4, 26, 6, 30))
    );
    // Six weeks of holidays: the deadline is still found after them.
    let mut closed = BusinessCalendar::default();
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 4, 26).expect("date");
    for _ in 0..42 {
        closed.add_holiday(day);
        day = day.succ_opt().expect("date");
    }
    let mut clock = SlaClock::default();
    clock.citizen_message(utc(2026, 4, 23, 14, 30), &closed);
    // 2026-06-07 is the first working day after (a Sunday): 09:30 EEST = 06:30 UTC.
    assert_eq!(
        clock.deadlines(&p, &closed).first_response,
        Some(utc(2026, 6, 7, 6, 30))
    );
}
