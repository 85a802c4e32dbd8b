//! The inbox's absorb pass as one write transaction on the raw SQLite handle.
//!
//! A connector posting a batch of a hundred citizen messages used to cost a hundred small
//! transactions of five statements each, every statement a hop to sqlx's worker thread and back
//! through a runtime busy with page views: about 6 ms a message under load. Here the write lock
//! is taken once (asynchronously, so waiting for it blocks no runtime thread), and then every
//! lookup and write of the batch runs synchronously on prepared statements, each a few
//! microseconds. The decisions (which ticket, which clock, which agent) stay with the caller.

use std::os::raw::c_int;

use crate::bulk::{Db, Statement, Value};
use crate::inbox::{
    InboxMessage, MeasurementWrite, OutboxEntry, TicketRecord, AUDIT_INSERT, MEASUREMENT_INSERT,
    OUTBOX_INSERT, TICKET_INSERT, TICKET_SELECT, TICKET_UPDATE,
};
use crate::{SqliteStore, StoreError};

/// The absorb pass's statements, prepared once per transaction.
pub struct InboxWriter<'db> {
    find_public: Statement<'db>,
    find_private: Statement<'db>,
    insert_ticket: Statement<'db>,
    update_ticket: Statement<'db>,
    link_message: Statement<'db>,
    unqueue: Statement<'db>,
    audit: Statement<'db>,
    round_robin: Statement<'db>,
    acknowledged_since: Statement<'db>,
    insert_outbox: Statement<'db>,
    insert_measurement: Statement<'db>,
}

/// Reads a ticket from the current row of a statement selecting [`TICKET_SELECT`]'s columns.
pub(crate) fn ticket_of(row: &Statement<'_>) -> TicketRecord {
    let int = |c: c_int| row.int(c).unwrap_or(0);
    TicketRecord {
        id: int(0),
        channel: row.text(1).to_string(),
        thread_root: row.int(2),
        citizen_id: row.int(3),
        citizen_handle: row.text_opt(4),
        dm_key: row.text_opt(5),
        account_handle: row.text_opt(6),
        body_key: row.text_opt(7),
        routed_by: row.text(8).to_string(),
        intent: row.text_opt(9),
        needs_reply: int(10) != 0,
        status: row.text(11).to_string(),
        reopened: int(12),
        assignee_id: row.int(13),
        assignee_name: row.text_opt(14),
        team_id: row.int(15),
        snoozed_until: row.int(16),
        messages: int(17),
        first_message_at: int(18),
        last_message_at: int(19),
        last_message_id: row.int(20),
        last_message_text: row.text_opt(21),
        last_agent_at: row.int(22),
        sla_clock: row.text(23).to_string(),
        first_response_due: row.int(24),
        next_response_due: row.int(25),
        resolution_due: row.int(26),
        next_deadline_at: row.int(27),
        updated_at: int(28),
    }
}

/// A ticket's stored columns in [`TICKET_INSERT`]'s order ([`TICKET_UPDATE`] adds the id).
fn ticket_values(t: &TicketRecord) -> [Value<'_>; 27] {
    [
        t.channel.as_str().into(),
        t.thread_root.into(),
        t.citizen_id.into(),
        t.citizen_handle.as_deref().into(),
        t.dm_key.as_deref().into(),
        t.account_handle.as_deref().into(),
        t.body_key.as_deref().into(),
        t.routed_by.as_str().into(),
        t.intent.as_deref().into(),
        Value::Int(i64::from(t.needs_reply)),
        t.status.as_str().into(),
        t.reopened.into(),
        t.assignee_id.into(),
        t.team_id.into(),
        t.snoozed_until.into(),
        t.messages.into(),
        t.first_message_at.into(),
        t.last_message_at.into(),
        t.last_message_id.into(),
        t.last_message_text.as_deref().into(),
        t.last_agent_at.into(),
        t.sla_clock.as_str().into(),
        t.first_response_due.into(),
        t.next_response_due.into(),
        t.resolution_due.into(),
        t.next_deadline_at.into(),
        t.updated_at.into(),
    ]
}

impl<'db> InboxWriter<'db> {
    fn prepare(db: &'db Db) -> Result<Self, StoreError> {
        Ok(InboxWriter {
            find_public: db.prepare(&format!(
                "{TICKET_SELECT} WHERE t.channel = 'public' AND t.thread_root = ? AND t.citizen_id = ?"
            ))?,
            find_private: db.prepare(&format!(
                "{TICKET_SELECT} WHERE t.channel = 'private' AND t.dm_key = ?"
            ))?,
            insert_ticket: db.prepare(&format!("{TICKET_INSERT} RETURNING id"))?,
            update_ticket: db.prepare(&format!("{TICKET_UPDATE} RETURNING id"))?,
            link_message: db.prepare(
                "INSERT OR IGNORE INTO ticket_messages (message_kind, message_id, ticket_id, created_at) \
                 VALUES (?, ?, ?, ?)",
            )?,
            unqueue: db.prepare("DELETE FROM inbox_queue WHERE post_id = ?")?,
            audit: db.prepare(AUDIT_INSERT)?,
            round_robin: db.prepare(
                "UPDATE users SET last_assigned_at = ? WHERE id = ( \
                   SELECT u.id FROM users u JOIN user_bodies b ON b.user_id = u.id \
                   WHERE b.body_key = ? AND u.active = 1 AND u.role IN ('agent', 'supervisor') \
                   AND (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND t.status != 'resolved') < u.capacity \
                   ORDER BY u.last_assigned_at, u.id LIMIT 1) RETURNING id",
            )?,
            acknowledged_since: db.prepare(
                "SELECT 1 FROM outbox WHERE ticket_id = ? AND kind = 'auto_ack' AND created_at >= ? LIMIT 1",
            )?,
            insert_outbox: db.prepare(&format!("{OUTBOX_INSERT} RETURNING id"))?,
            insert_measurement: db.prepare(MEASUREMENT_INSERT)?,
        })
    }

    /// The ticket a message belongs to, if it exists.
    pub fn find_ticket_for(
        &mut self,
        message: &InboxMessage,
    ) -> Result<Option<TicketRecord>, StoreError> {
        let statement = if message.kind == "dm" {
            self.find_private
                .bind_all(&[message.dm_key.as_deref().unwrap_or("").into()])?;
            &mut self.find_private
        } else {
            self.find_public
                .bind_all(&[message.thread_root.into(), message.citizen_id.into()])?;
            &mut self.find_public
        };
        let found = if statement.step()? {
            Some(ticket_of(statement))
        } else {
            None
        };
        statement.reset();
        Ok(found)
    }

    /// Writes a ticket (insert when `id == 0`), links the message to it and takes it off the
    /// queue, with an audit entry; returns the ticket id. A message already linked is left
    /// alone (no double counting).
    pub fn save_ticket_with_message(
        &mut self,
        ticket: &TicketRecord,
        message: &InboxMessage,
        audit: Option<(&str, &str)>,
    ) -> Result<i64, StoreError> {
        let values = ticket_values(ticket);
        let id = if ticket.id == 0 {
            self.insert_ticket.query_int(&values)?
        } else {
            let mut with_id = [Value::Null; 28];
            with_id[..27].copy_from_slice(&values);
            with_id[27] = ticket.id.into();
            self.update_ticket.query_int(&with_id)?
        }
        .ok_or_else(|| StoreError::Sqlite(format!("ticket {} vanished", ticket.id)))?;
        self.link(message, id)?;
        if let Some((action, detail)) = audit {
            self.audit(None, action, Some(id), detail, ticket.updated_at)?;
        }
        Ok(id)
    }

    /// Records that a message was looked at and belongs to no ticket (an official reply to
    /// someone who never wrote to the inbox), so it is not looked at again.
    pub fn mark_inbox_seen(&mut self, message: &InboxMessage) -> Result<(), StoreError> {
        self.link(message, 0)
    }

    fn link(&mut self, message: &InboxMessage, ticket_id: i64) -> Result<(), StoreError> {
        self.link_message.run(&[
            message.kind.into(),
            message.id.into(),
            ticket_id.into(),
            message.created_at.into(),
        ])?;
        if message.kind != "dm" {
            self.unqueue.run(&[message.id.into()])?;
        }
        Ok(())
    }

    fn audit(
        &mut self,
        user_id: Option<i64>,
        action: &str,
        ticket_id: Option<i64>,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.audit.run(&[
            now_ms.into(),
            user_id.into(),
            action.into(),
            ticket_id.into(),
            detail.into(),
        ])
    }

    /// The next agent for round-robin in a body: active agents of the body under capacity,
    /// least recently assigned first; marks the choice.
    pub fn next_round_robin_agent(
        &mut self,
        body: &str,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.round_robin.query_int(&[now_ms.into(), body.into()])
    }

    /// Whether the ticket got an automatic acknowledgement at or after `since`.
    pub fn acknowledged_since(&mut self, ticket_id: i64, since: i64) -> Result<bool, StoreError> {
        Ok(self
            .acknowledged_since
            .query_int(&[ticket_id.into(), since.into()])?
            .is_some())
    }

    /// Queues an automatic acknowledgement (no clock stops: it is not a human reply), with an
    /// audit entry; returns the outbox id.
    pub fn queue_acknowledgement(&mut self, entry: &OutboxEntry) -> Result<i64, StoreError> {
        let id = self
            .insert_outbox
            .query_int(&[
                entry.ticket_id.into(),
                entry.kind.as_str().into(),
                entry.in_reply_to.into(),
                entry.account_handle.as_deref().into(),
                entry.text.as_str().into(),
                entry.status.as_str().into(),
                entry.author_id.into(),
                entry.approved_by.into(),
                entry.created_at.into(),
                entry.sent_at.into(),
            ])?
            .ok_or_else(|| StoreError::Sqlite("outbox insert returned no id".into()))?;
        let action = format!("outbox_{}", entry.kind);
        self.audit(
            entry.author_id,
            &action,
            Some(entry.ticket_id),
            &entry.status,
            entry.created_at,
        )?;
        Ok(id)
    }

    /// Stores a response-time measurement of a ticket.
    pub fn record_measurement(
        &mut self,
        ticket: &TicketRecord,
        m: &MeasurementWrite,
    ) -> Result<(), StoreError> {
        let breached = m.target_ms.is_some_and(|t| m.business_ms > t);
        self.insert_measurement.run(&[
            ticket.id.into(),
            ticket.body_key.as_deref().into(),
            m.kind.into(),
            m.user_id.into(),
            m.started_at.into(),
            m.stopped_at.into(),
            m.wall_ms.into(),
            m.business_ms.into(),
            m.target_ms.into(),
            Value::Int(i64::from(breached)),
        ])
    }
}

impl SqliteStore {
    /// Runs `work` inside one write transaction with the absorb pass's statements: committed
    /// when `work` returns `Ok`, rolled back (nothing half-written) when it fails.
    pub async fn with_inbox_writer<T, E>(
        &self,
        work: impl FnOnce(&mut InboxWriter<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut connection = self.pool().acquire().await.map_err(StoreError::from)?;
        // Waiting for the write lock happens on sqlx's worker thread, not on the caller's.
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *connection)
            .await
            .map_err(StoreError::from)?;
        let locked = match connection.lock_handle().await {
            Ok(mut handle) => {
                let db = Db::new(handle.as_raw_handle());
                Ok(run_and_end(&db, work))
            }
            Err(e) => Err(e),
        };
        match locked {
            Ok(result) => result,
            Err(e) => {
                // The connection goes back to the pool: never with a transaction open.
                let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
                Err(StoreError::from(e).into())
            }
        }
    }
}

/// Runs `work` on the absorb statements, then commits, or rolls back when anything failed.
fn run_and_end<T, E: From<StoreError>>(
    db: &Db,
    work: impl FnOnce(&mut InboxWriter<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let result = InboxWriter::prepare(db)
        .map_err(E::from)
        .and_then(|mut writer| work(&mut writer));
    // The statements are finalised (the writer dropped) before the transaction ends.
    match result {
        Ok(value) => match db.exec("COMMIT") {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = db.exec("ROLLBACK");
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = db.exec("ROLLBACK");
            Err(e)
        }
    }
}
