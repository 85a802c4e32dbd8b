//! The inbox's operations, shared by the pages and the API so both enforce the same rules:
//! every one checks the caller's role and bodies before it reads or writes.

use std::collections::HashMap;

use tawasul_core::access::{Action, Role};
use tawasul_core::scorecard::intent_needs_reply;
use tawasul_core::sla::{SlaClock, SlaPolicy};
use tawasul_core::{BusinessCalendar, CalendarSpec};
use tawasul_search::Hit;
use tawasul_store::absorb::InboxWriter;
use tawasul_store::inbox::{
    preview, BodySettings, InboxMessage, MeasurementWrite, OutboxEntry, TicketRecord,
};

use crate::auth::Caller;
use crate::{AppState, Failure, ServerEvent};

/// Longest reply or note accepted (characters).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Statuses a ticket can be set to.
pub const STATUSES: [&str; 4] = ["open", "pending", "snoozed", "resolved"];

/// A body's settings with its calendar and SLA policy built.
pub struct BodyRules {
    /// As stored.
    pub settings: BodySettings,
    /// Its business calendar.
    pub calendar: BusinessCalendar,
    /// Its SLA targets.
    pub policy: SlaPolicy,
}

/// Loads a body's rules (defaults when the body has none or no body is known).
pub async fn body_rules(state: &AppState, body: Option<&str>) -> Result<BodyRules, Failure> {
    rules_of(state.store.body_settings(body.unwrap_or("")).await?)
}

/// Builds a body's calendar and SLA policy from its settings.
fn rules_of(settings: BodySettings) -> Result<BodyRules, Failure> {
    let calendar = if settings.calendar_toml.trim().is_empty() {
        BusinessCalendar::default()
    } else {
        CalendarSpec::from_toml(&settings.calendar_toml)
            .and_then(|spec| spec.build())
            .map_err(|e| Failure::Internal(format!("calendar of {}: {e}", settings.body_key)))?
    };
    let minutes = |m: Option<i64>| m.map(|m| m * 60_000);
    let policy = SlaPolicy {
        first_response_ms: minutes(settings.first_response_min),
        next_response_ms: minutes(settings.next_response_min),
        resolution_ms: minutes(settings.resolution_min),
        warn_before_ms: settings.warn_before_min * 60_000,
    };
    Ok(BodyRules {
        settings,
        calendar,
        policy,
    })
}

fn clock_of(ticket: &TicketRecord) -> SlaClock {
    serde_json::from_str(&ticket.sla_clock).unwrap_or_default()
}

fn set_clock(ticket: &mut TicketRecord, clock: &SlaClock, rules: &BodyRules) {
    let deadlines = clock.deadlines(&rules.policy, &rules.calendar);
    ticket.first_response_due = deadlines.first_response;
    ticket.next_response_due = deadlines.next_response;
    ticket.resolution_due = deadlines.resolution;
    ticket.next_deadline_at = deadlines.next();
    ticket.sla_clock = serde_json::to_string(clock).unwrap_or_else(|_| "{}".into());
}

/// What one absorb pass did.
#[derive(Debug, Default, serde::Serialize)]
pub struct AbsorbSummary {
    /// Citizen messages added to tickets.
    pub messages: u64,
    /// Tickets created.
    pub created: u64,
    /// Resolved tickets reopened by a new message.
    pub reopened: u64,
    /// Out-of-hours DM acknowledgements queued.
    pub acknowledgements: u64,
}

/// Brings every new citizen message into the inbox: finds or opens its ticket, runs its SLA
/// clock, reopens resolved tickets, assigns round-robin where the body wants it, queues the
/// out-of-hours acknowledgement for DMs (never for public posts), and announces it.
pub async fn absorb(state: &AppState) -> Result<AbsorbSummary, Failure> {
    let _guard = state.absorb_lock.lock().await;
    absorb_locked(state).await
}

/// [`absorb`] for a caller that already holds `absorb_lock`. Each backlog batch is one write
/// transaction (see `tawasul_store::absorb`); events go out after it commits.
pub async fn absorb_locked(state: &AppState) -> Result<AbsorbSummary, Failure> {
    let mut summary = AbsorbSummary::default();
    let government = state.store.government_account_ids().await?;
    let government_ids: Vec<i64> = government.iter().map(|(id, _)| *id).collect();
    let body_of_account: HashMap<i64, String> = government.into_iter().collect();
    let mut rules = PassRules {
        stored: state
            .store
            .all_body_settings()
            .await?
            .into_iter()
            .map(|s| (s.body_key.clone(), s))
            .collect(),
        built: HashMap::new(),
    };
    loop {
        let backlog = state.store.inbox_backlog(&government_ids, 2_000).await?;
        if backlog.is_empty() {
            break;
        }
        let now = crate::now_ms();
        let mut pass = AbsorbPass {
            body_of_account: &body_of_account,
            rules: &mut rules,
            now,
            summary: &mut summary,
            events: Vec::new(),
        };
        let events = state
            .store
            .with_inbox_writer(|writer| {
                for message in &backlog {
                    pass.absorb_one(writer, message)?;
                }
                Ok::<_, Failure>(std::mem::take(&mut pass.events))
            })
            .await?;
        publish_all(state, events);
    }
    Ok(summary)
}

/// Body rules for one absorb pass: every body's stored settings read once, rules built on
/// first use.
struct PassRules {
    stored: HashMap<String, BodySettings>,
    built: HashMap<String, BodyRules>,
}

impl PassRules {
    fn of(&mut self, body: &str) -> Result<&BodyRules, Failure> {
        if !self.built.contains_key(body) {
            let settings = self
                .stored
                .remove(body)
                .unwrap_or_else(|| BodySettings::defaults_for(body));
            self.built.insert(body.to_string(), rules_of(settings)?);
        }
        self.built
            .get(body)
            .ok_or_else(|| Failure::Internal(format!("rules of {body}")))
    }
}

/// One backlog batch being absorbed inside its write transaction.
struct AbsorbPass<'a> {
    body_of_account: &'a HashMap<i64, String>,
    rules: &'a mut PassRules,
    now: i64,
    summary: &'a mut AbsorbSummary,
    events: Vec<ServerEvent>,
}

impl AbsorbPass<'_> {
    fn absorb_one(
        &mut self,
        writer: &mut InboxWriter<'_>,
        message: &InboxMessage,
    ) -> Result<(), Failure> {
        let existing = writer.find_ticket_for(message)?;
        let now = self.now;
        if message.kind == "reply" {
            return self.absorb_official_reply(writer, message, existing);
        }
        let created = existing.is_none();
        let mut ticket = existing.unwrap_or_else(|| self.new_ticket(message));
        let body = ticket.body_key.clone().unwrap_or_default();
        let rule = self.rules.of(&body)?;
        let mut clock = clock_of(&ticket);
        let reopened = clock.citizen_message(message.created_at, &rule.calendar);
        if reopened {
            ticket.reopened += 1;
            self.summary.reopened += 1;
        }
        if ticket.status != "open" {
            ticket.status = "open".into();
            ticket.snoozed_until = None;
        }
        ticket.messages += 1;
        if message.created_at >= ticket.last_message_at || ticket.last_message_id.is_none() {
            ticket.last_message_at = message.created_at;
            ticket.last_message_id = Some(message.id);
            ticket.last_message_text = Some(preview(&message.text));
            ticket.intent = message.intent.clone();
            ticket.needs_reply = message
                .intent
                .as_deref()
                .map_or(message.kind == "dm", intent_needs_reply);
        }
        ticket.first_message_at = ticket.first_message_at.min(message.created_at);
        ticket.updated_at = now;
        set_clock(&mut ticket, &clock, rule);
        if created && rule.settings.round_robin && !body.is_empty() {
            ticket.assignee_id = writer.next_round_robin_agent(&body, now)?;
        }
        let action = if created { "created" } else { "message" };
        let id = writer.save_ticket_with_message(&ticket, message, Some((action, message.kind)))?;
        ticket.id = id;
        self.summary.messages += 1;
        if created {
            self.summary.created += 1;
        }
        if message.kind == "dm" && !rule.calendar.is_open(message.created_at) {
            if let Some(text) = rule.settings.out_of_hours_ack.as_deref() {
                if !writer.acknowledged_since(id, ticket.last_agent_at.unwrap_or(0))? {
                    // An acknowledgement is not a human reply: no clock stops.
                    writer.queue_acknowledgement(&OutboxEntry {
                        id: 0,
                        ticket_id: id,
                        kind: "auto_ack".into(),
                        in_reply_to: Some(message.id),
                        account_handle: ticket.account_handle.clone(),
                        text: text.to_string(),
                        status: "queued".into(),
                        author_id: None,
                        approved_by: None,
                        created_at: now,
                        sent_at: None,
                    })?;
                    self.summary.acknowledgements += 1;
                }
            }
        }
        self.events.push(ServerEvent {
            event: if created {
                "conversation.created"
            } else {
                "message.created"
            }
            .into(),
            conversation_id: id,
            body: ticket.body_key.clone(),
            private: ticket.channel == "private",
            at: now,
        });
        Ok(())
    }

    /// A new ticket for a citizen's first message.
    fn new_ticket(&self, message: &InboxMessage) -> TicketRecord {
        TicketRecord {
            id: 0,
            channel: if message.kind == "dm" {
                "private"
            } else {
                "public"
            }
            .into(),
            thread_root: message.thread_root,
            citizen_id: Some(message.citizen_id),
            citizen_handle: message.citizen_handle.clone(),
            dm_key: message.dm_key.clone(),
            account_handle: message.account_handle.clone(),
            body_key: message.body_key.clone().or_else(|| {
                // A DM goes to the body of the government account in the conversation.
                message
                    .dm_key
                    .as_deref()
                    .into_iter()
                    .flat_map(|key| key.split('-'))
                    .filter_map(|id| id.parse::<i64>().ok())
                    .find_map(|id| self.body_of_account.get(&id).cloned())
            }),
            routed_by: "rule".into(),
            intent: None,
            needs_reply: false,
            status: "open".into(),
            reopened: 0,
            assignee_id: None,
            assignee_name: None,
            team_id: None,
            snoozed_until: None,
            messages: 0,
            first_message_at: message.created_at,
            last_message_at: message.created_at,
            last_message_id: None,
            last_message_text: None,
            last_agent_at: None,
            sla_clock: "{}".into(),
            first_response_due: None,
            next_response_due: None,
            resolution_due: None,
            next_deadline_at: None,
            updated_at: self.now,
        }
    }

    /// An official reply found in imported data answers its ticket as an inbox reply would;
    /// it is credited to no agent (it was sent outside tawasul).
    fn absorb_official_reply(
        &mut self,
        writer: &mut InboxWriter<'_>,
        message: &InboxMessage,
        existing: Option<TicketRecord>,
    ) -> Result<(), Failure> {
        let Some(mut ticket) = existing else {
            writer.mark_inbox_seen(message)?;
            return Ok(());
        };
        let body = ticket.body_key.clone().unwrap_or_default();
        let rule = self.rules.of(&body)?;
        let mut clock = clock_of(&ticket);
        let measured = clock.agent_reply(message.created_at, &rule.calendar);
        ticket.last_agent_at = Some(ticket.last_agent_at.unwrap_or(0).max(message.created_at));
        ticket.updated_at = self.now;
        set_clock(&mut ticket, &clock, rule);
        writer.save_ticket_with_message(&ticket, message, Some(("answered_outside", "")))?;
        if let Some(m) = measured {
            writer.record_measurement(&ticket, &measurement_write(m, None, &rule.policy))?;
        }
        Ok(())
    }
}

/// A measurement as stored, credited to `user_id` (None: sent outside tawasul).
fn measurement_write(
    m: tawasul_core::sla::Measurement,
    user_id: Option<i64>,
    policy: &SlaPolicy,
) -> MeasurementWrite {
    MeasurementWrite {
        kind: m.kind.as_str(),
        user_id,
        started_at: m.started_at,
        stopped_at: m.stopped_at,
        wall_ms: m.wall_ms,
        business_ms: m.business_ms,
        target_ms: match m.kind {
            tawasul_core::sla::ClockKind::FirstResponse => policy.first_response_ms,
            tawasul_core::sla::ClockKind::NextResponse => policy.next_response_ms,
            tawasul_core::sla::ClockKind::Resolution => policy.resolution_ms,
        },
    }
}

/// Sends an event to live pages and webhooks.
pub fn publish(state: &AppState, event: ServerEvent) {
    publish_all(state, vec![event]);
}

/// Publishes a batch of events in order (one webhook delivery task for all of them).
pub fn publish_all(state: &AppState, events: Vec<ServerEvent>) {
    for event in &events {
        let _ = state.events.send(event.clone());
    }
    crate::webhooks::deliver(state, events);
}

/// A ticket the caller may see, or 404 (absent) / 403 (outside the caller's bodies).
pub async fn visible_ticket(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<TicketRecord, Failure> {
    let ticket = state.reader.ticket(id).await?.ok_or(Failure::NotFound)?;
    if !caller
        .access
        .may_view(ticket.channel == "private", ticket.body_key.as_deref())
    {
        return Err(Failure::Forbidden);
    }
    Ok(ticket)
}

/// A ticket the caller may work on (reply, note, label, status, route); 404 / 403 otherwise.
async fn workable_ticket(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<TicketRecord, Failure> {
    let ticket = visible_ticket(state, caller, id).await?;
    if !caller.access.may(Action::Work, ticket.body_key.as_deref()) {
        return Err(Failure::Forbidden);
    }
    Ok(ticket)
}

/// Checks a text from a form or request: not empty, bounded.
pub fn checked_text<'a>(text: &'a str, field: &str) -> Result<&'a str, Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Failure::BadRequest(format!("{field}: must not be empty")));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Failure::BadRequest(format!(
            "{field}: longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text)
}

/// Queues a reply. A public reply must fit one post (280 weighted characters). Without
/// four-eyes approval it stops the SLA clock now, credited to the caller; with it, the clock
/// stops when a supervisor approves.
pub async fn reply(
    state: &AppState,
    caller: &Caller,
    id: i64,
    text: &str,
) -> Result<OutboxEntry, Failure> {
    let mut ticket = workable_ticket(state, caller, id).await?;
    let text = checked_text(text, "text")?;
    if ticket.channel == "public" && !tawasul_text::fits_one_post(text) {
        return Err(Failure::BadRequest(format!(
            "text: {} weighted characters, a public reply holds 280",
            tawasul_text::weighted_length(text)
        )));
    }
    let rules = body_rules(state, ticket.body_key.as_deref()).await?;
    let now = crate::now_ms();
    let needs_approval =
        rules.settings.four_eyes && ticket.channel == "public" && caller.access.role == Role::Agent;
    let mut entry = OutboxEntry {
        id: 0,
        ticket_id: ticket.id,
        kind: "reply".into(),
        in_reply_to: ticket.last_message_id,
        account_handle: ticket.account_handle.clone(),
        text: text.to_string(),
        status: if needs_approval {
            "awaiting_approval"
        } else {
            "queued"
        }
        .into(),
        author_id: Some(caller.user.id),
        approved_by: None,
        created_at: now,
        sent_at: None,
    };
    let measurement = if needs_approval {
        None
    } else {
        stop_response_clock(&mut ticket, &rules, caller.user.id, now)
    };
    ticket.updated_at = now;
    entry.id = state
        .store
        .queue_reply(&ticket, &entry, measurement.as_ref())
        .await?;
    publish(state, updated(&ticket, now));
    Ok(entry)
}

fn stop_response_clock(
    ticket: &mut TicketRecord,
    rules: &BodyRules,
    user_id: i64,
    now: i64,
) -> Option<MeasurementWrite> {
    let mut clock = clock_of(ticket);
    let measured = clock.agent_reply(now, &rules.calendar);
    ticket.last_agent_at = Some(now);
    set_clock(ticket, &clock, rules);
    measured.map(|m| measurement_write(m, Some(user_id), &rules.policy))
}

fn updated(ticket: &TicketRecord, now: i64) -> ServerEvent {
    ServerEvent {
        event: "conversation.updated".into(),
        conversation_id: ticket.id,
        body: ticket.body_key.clone(),
        private: ticket.channel == "private",
        at: now,
    }
}

/// Changes a ticket's status. Pending pauses the SLA clocks; resolved stops them and measures
/// the resolution time; snoozed needs a time to wake up at.
pub async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: i64,
    status: &str,
    snooze_until: Option<i64>,
) -> Result<TicketRecord, Failure> {
    let mut ticket = workable_ticket(state, caller, id).await?;
    if !STATUSES.contains(&status) {
        return Err(Failure::BadRequest(format!(
            "status: `{status}` is not one of open, pending, snoozed, resolved"
        )));
    }
    let now = crate::now_ms();
    if status == "snoozed" && snooze_until.is_none_or(|t| t <= now) {
        return Err(Failure::BadRequest(
            "snooze_until: a snoozed conversation needs a future time".into(),
        ));
    }
    let rules = body_rules(state, ticket.body_key.as_deref()).await?;
    let mut clock = clock_of(&ticket);
    let mut measurement = None;
    if status == "resolved" {
        measurement = clock.resolve(now, &rules.calendar);
    } else {
        // Any way out of resolved (to open, pending or snoozed) reopens by hand: a new cycle
        // starts now. Judged on the clock, not the previous status, so resolved → pending →
        // open cannot leave an open conversation without a running clock.
        if clock.resolved_at.is_some() {
            clock = SlaClock::default();
            clock.citizen_message(now, &rules.calendar);
            ticket.reopened += 1;
        }
        if status == "pending" {
            clock.pause(now);
        } else {
            clock.resume(now, &rules.calendar);
        }
    }
    let from = std::mem::replace(&mut ticket.status, status.to_string());
    ticket.snoozed_until = (status == "snoozed").then_some(snooze_until).flatten();
    ticket.updated_at = now;
    set_clock(&mut ticket, &clock, &rules);
    state
        .store
        .update_ticket(
            &ticket,
            Some(caller.user.id),
            "status",
            &format!("{from}->{status}"),
        )
        .await?;
    if let Some(m) = measurement {
        state
            .store
            .record_measurement(
                &ticket,
                &measurement_write(m, Some(caller.user.id), &rules.policy),
            )
            .await?;
    }
    publish(state, updated(&ticket, now));
    Ok(ticket)
}

/// Assigns a ticket. Agents may take a ticket or give it up; supervisors assign anyone who
/// works for the ticket's body.
pub async fn assign(
    state: &AppState,
    caller: &Caller,
    id: i64,
    assignee: Option<i64>,
) -> Result<TicketRecord, Failure> {
    let mut ticket = visible_ticket(state, caller, id).await?;
    let body = ticket.body_key.clone();
    let supervises = caller.access.may(Action::Supervise, body.as_deref());
    let self_service = caller.access.may(Action::Work, body.as_deref())
        && (assignee == Some(caller.user.id)
            || (assignee.is_none() && ticket.assignee_id == Some(caller.user.id)));
    if !supervises && !self_service {
        return Err(Failure::Forbidden);
    }
    if let Some(user_id) = assignee {
        let users = state.store.users().await?;
        let user = users
            .iter()
            .find(|u| u.id == user_id)
            .ok_or_else(|| Failure::BadRequest(format!("assignee: no user {user_id}")))?;
        let covers = user.role == "administrator"
            || body
                .as_deref()
                .is_some_and(|b| user.bodies.iter().any(|x| x == b));
        if !covers || user.role == "analyst" {
            return Err(Failure::BadRequest(format!(
                "assignee: {} does not work for this body",
                user.name
            )));
        }
    }
    ticket.assignee_id = assignee;
    ticket.updated_at = crate::now_ms();
    let detail = assignee.map_or_else(|| "none".to_string(), |a| a.to_string());
    state
        .store
        .update_ticket(&ticket, Some(caller.user.id), "assign", &detail)
        .await?;
    publish(state, updated(&ticket, ticket.updated_at));
    Ok(ticket)
}

/// Re-routes a ticket to another body (the model or the rule got it wrong). The assignee is
/// cleared: the new body's queue picks it up.
pub async fn route(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &str,
) -> Result<TicketRecord, Failure> {
    let mut ticket = workable_ticket(state, caller, id).await?;
    if !state.bodies.iter().any(|b| b.key == body) {
        return Err(Failure::BadRequest(format!(
            "body: no body `{body}` in the registry"
        )));
    }
    let from = ticket.body_key.replace(body.to_string());
    ticket.routed_by = "human".into();
    ticket.assignee_id = None;
    ticket.updated_at = crate::now_ms();
    let rules = body_rules(state, Some(body)).await?;
    let clock = clock_of(&ticket);
    set_clock(&mut ticket, &clock, &rules);
    state
        .store
        .update_ticket(
            &ticket,
            Some(caller.user.id),
            "route",
            &format!("{}->{body}", from.unwrap_or_default()),
        )
        .await?;
    publish(state, updated(&ticket, ticket.updated_at));
    Ok(ticket)
}

/// Adds an internal note (never sent to the citizen, never stops a clock).
pub async fn note(state: &AppState, caller: &Caller, id: i64, text: &str) -> Result<i64, Failure> {
    let ticket = workable_ticket(state, caller, id).await?;
    let text = checked_text(text, "text")?;
    Ok(state
        .store
        .add_note(ticket.id, caller.user.id, text, crate::now_ms())
        .await?)
}

/// Adds or removes a label.
pub async fn label(
    state: &AppState,
    caller: &Caller,
    id: i64,
    label: &str,
    on: bool,
) -> Result<(), Failure> {
    let ticket = workable_ticket(state, caller, id).await?;
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 64 {
        return Err(Failure::BadRequest("label: 1 to 64 characters".into()));
    }
    state
        .store
        .set_ticket_label(ticket.id, label, on, caller.user.id, crate::now_ms())
        .await?;
    Ok(())
}

/// Approves, rejects or marks sent an outbox entry. Approving a four-eyes reply stops the
/// SLA clock, credited to the reply's author.
pub async fn outbox_action(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: &str,
) -> Result<OutboxEntry, Failure> {
    let entry = state
        .store
        .outbox_entry(id)
        .await?
        .ok_or(Failure::NotFound)?;
    let mut ticket = visible_ticket(state, caller, entry.ticket_id).await?;
    let body = ticket.body_key.clone();
    let now = crate::now_ms();
    let status = match (action, entry.status.as_str()) {
        ("approve", "awaiting_approval") | ("reject", "awaiting_approval") => {
            if !caller.access.may(Action::Supervise, body.as_deref()) {
                return Err(Failure::Forbidden);
            }
            if action == "approve" {
                "queued"
            } else {
                "rejected"
            }
        }
        ("sent", "queued") => {
            if !caller.access.may(Action::Work, body.as_deref()) {
                return Err(Failure::Forbidden);
            }
            "sent"
        }
        _ => {
            return Err(Failure::BadRequest(format!(
                "action: cannot {action} an entry that is {}",
                entry.status
            )))
        }
    };
    state
        .store
        .set_outbox_status(id, status, caller.user.id, now)
        .await?;
    if status == "queued" {
        let rules = body_rules(state, body.as_deref()).await?;
        let author = entry.author_id.unwrap_or(caller.user.id);
        let measurement = stop_response_clock(&mut ticket, &rules, author, now);
        ticket.updated_at = now;
        state
            .store
            .update_ticket(&ticket, Some(caller.user.id), "approve", &id.to_string())
            .await?;
        if let Some(m) = measurement {
            state.store.record_measurement(&ticket, &m).await?;
        }
    }
    publish(state, updated(&ticket, now));
    state.store.outbox_entry(id).await?.ok_or(Failure::NotFound)
}

/// Suggested answers for a ticket: passages of its body's official posts and services
/// knowledge base that best match the latest citizen message.
pub fn suggestions(state: &AppState, ticket: &TicketRecord, limit: usize) -> Vec<Hit> {
    let (Some(index), Some(text)) = (&state.search, &ticket.last_message_text) else {
        return Vec::new();
    };
    // Official accounts repeat themselves; one passage is shown once.
    let mut hits = index
        .search(text, ticket.body_key.as_deref(), limit * 4)
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    hits.retain(|hit| seen.insert(hit.passage.clone()));
    hits.truncate(limit);
    hits
}

/// Whether the caller may change settings.
pub fn require_admin(caller: &Caller) -> Result<(), Failure> {
    if caller.access.may(Action::Administer, None) {
        Ok(())
    } else {
        Err(Failure::Forbidden)
    }
}

/// Wakes snoozed conversations whose time has come (run every few seconds by the server).
pub async fn wake_snoozed(state: &AppState) -> Result<usize, Failure> {
    let now = crate::now_ms();
    let woken = state.store.wake_snoozed(now).await?;
    for (id, body, private) in &woken {
        publish(
            state,
            ServerEvent {
                event: "conversation.updated".into(),
                conversation_id: *id,
                body: body.clone(),
                private: *private,
                at: now,
            },
        );
    }
    Ok(woken.len())
}
