//! The absorb pass's write transaction: what it writes is read back the same, a later message
//! finds the ticket an earlier one of the same batch created, and a failure leaves nothing.

use tawasul_store::inbox::{InboxMessage, TicketRecord};
use tawasul_store::{SqliteStore, StoreError};

fn message(id: i64, citizen: i64) -> InboxMessage {
    InboxMessage {
        kind: "post",
        id,
        created_at: 1_700_000_000_000 + id,
        thread_root: Some(77),
        citizen_id: citizen,
        citizen_handle: Some(format!("citizen{citizen}")),
        dm_key: None,
        account_handle: Some("mohpegypt".into()),
        body_key: Some("health".into()),
        intent: Some("question".into()),
        text: format!("سؤال رقم {id}"),
    }
}

fn new_ticket(m: &InboxMessage) -> TicketRecord {
    TicketRecord {
        id: 0,
        channel: "public".into(),
        thread_root: m.thread_root,
        citizen_id: Some(m.citizen_id),
        citizen_handle: m.citizen_handle.clone(),
        dm_key: None,
        account_handle: m.account_handle.clone(),
        body_key: m.body_key.clone(),
        routed_by: "model:body:1".into(),
        intent: m.intent.clone(),
        needs_reply: true,
        status: "open".into(),
        reopened: 0,
        assignee_id: None,
        assignee_name: None,
        team_id: None,
        snoozed_until: None,
        messages: 1,
        first_message_at: m.created_at,
        last_message_at: m.created_at,
        last_message_id: Some(m.id),
        last_message_text: Some(m.text.clone()),
        last_agent_at: None,
        sla_clock: "{\"first\":1}".into(),
        first_response_due: Some(m.created_at + 3_600_000),
        next_response_due: None,
        resolution_due: Some(m.created_at + 86_400_000),
        next_deadline_at: Some(m.created_at + 3_600_000),
        updated_at: m.created_at,
    }
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_dir(dir.path()).await.expect("store");
    (dir, store)
}

async fn count(store: &SqliteStore, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_batch_writes_tickets_that_read_back_the_same_and_finds_its_own_new_tickets() {
    let (_dir, store) = open().await;
    let first = message(1, 500);
    let second = message(2, 500);
    let other = message(3, 600);
    let ids = store
        .with_inbox_writer(|w| {
            let mut ids = Vec::new();
            for m in [&first, &other] {
                assert_eq!(w.find_ticket_for(m)?, None);
                ids.push(w.save_ticket_with_message(
                    &new_ticket(m),
                    m,
                    Some(("created", "post")),
                )?);
            }
            // The second message of citizen 500 in the same batch sees the first one's ticket.
            let mut found = w
                .find_ticket_for(&second)?
                .expect("ticket of the first message");
            assert_eq!(found.id, ids[0]);
            found.messages += 1;
            found.last_message_id = Some(second.id);
            w.save_ticket_with_message(&found, &second, Some(("message", "post")))?;
            Ok::<_, StoreError>(ids)
        })
        .await
        .expect("batch");
    assert_ne!(ids[0], ids[1]);
    let stored = store.ticket(ids[0]).await.expect("read").expect("ticket");
    let mut expected = new_ticket(&first);
    expected.id = ids[0];
    expected.messages = 2;
    expected.last_message_id = Some(2);
    assert_eq!(stored, expected);
    assert_eq!(count(&store, "ticket_messages").await, 3);
    assert_eq!(count(&store, "audit_log").await, 3);
}

#[tokio::test]
async fn a_failure_half_way_through_a_batch_leaves_nothing_written() {
    let (_dir, store) = open().await;
    let first = message(1, 500);
    let result: Result<(), StoreError> = store
        .with_inbox_writer(|w| {
            w.save_ticket_with_message(&new_ticket(&first), &first, Some(("created", "post")))?;
            Err(StoreError::Sqlite(
                "the next message could not be routed".into(),
            ))
        })
        .await;
    assert!(result.is_err());
    assert_eq!(count(&store, "tickets").await, 0);
    assert_eq!(count(&store, "ticket_messages").await, 0);
    assert_eq!(count(&store, "audit_log").await, 0);
    // The connection went back to the pool usable, with no transaction left open.
    store
        .with_inbox_writer(|w| {
            w.save_ticket_with_message(&new_ticket(&first), &first, None)
                .map(drop)
        })
        .await
        .expect("a later batch");
    assert_eq!(count(&store, "tickets").await, 1);
}

/// The status tabs' tallies (kept by triggers) agree with counting the tickets, through
/// inserts, status changes and re-routing.
#[tokio::test]
async fn status_tallies_follow_every_insert_status_change_and_reroute() {
    let (_dir, store) = open().await;
    let messages: Vec<InboxMessage> = (1..=4).map(|i| message(i, 500 + i)).collect();
    let ids = store
        .with_inbox_writer(|w| {
            messages
                .iter()
                .map(|m| w.save_ticket_with_message(&new_ticket(m), m, None))
                .collect::<Result<Vec<i64>, StoreError>>()
        })
        .await
        .expect("batch");
    let mut resolved = store.ticket(ids[0]).await.expect("read").expect("ticket");
    resolved.status = "resolved".into();
    store
        .update_ticket(&resolved, None, "status", "resolved")
        .await
        .expect("resolve");
    let mut moved = store.ticket(ids[1]).await.expect("read").expect("ticket");
    moved.body_key = Some("interior".into());
    moved.status = "pending".into();
    store
        .update_ticket(&moved, None, "route", "interior")
        .await
        .expect("reroute");
    let mut unrouted = store.ticket(ids[2]).await.expect("read").expect("ticket");
    unrouted.body_key = None;
    store
        .update_ticket(&unrouted, None, "route", "")
        .await
        .expect("unroute");
    for scope in [
        None,
        Some(vec!["health".to_string()]),
        Some(vec!["interior".to_string()]),
    ] {
        let mut sql = String::from("SELECT status, COUNT(*) FROM tickets WHERE 1 = 1");
        if let Some(bodies) = &scope {
            sql.push_str(&format!(" AND body_key = '{}'", bodies[0]));
        }
        sql.push_str(" GROUP BY status ORDER BY status");
        let counted: Vec<(String, i64)> = sqlx::query_as(&sql)
            .fetch_all(store.pool())
            .await
            .expect("count");
        let tallied = store
            .ticket_counts(scope.as_deref(), true)
            .await
            .expect("tallies");
        assert_eq!(tallied, counted, "{scope:?}");
    }
    assert_eq!(
        store
            .ticket_counts(Some(&["health".to_string()]), true)
            .await
            .expect("tallies"),
        vec![("open".to_string(), 1), ("resolved".to_string(), 1)]
    );
}

/// A caller scoped to no body sees no ticket and no count, in the list and in the inbox view.
#[tokio::test]
async fn an_empty_scope_lists_and_counts_nothing() {
    let (_dir, store) = open().await;
    let first = message(1, 500);
    store
        .with_inbox_writer(|w| w.save_ticket_with_message(&new_ticket(&first), &first, None))
        .await
        .expect("batch");
    let filter = tawasul_store::inbox::TicketFilter {
        bodies: Some(Vec::new()),
        include_private: true,
        limit: 50,
        ..Default::default()
    };
    assert!(store.tickets(&filter).await.expect("list").is_empty());
    let view = store.inbox_view(&filter).await.expect("view");
    assert!(view.tickets.is_empty() && view.counts.is_empty());
    let everyone = tawasul_store::inbox::TicketFilter {
        bodies: None,
        ..filter
    };
    assert_eq!(store.tickets(&everyone).await.expect("list").len(), 1);
}
