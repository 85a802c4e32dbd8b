//! SLA clocks of an inbox conversation: first response, next response and resolution, counted
//! in a body's business time, paused while the conversation is pending (waiting on the
//! citizen), restarted when a resolved conversation is reopened.
//!
//! The clock keeps raw facts (when the cycle started, when the citizen began waiting, how much
//! business time was paused) and derives deadlines from them, so a policy or calendar change
//! recomputes every deadline without replaying history. Rules follow
//! `reference/inbox-and-sla.md` §7: only a human, citizen-visible reply stops a clock; resolve
//! stops every clock; a reopen starts a new first-response cycle; each response is measured
//! both wall-clock and in business time and credited to whoever replied.

use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;

/// A body's targets, in business milliseconds (`None`: no target for that clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// First human reply after the conversation opens (or reopens).
    pub first_response_ms: Option<i64>,
    /// Each later human reply after the citizen writes again.
    pub next_response_ms: Option<i64>,
    /// Resolution after the conversation opens.
    pub resolution_ms: Option<i64>,
    /// How long before a deadline the inbox warns (wall-clock).
    pub warn_before_ms: i64,
}

impl Default for SlaPolicy {
    /// A government media centre's starting point: first answer within 4 business hours, later
    /// answers within 8, resolution within 3 business days; warn 15 minutes ahead (Zammad).
    fn default() -> Self {
        const HOUR: i64 = 3_600_000;
        Self {
            first_response_ms: Some(4 * HOUR),
            next_response_ms: Some(8 * HOUR),
            resolution_ms: Some(24 * HOUR),
            warn_before_ms: 15 * 60_000,
        }
    }
}

/// Which clock a measurement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// First response of a cycle.
    FirstResponse,
    /// A later response.
    NextResponse,
    /// Resolution.
    Resolution,
}

impl ClockKind {
    /// Stable name stored with each measurement.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first_response",
            ClockKind::NextResponse => "next_response",
            ClockKind::Resolution => "resolution",
        }
    }
}

/// One measured time, stored with the agent it is credited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Measurement {
    /// Which clock stopped.
    pub kind: ClockKind,
    /// When the clock started (Unix ms).
    pub started_at: i64,
    /// When it stopped (Unix ms).
    pub stopped_at: i64,
    /// Wall-clock duration (ms), what the citizen felt.
    pub wall_ms: i64,
    /// Business duration (ms) less paused time, what the ministry is measured on.
    pub business_ms: i64,
}

/// Deadlines of the running clocks (Unix ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// First response due.
    pub first_response: Option<i64>,
    /// Next response due.
    pub next_response: Option<i64>,
    /// Resolution due.
    pub resolution: Option<i64>,
}

impl Deadlines {
    /// The nearest deadline: what the inbox sorts and warns by.
    pub fn next(&self) -> Option<i64> {
        [self.first_response, self.next_response, self.resolution]
            .into_iter()
            .flatten()
            .min()
    }
}

/// Where a conversation stands against its nearest deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// No running clock (answered, resolved, paused or no policy).
    None,
    /// Inside its targets.
    Ok,
    /// A deadline is near.
    Warning,
    /// A deadline has passed.
    Breached,
}

impl SlaState {
    /// Stable name for filters and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::None => "none",
            SlaState::Ok => "ok",
            SlaState::Warning => "warning",
            SlaState::Breached => "breached",
        }
    }

    /// The state of a deadline at `now`.
    pub fn at(deadline: Option<i64>, now_ms: i64, warn_before_ms: i64) -> Self {
        match deadline {
            None => SlaState::None,
            Some(due) if due <= now_ms => SlaState::Breached,
            Some(due) if due - now_ms <= warn_before_ms => SlaState::Warning,
            Some(_) => SlaState::Ok,
        }
    }
}

/// The raw facts of one conversation's clocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// First citizen message of the current cycle (opened or reopened).
    pub cycle_started_at: Option<i64>,
    /// First human reply of the current cycle.
    pub first_response_at: Option<i64>,
    /// Oldest citizen message not yet answered.
    pub waiting_since: Option<i64>,
    /// Set while the conversation is pending.
    pub paused_since: Option<i64>,
    /// Business ms paused since the cycle started.
    pub paused_in_cycle_ms: i64,
    /// Business ms paused since `waiting_since`.
    pub paused_in_wait_ms: i64,
    /// When the current cycle was resolved.
    pub resolved_at: Option<i64>,
}

impl SlaClock {
    /// A citizen wrote. Returns true when this reopened a resolved conversation (a new cycle
    /// starts, with a new first-response clock). A message while pending resumes the clock.
    pub fn citizen_message(&mut self, at: i64, calendar: &BusinessCalendar) -> bool {
        if self.resolved_at.is_some() {
            *self = SlaClock {
                cycle_started_at: Some(at),
                waiting_since: Some(at),
                ..SlaClock::default()
            };
            return true;
        }
        self.resume(at, calendar);
        if self.cycle_started_at.is_none() {
            self.cycle_started_at = Some(at);
        }
        if self.waiting_since.is_none() {
            self.waiting_since = Some(at);
            self.paused_in_wait_ms = 0;
        }
        false
    }

    /// A human, citizen-visible reply was sent: stops the first- or next-response clock.
    /// `None` when the citizen was not waiting (a second reply in a row measures nothing).
    pub fn agent_reply(&mut self, at: i64, calendar: &BusinessCalendar) -> Option<Measurement> {
        self.resume(at, calendar);
        let waiting_since = self.waiting_since?;
        let (kind, started_at, paused) = match (self.first_response_at, self.cycle_started_at) {
            (None, Some(cycle)) => (ClockKind::FirstResponse, cycle, self.paused_in_cycle_ms),
            _ => (
                ClockKind::NextResponse,
                waiting_since,
                self.paused_in_wait_ms,
            ),
        };
        if self.first_response_at.is_none() {
            self.first_response_at = Some(at);
        }
        self.waiting_since = None;
        self.paused_in_wait_ms = 0;
        Some(measure(kind, started_at, at, paused, calendar))
    }

    /// The conversation became pending: its clocks stop until it leaves that state.
    pub fn pause(&mut self, at: i64) {
        if self.paused_since.is_none() && self.resolved_at.is_none() {
            self.paused_since = Some(at);
        }
    }

    /// The conversation left pending: the business time spent there is not counted.
    pub fn resume(&mut self, at: i64, calendar: &BusinessCalendar) {
        if let Some(since) = self.paused_since.take() {
            let paused = calendar.business_ms(since, at);
            self.paused_in_cycle_ms += paused;
            if self.waiting_since.is_some_and(|w| w <= since) {
                self.paused_in_wait_ms += paused;
            }
        }
    }

    /// The conversation was resolved: every clock stops; the resolution time is measured.
    pub fn resolve(&mut self, at: i64, calendar: &BusinessCalendar) -> Option<Measurement> {
        if self.resolved_at.is_some() {
            return None;
        }
        self.resume(at, calendar);
        self.resolved_at = Some(at);
        self.waiting_since = None;
        let started = self.cycle_started_at?;
        Some(measure(
            ClockKind::Resolution,
            started,
            at,
            self.paused_in_cycle_ms,
            calendar,
        ))
    }

    /// Deadlines of the running clocks under a policy (none while paused or resolved).
    pub fn deadlines(&self, policy: &SlaPolicy, calendar: &BusinessCalendar) -> Deadlines {
        let mut out = Deadlines::default();
        if self.resolved_at.is_some() || self.paused_since.is_some() {
            return out;
        }
        let Some(cycle) = self.cycle_started_at else {
            return out;
        };
        let due = |from: i64, target: Option<i64>, paused: i64| {
            target.and_then(|t| calendar.add_business_ms(from, t + paused))
        };
        if self.first_response_at.is_none() {
            out.first_response = due(cycle, policy.first_response_ms, self.paused_in_cycle_ms);
        } else if let Some(waiting) = self.waiting_since {
            out.next_response = due(waiting, policy.next_response_ms, self.paused_in_wait_ms);
        }
        out.resolution = due(cycle, policy.resolution_ms, self.paused_in_cycle_ms);
        out
    }
}

fn measure(
    kind: ClockKind,
    started_at: i64,
    stopped_at: i64,
    paused_business_ms: i64,
    calendar: &BusinessCalendar,
) -> Measurement {
    Measurement {
        kind,
        started_at,
        stopped_at,
        wall_ms: (stopped_at - started_at).max(0),
        business_ms: (calendar.business_ms(started_at, stopped_at) - paused_business_ms).max(0),
    }
}
