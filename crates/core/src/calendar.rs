//! Business calendars: when a media centre is open, so that response times and SLA clocks can be
//! counted in the hours a ministry is managed on, next to the wall-clock time citizens feel.
//!
//! A calendar has a time zone (DST applied from the tz database), weekly shifts (several a day,
//! a shift may run past midnight and then belongs to the day it starts on), dated holidays (closed
//! all day) and dated overrides such as Ramadan hours. Durations are exact to the millisecond.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

const DAY_MS: i64 = 86_400_000;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Why a calendar could not be built from its description.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalendarError {
    /// The time zone is not in the tz database.
    #[error("calendar field `timezone`: unknown time zone {0:?}")]
    UnknownTimeZone(String),
    /// A time of day is not `HH:MM` between 00:00 and 24:00.
    #[error("calendar field `{field}`: {value:?} is not a time HH:MM between 00:00 and 24:00")]
    BadTime {
        /// Which field held it.
        field: &'static str,
        /// The text given.
        value: String,
    },
    /// A weekday name is not one of sun, mon, tue, wed, thu, fri, sat.
    #[error("calendar field `days`: {0:?} is not a weekday (sun, mon, tue, wed, thu, fri, sat)")]
    BadWeekday(String),
    /// A date is not `YYYY-MM-DD`.
    #[error("calendar field `{field}`: {value:?} is not a date YYYY-MM-DD")]
    BadDate {
        /// Which field held it.
        field: &'static str,
        /// The text given.
        value: String,
    },
    /// An override ends before it starts.
    #[error("calendar override {from}..{to}: ends before it starts")]
    EmptyOverride {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
    /// The TOML text could not be read.
    #[error("calendar: {0}")]
    Toml(String),
}

/// One opening period of a day, in minutes after local midnight. `end <= start` means the shift
/// runs past midnight into the next day; `0..1440` is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Opening minute of the day, 0..1440.
    pub start: u16,
    /// Closing minute, 0..=1440; at or before `start` it is on the next day.
    pub end: u16,
}

impl Shift {
    /// A shift from `HH:MM` to `HH:MM`.
    pub fn parse(start: &str, end: &str) -> Result<Self, CalendarError> {
        Ok(Self {
            start: parse_minutes(start, "start")?,
            end: parse_minutes(end, "end")?,
        })
    }

    fn crosses_midnight(self) -> bool {
        self.end <= self.start
    }
}

/// A period of dates with their own hours (Ramadan, summer hours, an exceptional weekend
/// opening). On each day of the period the override's shifts replace the weekly ones.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedOverride {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Shifts by weekday (Monday = 0); a day without shifts is closed.
    pub shifts: [Vec<Shift>; 7],
}

/// When a body is open. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    tz: Tz,
    weekly: [Vec<Shift>; 7],
    holidays: BTreeSet<NaiveDate>,
    overrides: Vec<DatedOverride>,
    always_open: bool,
}

impl Default for BusinessCalendar {
    /// Egyptian government hours: Africa/Cairo, Sunday to Thursday 09:00–17:00.
    fn default() -> Self {
        let day = vec![Shift {
            start: 9 * 60,
            end: 17 * 60,
        }];
        let mut weekly: [Vec<Shift>; 7] = Default::default();
        // Monday = 0 … Sunday = 6: Sunday, Monday, Tuesday, Wednesday, Thursday.
        for index in [6, 0, 1, 2, 3] {
            weekly[index] = day.clone();
        }
        Self {
            tz: chrono_tz::Africa::Cairo,
            weekly,
            holidays: BTreeSet::new(),
            overrides: Vec::new(),
            always_open: false,
        }
    }
}

/// The TOML/JSON description of a calendar, as an administrator writes it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA time zone, `Africa/Cairo` when absent.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Open every hour of every day (holidays and shifts are then ignored).
    #[serde(default)]
    pub always_open: bool,
    /// Weekly shifts; when empty the default Sunday–Thursday 09:00–17:00 applies.
    #[serde(default)]
    pub shifts: Vec<ShiftSpec>,
    /// Closed dates, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Dated periods with their own shifts.
    #[serde(default)]
    pub overrides: Vec<OverrideSpec>,
}

/// Shifts on some weekdays, e.g. `{ days = ["sun","mon"], start = "09:00", end = "17:00" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftSpec {
    /// Weekday names (`sun` … `sat`).
    pub days: Vec<String>,
    /// Opening time `HH:MM`.
    pub start: String,
    /// Closing time `HH:MM`; at or before `start` means the next day.
    pub end: String,
}

/// A dated override: `{ from = "2026-02-18", to = "2026-03-19", shifts = [...] }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideSpec {
    /// First day `YYYY-MM-DD`.
    pub from: String,
    /// Last day `YYYY-MM-DD`, inclusive.
    pub to: String,
    /// Shifts during the period; days not named are closed.
    #[serde(default)]
    pub shifts: Vec<ShiftSpec>,
}

impl CalendarSpec {
    /// Reads a calendar description from TOML.
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        toml::from_str(text).map_err(|error| CalendarError::Toml(error.to_string()))
    }

    /// Checks the description and builds the calendar.
    pub fn build(&self) -> Result<BusinessCalendar, CalendarError> {
        let mut calendar = BusinessCalendar::default();
        if let Some(name) = &self.timezone {
            calendar.tz = name
                .parse::<Tz>()
                .map_err(|_| CalendarError::UnknownTimeZone(name.clone()))?;
        }
        calendar.always_open = self.always_open;
        if !self.shifts.is_empty() {
            calendar.weekly = weekly_shifts(&self.shifts)?;
        }
        for day in &self.holidays {
            calendar.holidays.insert(parse_date(day, "holidays")?);
        }
        for spec in &self.overrides {
            let from = parse_date(&spec.from, "overrides.from")?;
            let to = parse_date(&spec.to, "overrides.to")?;
            if to < from {
                return Err(CalendarError::EmptyOverride { from, to });
            }
            calendar.overrides.push(DatedOverride {
                from,
                to,
                shifts: weekly_shifts(&spec.shifts)?,
            });
        }
        Ok(calendar)
    }
}

fn weekly_shifts(specs: &[ShiftSpec]) -> Result<[Vec<Shift>; 7], CalendarError> {
    let mut weekly: [Vec<Shift>; 7] = Default::default();
    for spec in specs {
        let shift = Shift::parse(&spec.start, &spec.end)?;
        for day in &spec.days {
            weekly[parse_weekday(day)?].push(shift);
        }
    }
    for day in &mut weekly {
        day.sort_by_key(|shift| shift.start);
    }
    Ok(weekly)
}

fn parse_weekday(name: &str) -> Result<usize, CalendarError> {
    let index = match name.trim().to_ascii_lowercase().get(..3) {
        Some("mon") => 0,
        Some("tue") => 1,
        Some("wed") => 2,
        Some("thu") => 3,
        Some("fri") => 4,
        Some("sat") => 5,
        Some("sun") => 6,
        _ => return Err(CalendarError::BadWeekday(name.to_string())),
    };
    Ok(index)
}

fn parse_minutes(text: &str, field: &'static str) -> Result<u16, CalendarError> {
    let bad = || CalendarError::BadTime {
        field,
        value: text.to_string(),
    };
    let (hours, minutes) = text.trim().split_once(':').ok_or_else(bad)?;
    let hours: u16 = hours.parse().map_err(|_| bad())?;
    let minutes: u16 = minutes.parse().map_err(|_| bad())?;
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(total)
}

fn parse_date(text: &str, field: &'static str) -> Result<NaiveDate, CalendarError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| CalendarError::BadDate {
        field,
        value: text.to_string(),
    })
}

impl BusinessCalendar {
    /// Open around the clock in `tz` (a 24/7 media centre).
    pub fn always_open(tz: Tz) -> Self {
        Self {
            tz,
            always_open: true,
            ..Self::default()
        }
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Adds a closed day.
    pub fn add_holiday(&mut self, day: NaiveDate) {
        self.holidays.insert(day);
    }

    /// The shifts starting on a local date, after holidays and overrides.
    pub fn shifts_on(&self, day: NaiveDate) -> &[Shift] {
        if self.holidays.contains(&day) {
            return &[];
        }
        let weekday = day.weekday().num_days_from_monday() as usize;
        // The last override listed wins, so an administrator can refine an earlier period.
        for period in self.overrides.iter().rev() {
            if period.from <= day && day <= period.to {
                return &period.shifts[weekday];
            }
        }
        &self.weekly[weekday]
    }

    /// The UTC instant (Unix ms) of a local wall-clock time. A time skipped by a DST jump maps to
    /// the jump itself; a repeated time takes its first occurrence.
    pub fn local_to_utc_ms(&self, day: NaiveDate, minute_of_day: u16) -> i64 {
        let midnight = NaiveDateTime::new(day, NaiveTime::MIN);
        let local = midnight + Duration::minutes(i64::from(minute_of_day));
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(time) => time.timestamp_millis(),
            LocalResult::Ambiguous(first, _) => first.timestamp_millis(),
            LocalResult::None => {
                // Inside a spring-forward gap: the wall clock jumps past this time, so the shift
                // effectively starts (or ends) at the jump. Walk forward to the first valid minute.
                let mut probe = local;
                for _ in 0..180 {
                    probe += Duration::minutes(1);
                    if let Some(time) = self.tz.from_local_datetime(&probe).earliest() {
                        return time.timestamp_millis();
                    }
                }
                self.tz.from_utc_datetime(&local).timestamp_millis()
            }
        }
    }

    /// The local date of an instant.
    pub fn local_date(&self, utc_ms: i64) -> NaiveDate {
        self.tz
            .timestamp_millis_opt(utc_ms)
            .single()
            .map(|time| time.date_naive())
            .unwrap_or_default()
    }

    /// Opening periods `[start, end)` in Unix ms of the shifts that start on local `day`.
    pub fn open_periods_on(&self, day: NaiveDate, out: &mut Vec<(i64, i64)>) {
        if self.always_open {
            let start = self.local_to_utc_ms(day, 0);
            let end = self.local_to_utc_ms(day.succ_opt().unwrap_or(day), 0);
            out.push((start, end));
            return;
        }
        for shift in self.shifts_on(day) {
            let start = self.local_to_utc_ms(day, shift.start);
            let end = if shift.crosses_midnight() {
                self.local_to_utc_ms(day.succ_opt().unwrap_or(day), shift.end)
            } else {
                self.local_to_utc_ms(day, shift.end)
            };
            if end > start {
                out.push((start, end));
            }
        }
    }

    /// Business milliseconds between two instants (0 when `to <= from`).
    pub fn business_ms(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        self.timeline(from_ms, to_ms).business_ms(from_ms, to_ms)
    }

    /// Whether the body is open at an instant.
    pub fn is_open(&self, utc_ms: i64) -> bool {
        self.timeline(utc_ms, utc_ms + 1).is_open(utc_ms)
    }

    /// The instant at which `business` ms of opening time have passed after `from_ms`: an SLA
    /// due time. Looks ahead in growing windows, so a long holiday season still finds the next
    /// opening; `None` when the calendar is never open within ten years.
    pub fn add_business_ms(&self, from_ms: i64, business: i64) -> Option<i64> {
        let mut window = 31 * DAY_MS;
        while window <= 3_660 * DAY_MS {
            let timeline = self.timeline(from_ms, from_ms.saturating_add(window));
            if let Some(due) = timeline.add_business_ms(from_ms, business) {
                if due <= from_ms.saturating_add(window) {
                    return Some(due);
                }
            }
            window *= 4;
        }
        None
    }

    /// Precomputes the opening periods covering `[from_ms, to_ms]`, so that many durations in
    /// that range cost a binary search each instead of a walk over days and time zones.
    pub fn timeline(&self, from_ms: i64, to_ms: i64) -> Timeline {
        // A shift that started the day before may still be running at `from_ms`.
        let first = self
            .local_date(from_ms)
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let last = self.local_date(to_ms.max(from_ms));
        let mut periods = Vec::new();
        let mut day = first;
        while day <= last {
            self.open_periods_on(day, &mut periods);
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        Timeline::from_periods(periods, from_ms - DAY_MS, to_ms + DAY_MS)
    }
}

/// Opening periods of a calendar over a range of time, merged and with running totals: the fast
/// path for computing business durations of millions of messages.
#[derive(Debug, Clone)]
pub struct Timeline {
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// Business ms before each period starts.
    before: Vec<i64>,
    covers: (i64, i64),
}

impl Timeline {
    fn from_periods(mut periods: Vec<(i64, i64)>, lo: i64, hi: i64) -> Self {
        periods.sort_unstable();
        let mut starts: Vec<i64> = Vec::with_capacity(periods.len());
        let mut ends: Vec<i64> = Vec::with_capacity(periods.len());
        for (start, end) in periods {
            match ends.last_mut() {
                // Overlapping or touching shifts (a night shift meeting a morning shift) merge.
                Some(last_end) if start <= *last_end => *last_end = (*last_end).max(end),
                _ => {
                    starts.push(start);
                    ends.push(end);
                }
            }
        }
        let mut before = Vec::with_capacity(starts.len());
        let mut total = 0;
        for (start, end) in starts.iter().zip(&ends) {
            before.push(total);
            total += end - start;
        }
        Self {
            starts,
            ends,
            before,
            covers: (lo, hi),
        }
    }

    /// The range of instants this timeline answers for.
    pub fn covers(&self, utc_ms: i64) -> bool {
        self.covers.0 <= utc_ms && utc_ms <= self.covers.1
    }

    /// Business ms from the timeline's start to an instant.
    fn cumulative(&self, utc_ms: i64) -> i64 {
        // Number of periods starting at or before the instant.
        let index = self.starts.partition_point(|&start| start <= utc_ms);
        if index == 0 {
            return 0;
        }
        let period = index - 1;
        self.before[period] + (utc_ms.min(self.ends[period]) - self.starts[period])
    }

    /// Business milliseconds between two instants inside the covered range.
    pub fn business_ms(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        self.cumulative(to_ms) - self.cumulative(from_ms)
    }

    /// Whether an instant falls in an opening period.
    pub fn is_open(&self, utc_ms: i64) -> bool {
        let index = self.starts.partition_point(|&start| start <= utc_ms);
        index > 0 && utc_ms < self.ends[index - 1]
    }

    /// The instant at which `business` ms of opening time have passed after `from_ms` (an SLA
    /// due time), or `None` when the covered range ends first.
    pub fn add_business_ms(&self, from_ms: i64, business: i64) -> Option<i64> {
        let target = self.cumulative(from_ms) + business.max(0);
        let index = self
            .before
            .partition_point(|&before| before <= target)
            .checked_sub(1)?;
        let due = self.starts[index] + (target - self.before[index]);
        (due <= self.ends[index] && due >= from_ms).then_some(due)
    }
}

/// A UTC instant as the wall clock of a time zone shows it: what heatmaps and active days count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Days since Sunday, 0–6.
    pub weekday_from_sunday: u8,
    /// Hour of the local day, 0–23.
    pub hour: u8,
    /// The local date as days from the common era (chrono's `num_days_from_ce`).
    pub day_from_ce: i32,
}

const HOUR_MS: i64 = 3_600_000;
/// Days from the common era to 1970-01-01 (a Thursday).
const UNIX_EPOCH_FROM_CE: i64 = 719_163;

/// Turns UTC instants into local time, asking the tz database once per UTC hour instead of
/// once per post: the lookup dominated the publishing pass over millions of posts. An hour is
/// trusted only when its start and its end have the same offset; the hour of a transition is
/// asked post by post.
#[derive(Debug, Clone)]
pub struct LocalClock {
    tz: Tz,
    /// The UTC hour (`utc_ms / HOUR_MS`) whose offset is known, and that offset in ms.
    known: Option<(i64, i64)>,
}

impl LocalClock {
    /// A clock for `tz`.
    pub fn new(tz: Tz) -> Self {
        Self { tz, known: None }
    }

    /// The local time at `utc_ms`, `None` outside chrono's range of dates.
    pub fn at(&mut self, utc_ms: i64) -> Option<LocalTime> {
        let hour = utc_ms.div_euclid(HOUR_MS);
        let offset_ms = match self.known {
            Some((known, offset)) if known == hour => offset,
            _ => {
                let offset = self.offset_ms(utc_ms)?;
                let start = self.offset_ms(hour * HOUR_MS)?;
                let end = self.offset_ms(hour * HOUR_MS + HOUR_MS - 1)?;
                if start == offset && end == offset {
                    self.known = Some((hour, offset));
                }
                offset
            }
        };
        let local_ms = utc_ms.checked_add(offset_ms)?;
        let days = local_ms.div_euclid(DAY_MS);
        Some(LocalTime {
            // 1970-01-01 was a Thursday, day 4 from Sunday.
            weekday_from_sunday: (days + 4).rem_euclid(7) as u8,
            hour: (local_ms.rem_euclid(DAY_MS) / HOUR_MS) as u8,
            day_from_ce: i32::try_from(days + UNIX_EPOCH_FROM_CE).ok()?,
        })
    }

    fn offset_ms(&self, utc_ms: i64) -> Option<i64> {
        use chrono::Offset;
        let local = self.tz.timestamp_millis_opt(utc_ms).single()?;
        Some(i64::from(local.offset().fix().local_minus_utc()) * 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or_default()
    }

    const HOUR: i64 = 3_600_000;

    #[test]
    fn default_calendar_counts_cairo_office_hours() {
        let calendar = BusinessCalendar::default();
        // 2026-01-04 is a Sunday; Cairo is UTC+2 in winter. 10:00–12:00 Cairo = 08:00–10:00 UTC.
        assert_eq!(
            calendar.business_ms(utc(2026, 1, 4, 8, 0), utc(2026, 1, 4, 10, 0)),
            2 * HOUR
        );
        // Thursday 16:00 Cairo to Sunday 10:00 Cairo: 1 h Thursday + 1 h Sunday.
        assert_eq!(
            calendar.business_ms(utc(2026, 1, 8, 14, 0), utc(2026, 1, 11, 8, 0)),
            2 * HOUR
        );
        // Friday is closed.
        assert_eq!(
            calendar.business_ms(utc(2026, 1, 9, 6, 0), utc(2026, 1, 9, 16, 0)),
            0
        );
    }

    #[test]
    fn summer_time_in_cairo_shifts_the_utc_hours() {
        let calendar = BusinessCalendar::default();
        // 2026-07-05 (Sunday), Cairo UTC+3: 09:00 Cairo = 06:00 UTC.
        assert!(calendar.is_open(utc(2026, 7, 5, 6, 30)));
        assert!(!calendar.is_open(utc(2026, 7, 5, 14, 30)));
        assert!(calendar.is_open(utc(2026, 7, 5, 13, 30)));
    }

    #[test]
    fn a_night_shift_across_the_autumn_clock_change_lasts_an_hour_longer() {
        // Egypt leaves summer time at the end of the last Thursday of October: 2026-10-29 24:00
        // becomes 23:00. A shift 22:00–02:00 that night lasts 5 real hours.
        let spec = CalendarSpec {
            shifts: vec![ShiftSpec {
                days: vec!["thu".into()],
                start: "22:00".into(),
                end: "02:00".into(),
            }],
            ..CalendarSpec::default()
        };
        let calendar = spec.build().expect("valid");
        let day = NaiveDate::from_ymd_opt(2026, 10, 29).expect("date");
        let mut periods = Vec::new();
        calendar.open_periods_on(day, &mut periods);
        assert_eq!(periods.len(), 1);
        assert_eq!(periods[0].1 - periods[0].0, 5 * HOUR);
    }

    #[test]
    fn a_night_shift_across_the_spring_clock_change_lasts_an_hour_less() {
        // Egypt starts summer time on the last Friday of April: 2026-04-24 00:00 becomes 01:00.
        let spec = CalendarSpec::from_toml(
            "[[shifts]]\ndays = [\"thu\"]\nstart = \"22:00\"\nend = \"02:00\"",
        )
        .expect("toml");
        let calendar = spec.build().expect("valid");
        let from = utc(2026, 4, 23, 12, 0);
        assert_eq!(calendar.business_ms(from, from + 24 * HOUR), 3 * HOUR);
        // Midnight does not exist that Friday; a shift opening at 00:00 opens at the jump.
        let friday = NaiveDate::from_ymd_opt(2026, 4, 24).expect("date");
        assert_eq!(calendar.local_to_utc_ms(friday, 0), utc(2026, 4, 23, 22, 0));
        assert_eq!(
            calendar.local_to_utc_ms(friday, 60),
            utc(2026, 4, 23, 22, 0)
        );
    }

    #[test]
    fn holidays_and_ramadan_overrides_replace_weekly_hours() {
        let spec = CalendarSpec {
            holidays: vec!["2026-01-07".into()],
            overrides: vec![OverrideSpec {
                from: "2026-02-18".into(),
                to: "2026-03-19".into(),
                shifts: vec![ShiftSpec {
                    days: vec![
                        "sun".into(),
                        "mon".into(),
                        "tue".into(),
                        "wed".into(),
                        "thu".into(),
                    ],
                    start: "10:00".into(),
                    end: "15:00".into(),
                }],
            }],
            ..CalendarSpec::default()
        };
        let calendar = spec.build().expect("valid");
        // Coptic Christmas, a Wednesday: closed.
        assert_eq!(
            calendar.business_ms(utc(2026, 1, 7, 0, 0), utc(2026, 1, 7, 23, 0)),
            0
        );
        // Ramadan Sunday 2026-02-22: 10:00–15:00 Cairo = 5 h.
        assert_eq!(
            calendar.business_ms(utc(2026, 2, 21, 22, 0), utc(2026, 2, 22, 21, 0)),
            5 * HOUR
        );
    }

    #[test]
    fn sla_due_time_skips_closed_hours() {
        // Hootsuite's illustration with our hours: Thursday 16:45 Cairo, 30 business minutes,
        // Sunday–Thursday 09:00–17:00 → due Sunday 09:15.
        let calendar = BusinessCalendar::default();
        let start = utc(2026, 1, 8, 14, 45);
        let timeline = calendar.timeline(start, start + 5 * 24 * HOUR);
        assert_eq!(
            timeline.add_business_ms(start, 30 * 60_000),
            Some(utc(2026, 1, 11, 7, 15))
        );
    }

    #[test]
    fn always_open_counts_wall_clock() {
        let calendar = BusinessCalendar::always_open(chrono_tz::Africa::Cairo);
        let from = utc(2026, 4, 23, 10, 0);
        assert_eq!(calendar.business_ms(from, from + 50 * HOUR), 50 * HOUR);
    }

    #[test]
    fn bad_descriptions_name_their_field() {
        let spec = CalendarSpec::from_toml("timezone = \"Mars/Olympus\"").expect("toml");
        assert!(matches!(
            spec.build(),
            Err(CalendarError::UnknownTimeZone(_))
        ));
        assert!(matches!(
            Shift::parse("25:00", "17:00"),
            Err(CalendarError::BadTime { field: "start", .. })
        ));
        let spec = CalendarSpec::from_toml(
            "[[shifts]]\ndays = [\"sunday\", \"someday\"]\nstart = \"09:00\"\nend = \"17:00\"",
        )
        .expect("toml");
        assert!(matches!(spec.build(), Err(CalendarError::BadWeekday(_))));
    }

    #[test]
    fn the_local_clock_agrees_with_chrono_across_cairo_transitions() {
        use chrono::Timelike;
        // 2023 brought DST back to Cairo (28 April, 00:00 -> 01:00; 27 October, 00:00 ->
        // 23:00 the day before); steps of 7 min 13 s hit every hour at varied minutes.
        let tz: Tz = "Africa/Cairo".parse().expect("tz");
        let mut clock = LocalClock::new(tz);
        let mut t = 1_672_531_200_000; // 2023-01-01 UTC
        while t < 1_704_067_200_000 {
            let local = tz
                .timestamp_millis_opt(t)
                .single()
                .expect("utc is unambiguous");
            let expected = LocalTime {
                weekday_from_sunday: local.weekday().num_days_from_sunday() as u8,
                hour: local.hour() as u8,
                day_from_ce: local.date_naive().num_days_from_ce(),
            };
            assert_eq!(clock.at(t), Some(expected), "at {t}");
            t += 433_000;
        }
    }

    #[test]
    fn the_local_clock_handles_half_hour_zones_and_times_before_1970() {
        use chrono::Timelike;
        for zone in ["Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"] {
            let tz: Tz = zone.parse().expect("tz");
            let mut clock = LocalClock::new(tz);
            let mut t = -100_000_000_000; // 1966
            while t < 1_800_000_000_000 {
                let local = tz.timestamp_millis_opt(t).single().expect("utc");
                assert_eq!(
                    clock
                        .at(t)
                        .map(|l| (l.weekday_from_sunday, l.hour, l.day_from_ce)),
                    Some((
                        local.weekday().num_days_from_sunday() as u8,
                        local.hour() as u8,
                        local.date_naive().num_days_from_ce()
                    )),
                    "{zone} at {t}"
                );
                t += 86_400_000 / 7 + 1_234;
            }
        }
    }
}
