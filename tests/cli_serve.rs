//! The server end to end over HTTP: a real `tawasul serve` on a store built by the CLI. Every
//! role, every forbidden cross-body access, SLA clocks through replies, four-eyes approval,
//! sessions, CSRF, the login rate limit, escaping, ingest without loss or duplicates.

mod support;

use serde_json::json;
use support::{api, fixture, http, listed, start, start_with, tawasul, Server, PASSWORD};

fn conversation_of(server: &Server, body: &str, channel: &str) -> i64 {
    listed(server, "admin", "")
        .into_iter()
        .find(|(_, b, c)| b == body && c == channel)
        .map(|(id, _, _)| id)
        .unwrap_or_else(|| panic!("a {channel} conversation of {body}"))
}

/// Posts the login form as a browser does.
fn post_login(port: u16, name: &str, password: &str) -> support::Reply {
    let body = format!("name={name}&password={}", password.replace(' ', "+"));
    http(
        port,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &body,
    )
}

#[test]
fn api_scopes_every_role_to_its_bodies() {
    let server = start();
    // 401 without a token or with a wrong one.
    let none = http(server.port, "GET", "/api/v1/conversations", &[], "");
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").is_some());
    let wrong = http(
        server.port,
        "GET",
        "/api/v1/conversations",
        &[("Authorization", "Bearer 00ff")],
        "",
    );
    assert_eq!(wrong.status, 401);

    // The administrator sees all four: public and private of health and interior.
    let mut all = listed(&server, "admin", "");
    all.sort();
    assert_eq!(all.len(), 4, "{all:?}");
    let health_public = conversation_of(&server, "health", "public");
    let health_private = conversation_of(&server, "health", "private");
    let interior_public = conversation_of(&server, "interior", "public");
    let interior_private = conversation_of(&server, "interior", "private");

    // A health agent sees health's public and private conversations and nothing of interior.
    let mine: Vec<i64> = listed(&server, "agent.health", "")
        .iter()
        .map(|c| c.0)
        .collect();
    assert!(mine.contains(&health_public) && mine.contains(&health_private));
    assert!(!mine.contains(&interior_public) && !mine.contains(&interior_private));
    for id in [interior_public, interior_private] {
        for (method, path, body) in [
            ("GET", format!("/api/v1/conversations/{id}"), None),
            (
                "GET",
                format!("/api/v1/conversations/{id}/suggestions"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/conversations/{id}/reply"),
                Some(json!({"text": "رد"})),
            ),
            (
                "POST",
                format!("/api/v1/conversations/{id}/status"),
                Some(json!({"status": "resolved"})),
            ),
            (
                "POST",
                format!("/api/v1/conversations/{id}/notes"),
                Some(json!({"text": "x"})),
            ),
            (
                "POST",
                format!("/api/v1/conversations/{id}/labels"),
                Some(json!({"label": "x"})),
            ),
            (
                "POST",
                format!("/api/v1/conversations/{id}/route"),
                Some(json!({"body": "health"})),
            ),
            (
                "POST",
                format!("/api/v1/conversations/{id}/assign"),
                Some(json!({"assignee_id": null})),
            ),
        ] {
            let reply = api(&server, "agent.health", method, &path, body);
            assert_eq!(reply.status, 403, "{method} {path}: {}", reply.body);
        }
    }
    let filtered = api(
        &server,
        "agent.health",
        "GET",
        "/api/v1/conversations?body=interior",
        None,
    );
    assert_eq!(filtered.status, 403);
    // And the interior agent mirrors it.
    let theirs: Vec<i64> = listed(&server, "agent.interior", "")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(theirs.len(), 2);
    assert!(!theirs.contains(&health_private));
    assert_eq!(
        api(
            &server,
            "agent.interior",
            "GET",
            &format!("/api/v1/conversations/{health_private}"),
            None
        )
        .status,
        403
    );

    // The analyst reads health's public conversations only, never DMs, never replies.
    let read: Vec<(i64, String, String)> = listed(&server, "analyst.health", "");
    assert_eq!(
        read.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![health_public]
    );
    assert_eq!(
        api(
            &server,
            "analyst.health",
            "GET",
            &format!("/api/v1/conversations/{health_private}"),
            None
        )
        .status,
        403
    );
    assert_eq!(
        api(
            &server,
            "analyst.health",
            "POST",
            &format!("/api/v1/conversations/{health_public}/reply"),
            Some(json!({"text": "رد"}))
        )
        .status,
        403
    );
    // Settings, users, webhooks, ingest: administrators only.
    for user in ["sup.health", "agent.health", "analyst.health"] {
        assert_eq!(api(&server, user, "GET", "/api/v1/users", None).status, 403);
        assert_eq!(
            api(&server, user, "POST", "/api/v1/ingest", None).status,
            403
        );
        assert_eq!(
            api(
                &server,
                user,
                "PUT",
                "/api/v1/bodies/health/settings",
                Some(json!({"four_eyes": true}))
            )
            .status,
            403
        );
        assert_eq!(
            api(
                &server,
                user,
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef"}))
            )
            .status,
            403
        );
    }
    // Agents cannot assign to others; supervisors can, within their body.
    assert_eq!(
        api(
            &server,
            "agent.health",
            "POST",
            &format!("/api/v1/conversations/{health_public}/assign"),
            Some(json!({"assignee_id": 1}))
        )
        .status,
        403
    );
    let interior_agent_id =
        api(&server, "agent.interior", "GET", "/api/v1/me", None).json()["id"].clone();
    let cross = api(
        &server,
        "sup.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/assign"),
        Some(json!({"assignee_id": interior_agent_id})),
    );
    assert_eq!(
        cross.status, 400,
        "an interior agent cannot be given health's work"
    );
    let me = api(&server, "agent.health", "GET", "/api/v1/me", None).json()["id"].clone();
    let assigned = api(
        &server,
        "sup.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/assign"),
        Some(json!({"assignee_id": me})),
    );
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(listed(&server, "agent.health", "assignee=me").len(), 1);

    // The OpenAPI document is served and names the conversations route.
    let doc = http(server.port, "GET", "/api/openapi.json", &[], "");
    assert_eq!(doc.status, 200);
    assert!(doc.json()["paths"]["/api/v1/conversations"]["get"].is_object());
}

#[test]
fn replies_stop_sla_clocks_and_four_eyes_waits_for_a_supervisor() {
    let server = start();
    let health_public = conversation_of(&server, "health", "public");
    let before = api(
        &server,
        "agent.health",
        "GET",
        &format!("/api/v1/conversations/{health_public}"),
        None,
    )
    .json();
    assert!(
        before["conversation"]["first_response_due"].is_i64(),
        "{before}"
    );
    assert_eq!(before["conversation"]["status"], "open");

    // Too long for a public reply: refused, naming the field.
    let long = "ا".repeat(300);
    let refused = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/reply"),
        Some(json!({"text": long})),
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("text"), "{}", refused.body);

    let sent = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/reply"),
        Some(json!({"text": "التطعيم يبدأ الأحد في كل مكاتب الصحة"})),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.json()["outbox"]["status"], "queued");
    let after = api(
        &server,
        "agent.health",
        "GET",
        &format!("/api/v1/conversations/{health_public}"),
        None,
    )
    .json();
    assert!(
        after["conversation"]["first_response_due"].is_null(),
        "{after}"
    );
    assert!(after["thread"]
        .as_array()
        .expect("thread")
        .iter()
        .any(|e| e["kind"] == "outbox"));

    // Mark the queued reply sent: the outbox shows it as sent.
    let outbox_id = sent.json()["outbox"]["id"].as_i64().expect("id");
    let marked = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/outbox/{outbox_id}/sent"),
        None,
    );
    assert_eq!(marked.json()["outbox"]["status"], "sent");

    // Four-eyes on: an agent's public reply waits; an agent cannot approve; the supervisor can.
    let on = api(
        &server,
        "admin",
        "PUT",
        "/api/v1/bodies/health/settings",
        Some(json!({"four_eyes": true, "first_response_min": 60})),
    );
    assert_eq!(on.status, 200, "{}", on.body);
    let bad_calendar = api(
        &server,
        "admin",
        "PUT",
        "/api/v1/bodies/health/settings",
        Some(json!({"calendar_toml": "timezone = \"Mars/Olympus\""})),
    );
    assert_eq!(bad_calendar.status, 400);
    assert!(bad_calendar.body.contains("calendar_toml"));
    // Reopen by hand (new cycle), then reply.
    api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/status"),
        Some(json!({"status": "resolved"})),
    );
    let reopened = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/status"),
        Some(json!({"status": "open"})),
    );
    assert!(reopened.json()["conversation"]["first_response_due"].is_i64());
    let waiting = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/reply"),
        Some(json!({"text": "نراجع طلبك"})),
    );
    let waiting_id = waiting.json()["outbox"]["id"].as_i64().expect("id");
    assert_eq!(waiting.json()["outbox"]["status"], "awaiting_approval");
    let still = api(
        &server,
        "agent.health",
        "GET",
        &format!("/api/v1/conversations/{health_public}"),
        None,
    )
    .json();
    assert!(
        still["conversation"]["first_response_due"].is_i64(),
        "clock runs until approval"
    );
    assert_eq!(
        api(
            &server,
            "agent.health",
            "POST",
            &format!("/api/v1/outbox/{waiting_id}/approve"),
            None
        )
        .status,
        403
    );
    let approved = api(
        &server,
        "sup.health",
        "POST",
        &format!("/api/v1/outbox/{waiting_id}/approve"),
        None,
    );
    assert_eq!(
        approved.json()["outbox"]["status"],
        "queued",
        "{}",
        approved.body
    );
    let stopped = api(
        &server,
        "agent.health",
        "GET",
        &format!("/api/v1/conversations/{health_public}"),
        None,
    )
    .json();
    assert!(stopped["conversation"]["first_response_due"].is_null());

    // Pending pauses the clock; a snooze needs a future time.
    let pending = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/status"),
        Some(json!({"status": "pending"})),
    );
    assert!(pending.json()["conversation"]["next_deadline_at"].is_null());
    let snooze = api(
        &server,
        "agent.health",
        "POST",
        &format!("/api/v1/conversations/{health_public}/status"),
        Some(json!({"status": "snoozed"})),
    );
    assert_eq!(snooze.status, 400);

    // Regression: resolved → pending → open left an open conversation with no running clock.
    for status in ["resolved", "pending", "open"] {
        api(
            &server,
            "agent.health",
            "POST",
            &format!("/api/v1/conversations/{health_public}/status"),
            Some(json!({"status": status})),
        );
    }
    let reopened = api(
        &server,
        "agent.health",
        "GET",
        &format!("/api/v1/conversations/{health_public}"),
        None,
    )
    .json();
    assert_eq!(reopened["conversation"]["status"], "open");
    assert!(
        reopened["conversation"]["first_response_due"].is_i64(),
        "{reopened}"
    );
    // The audit log saw every action, for the supervisor.
    let audit = api(
        &server,
        "sup.health",
        "GET",
        &format!("/api/v1/audit?conversation_id={health_public}"),
        None,
    )
    .json();
    let actions: Vec<String> = audit["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .map(|a| a["action"].as_str().unwrap_or("").to_string())
        .collect();
    for expected in [
        "created",
        "outbox_reply",
        "outbox_sent",
        "status",
        "outbox_queued",
        "approve",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[test]
fn ingest_adds_messages_once_and_out_of_hours_dms_get_an_acknowledgement() {
    let server = start();
    // Acknowledge DMs out of hours (the fixture's Saturday DMs are outside Sunday–Thursday),
    // and hand new conversations out round-robin.
    let ack = api(
        &server,
        "admin",
        "PUT",
        "/api/v1/bodies/health/settings",
        Some(json!({"out_of_hours_ack": "وصلت رسالتك وسنرد في أول يوم عمل", "round_robin": true})),
    );
    assert_eq!(ack.status, 200);
    let line = json!({"data": [{"id": "3000000000000000009", "text": "@mohpegypt لو سمحت فين أقرب مكتب صحة للتطعيم؟", "author_id": "5009",
        "conversation_id": "3000000000000000001", "created_at": "2026-11-02T09:00:00.000Z", "in_reply_to_user_id": "2001",
        "referenced_tweets": [{"type": "replied_to", "id": "3000000000000000001"}],
        "entities": {"mentions": [{"start": 0, "end": 10, "username": "mohpegypt", "id": "2001"}]}}],
        "includes": {"users": [{"id": "5009", "username": "samir_citizen", "name": "Samir"}]}})
        .to_string();
    let dm = json!({"data": [{"event_type": "MessageCreate", "id": "1767200000000000009", "text": "محتاج أعرف نتيجة التحليل",
        "sender_id": "5009", "dm_conversation_id": "2001-5009", "created_at": "2026-11-06T20:00:00.000Z", "participant_ids": ["2001", "5009"]}]})
        .to_string();
    let body = format!("{line}\n{dm}\n");
    let token = format!("Bearer {}", server.tokens["admin"]);
    let first = http(
        server.port,
        "POST",
        "/api/v1/ingest",
        &[("Authorization", &token)],
        &body,
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["inbox"]["messages"], 2, "{}", first.body);
    assert_eq!(
        first.json()["inbox"]["acknowledgements"],
        1,
        "{}",
        first.body
    );
    let count = listed(&server, "admin", "").len();
    assert_eq!(count, 6);
    // The ingest threaded what it wrote: a later threading pass (an empty import) finds
    // nothing to add.
    let stats = |server: &Server| -> serde_json::Value {
        serde_json::from_str(&tawasul(server.dir.path(), &["stats", "--json"], "")).expect("stats")
    };
    let threaded = stats(&server);
    let empty = server.dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("empty file");
    tawasul(
        server.dir.path(),
        &["import", empty.to_str().expect("utf-8 path")],
        "",
    );
    assert_eq!(stats(&server)["conversations"], threaded["conversations"]);
    // The same data again: nothing new, nothing doubled.
    let again = http(
        server.port,
        "POST",
        "/api/v1/ingest",
        &[("Authorization", &token)],
        &body,
    );
    assert_eq!(again.json()["inbox"]["messages"], 0, "{}", again.body);
    assert_eq!(listed(&server, "admin", "").len(), count);
    // The acknowledgement went to the DM only, and queued without stopping the clock.
    let queued = api(
        &server,
        "admin",
        "GET",
        "/api/v1/outbox?status=queued",
        None,
    )
    .json();
    let acks: Vec<&serde_json::Value> = queued["outbox"]
        .as_array()
        .expect("outbox")
        .iter()
        .filter(|e| e["kind"] == "auto_ack")
        .collect();
    assert_eq!(acks.len(), 1);
    let dm_ticket = api(
        &server,
        "admin",
        "GET",
        &format!("/api/v1/conversations/{}", acks[0]["ticket_id"]),
        None,
    )
    .json();
    assert_eq!(dm_ticket["conversation"]["channel"], "private");
    assert!(dm_ticket["conversation"]["first_response_due"].is_i64());
    // Both new conversations of the batch went to health's workers, one each (the batch is one
    // transaction: the second pick sees the first).
    let samir: Vec<serde_json::Value> = api(
        &server,
        "admin",
        "GET",
        "/api/v1/conversations?body=health",
        None,
    )
    .json()["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .filter(|c| c["citizen_id"] == 5009)
        .cloned()
        .collect();
    assert_eq!(samir.len(), 2, "{samir:?}");
    let assignees: Vec<i64> = samir
        .iter()
        .map(|c| c["assignee_id"].as_i64().expect("assigned round-robin"))
        .collect();
    assert_ne!(assignees[0], assignees[1]);
    // A corrupt body is refused without storing anything.
    let bad = http(
        server.port,
        "POST",
        "/api/v1/ingest",
        &[("Authorization", &token)],
        "{\"data\": [",
    );
    assert!(bad.status == 200 || bad.status == 400, "{}", bad.body);
    assert_eq!(listed(&server, "admin", "").len(), count);
}

#[test]
fn pages_need_a_session_check_csrf_rate_limit_logins_and_escape_citizen_text() {
    let server = start();
    let inbox = http(server.port, "GET", "/inbox", &[], "");
    assert_eq!(inbox.status, 303);
    assert_eq!(inbox.header("location"), Some("/login"));
    // Login: cookie flags.
    let login = post_login(server.port, "agent.health", PASSWORD);
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login
        .header("set-cookie")
        .expect("session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().expect("pair").to_string();
    let page = http(
        server.port,
        "GET",
        "/inbox?status=",
        &[("Cookie", &session)],
        "",
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains("dir=\"rtl\""));
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "citizen text escaped"
    );
    assert!(!page.body.contains("<script>alert"));
    assert!(page
        .header("content-security-policy")
        .is_some_and(|c| c.contains("script-src 'self'")));
    // Another body's conversation is forbidden in pages too.
    let interior = conversation_of(&server, "interior", "private");
    let other = http(
        server.port,
        "GET",
        &format!("/conversations/{interior}"),
        &[("Cookie", &session)],
        "",
    );
    assert_eq!(other.status, 403);
    // A state change without the CSRF token is refused and changes nothing.
    let health = conversation_of(&server, "health", "public");
    let forged = http(
        server.port,
        "POST",
        &format!("/conversations/{health}/status"),
        &[
            ("Cookie", &session),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "status=resolved",
    );
    assert_eq!(forged.status, 403);
    let still = api(
        &server,
        "admin",
        "GET",
        &format!("/api/v1/conversations/{health}"),
        None,
    )
    .json();
    assert_eq!(still["conversation"]["status"], "open");
    // With the token from the page it works.
    let view = http(
        server.port,
        "GET",
        &format!("/conversations/{health}"),
        &[("Cookie", &session)],
        "",
    );
    let csrf = view
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let done = http(
        server.port,
        "POST",
        &format!("/conversations/{health}/status"),
        &[
            ("Cookie", &session),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!("csrf={csrf}&status=resolved"),
    );
    assert_eq!(done.status, 303);
    let resolved = api(
        &server,
        "admin",
        "GET",
        &format!("/api/v1/conversations/{health}"),
        None,
    )
    .json();
    assert_eq!(resolved["conversation"]["status"], "resolved");
    // The language switch goes back only to a page of this host (regression: a crafted
    // Referer made it an open redirect).
    for referer in [
        "https://evil.example/\\evil.example/x",
        "http://evil.example/inbox",
        "http://127.0.0.1//evil.example",
    ] {
        let switched = http(server.port, "GET", "/lang/en", &[("Referer", referer)], "");
        assert_eq!(switched.header("location"), Some("/inbox"), "{referer}");
    }
    let own = http(
        server.port,
        "GET",
        "/lang/en",
        &[("Referer", "http://127.0.0.1/search?q=x")],
        "",
    );
    assert_eq!(own.header("location"), Some("/search?q=x"));
    // Analysts never see the outbox (it holds answers to DMs).
    let analyst = post_login(server.port, "analyst.health", PASSWORD);
    let analyst_session = analyst
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    assert_eq!(
        http(
            server.port,
            "GET",
            "/outbox",
            &[("Cookie", &analyst_session)],
            ""
        )
        .status,
        403
    );
    assert_eq!(
        http(
            server.port,
            "GET",
            "/outbox/export",
            &[("Cookie", &analyst_session)],
            ""
        )
        .status,
        403
    );
    // Five wrong passwords lock the name, even against the right one.
    for _ in 0..5 {
        let wrong = post_login(server.port, "agent.interior", "nope");
        assert_eq!(wrong.header("location"), Some("/login?error=1"));
    }
    let locked = post_login(server.port, "agent.interior", PASSWORD);
    assert_eq!(locked.header("location"), Some("/login?error=limit"));
}

#[test]
fn imported_official_replies_answer_and_relabelling_counts_nothing_twice() {
    // Regression: a reclassified post was queued for the inbox again and counted twice.
    let server = start_with(|data| {
        support::serve_once(data);
        tawasul(
            data,
            &[
                "import",
                &fixture("inbox_answered.jsonl").display().to_string(),
            ],
            "",
        );
        tawasul(data, &["reclassify"], "");
    });
    let all = api(&server, "admin", "GET", "/api/v1/conversations", None).json();
    let conversations = all["conversations"].as_array().expect("list");
    assert_eq!(conversations.len(), 4);
    for c in conversations {
        assert_eq!(c["messages"], 1, "{c}");
    }
    // The ministry's own reply in the imported data stopped the first-response clock.
    let interior = conversations
        .iter()
        .find(|c| c["body_key"] == "interior" && c["channel"] == "public")
        .expect("interior public");
    assert!(interior["first_response_due"].is_null(), "{interior}");
    assert!(interior["last_agent_at"].is_i64(), "{interior}");
    let health = conversations
        .iter()
        .find(|c| c["body_key"] == "health" && c["channel"] == "public")
        .expect("health public");
    assert!(health["first_response_due"].is_i64(), "{health}");
}

#[test]
fn the_body_model_routes_a_hospital_complaint_under_the_cabinets_post_to_health() {
    // Both citizens wrote to the cabinet; one complains about a hospital, the other asks the
    // cabinet about its own plan. The first goes to health's inbox, the second stays.
    let server = start_with(|data| {
        let summary = tawasul(
            data,
            &["import", &fixture("routing.jsonl").display().to_string()],
            "",
        );
        let summary: serde_json::Value = serde_json::from_str(&summary).expect("summary JSON");
        assert_eq!(summary["labelling"]["rerouted"], 1, "{summary}");
    });
    let all = api(&server, "admin", "GET", "/api/v1/conversations", None).json();
    let body_of = |citizen: &str| {
        all["conversations"]
            .as_array()
            .expect("list")
            .iter()
            .find(|c| c["citizen_handle"] == citizen)
            .map(|c| c["body_key"].clone())
            .unwrap_or_else(|| panic!("no conversation of {citizen}: {all}"))
    };
    assert_eq!(body_of("hana_citizen"), "health");
    assert_eq!(body_of("omar_citizen"), "cabinet");
    // An agent of health sees the complaint; an agent of interior does not.
    let seen = |user: &str| -> Vec<String> {
        let list = api(&server, user, "GET", "/api/v1/conversations", None).json();
        list["conversations"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["citizen_handle"].as_str().map(String::from))
            .collect()
    };
    assert!(seen("agent.health").contains(&"hana_citizen".to_string()));
    assert!(!seen("agent.interior").contains(&"hana_citizen".to_string()));
}
