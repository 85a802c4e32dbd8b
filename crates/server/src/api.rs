//! The REST API under `/api/v1/`: everything the pages do, as JSON, for scripts and other
//! tools. Bearer tokens (`tawasul token create`); 401 without one, 403 outside the caller's
//! role or bodies. `GET /api/openapi.json` describes it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tawasul_core::access::{Action, Role};
use tawasul_core::sla::SlaState;
use tawasul_store::inbox::BodySettings;

use crate::auth::{self, ApiCaller, Caller};
use crate::{ops, AppState, Failure};

type Fields = HashMap<String, String>;

/// Routes of the API.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", get(show))
        .route("/api/v1/conversations/{id}/reply", post(reply))
        .route("/api/v1/conversations/{id}/status", post(status))
        .route("/api/v1/conversations/{id}/assign", post(assign))
        .route("/api/v1/conversations/{id}/route", post(route))
        .route("/api/v1/conversations/{id}/notes", post(note))
        .route("/api/v1/conversations/{id}/labels", post(label))
        .route("/api/v1/conversations/{id}/suggestions", get(suggestions))
        .route("/api/v1/outbox", get(outbox))
        .route("/api/v1/outbox/{id}/{action}", post(outbox_action))
        .route("/api/v1/canned_responses", get(canned).post(canned_add))
        .route("/api/v1/search", get(search))
        .route("/api/v1/scorecards", get(scorecards))
        .route("/api/v1/ingest", post(ingest))
        .route("/api/v1/users", get(users).post(users_add))
        .route(
            "/api/v1/bodies/{key}/settings",
            get(body_settings).put(body_settings_put),
        )
        .route("/api/v1/webhooks", get(webhooks).post(webhooks_add))
        .route("/api/v1/audit", get(audit))
        .fallback(|| async { Failure::NotFound })
}

async fn me(ApiCaller(caller): ApiCaller) -> Json<Value> {
    Json(
        json!({"id": caller.user.id, "name": caller.user.name, "role": caller.user.role, "bodies": caller.user.bodies}),
    )
}

async fn list(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<Fields>,
) -> Result<Json<Value>, Failure> {
    let filter = crate::pages::ticket_filter(&caller, &q, 15 * 60_000)?;
    // Asking for a body outside one's scope is refused, not silently emptied.
    if let Some(body) = &filter.body {
        if !caller.access.covers(Some(body)) {
            return Err(Failure::Forbidden);
        }
    }
    let tickets = state.reader.tickets(&filter).await?;
    let next = tickets
        .last()
        .filter(|_| tickets.len() as i64 == filter.limit)
        .map(|t| format!("{}:{}", t.last_message_at, t.id));
    let now = filter.now_ms;
    let items: Vec<Value> = tickets
        .iter()
        .map(|t| {
            let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
            v["sla_state"] = json!(SlaState::at(t.next_deadline_at, now, filter.warn_ms).as_str());
            v
        })
        .collect();
    Ok(Json(json!({"conversations": items, "next": next})))
}

async fn show(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, Failure> {
    let ticket = ops::visible_ticket(&state, &caller, id).await?;
    let thread = state.reader.ticket_thread(&ticket).await?;
    let labels = state.reader.ticket_labels(id).await?;
    Ok(Json(
        json!({"conversation": ticket, "thread": thread, "labels": labels}),
    ))
}

#[derive(Deserialize)]
struct TextBody {
    text: String,
}

async fn reply(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<TextBody>,
) -> Result<Json<Value>, Failure> {
    let entry = ops::reply(&state, &caller, id, &body.text).await?;
    Ok(Json(json!({"outbox": entry})))
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
    snooze_until: Option<i64>,
}

async fn status(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<StatusBody>,
) -> Result<Json<Value>, Failure> {
    let ticket = ops::set_status(&state, &caller, id, &body.status, body.snooze_until).await?;
    Ok(Json(json!({"conversation": ticket})))
}

#[derive(Deserialize)]
struct AssignBody {
    assignee_id: Option<i64>,
}

async fn assign(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<AssignBody>,
) -> Result<Json<Value>, Failure> {
    let ticket = ops::assign(&state, &caller, id, body.assignee_id).await?;
    Ok(Json(json!({"conversation": ticket})))
}

#[derive(Deserialize)]
struct RouteBody {
    body: String,
}

async fn route(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<RouteBody>,
) -> Result<Json<Value>, Failure> {
    let ticket = ops::route(&state, &caller, id, &body.body).await?;
    Ok(Json(json!({"conversation": ticket})))
}

async fn note(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<TextBody>,
) -> Result<Json<Value>, Failure> {
    let note = ops::note(&state, &caller, id, &body.text).await?;
    Ok(Json(json!({"note_id": note})))
}

#[derive(Deserialize)]
struct LabelBody {
    label: String,
    #[serde(default = "yes")]
    on: bool,
}

fn yes() -> bool {
    true
}

async fn label(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
    Json(body): Json<LabelBody>,
) -> Result<Json<Value>, Failure> {
    ops::label(&state, &caller, id, &body.label, body.on).await?;
    Ok(Json(
        json!({"labels": state.reader.ticket_labels(id).await?}),
    ))
}

async fn suggestions(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, Failure> {
    let ticket = ops::visible_ticket(&state, &caller, id).await?;
    Ok(Json(
        json!({"suggestions": ops::suggestions(&state, &ticket, 10)}),
    ))
}

async fn outbox(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<Fields>,
) -> Result<Json<Value>, Failure> {
    if caller.access.role == Role::Analyst {
        return Err(Failure::Forbidden);
    }
    let status = q.get("status").map(String::as_str).unwrap_or("queued");
    if !["awaiting_approval", "queued", "sent", "rejected"].contains(&status) {
        return Err(Failure::BadRequest(format!(
            "status: `{status}` is not an outbox status"
        )));
    }
    let entries = state
        .reader
        .outbox_by_status(status, caller.scope(), 1_000)
        .await?;
    Ok(Json(json!({"outbox": entries})))
}

async fn outbox_action(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, Failure> {
    let entry = ops::outbox_action(&state, &caller, id, &action).await?;
    Ok(Json(json!({"outbox": entry})))
}

async fn canned(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<Fields>,
) -> Result<Json<Value>, Failure> {
    let body = q.get("body").map(String::as_str);
    if body.is_some_and(|b| !caller.access.covers(Some(b))) {
        return Err(Failure::Forbidden);
    }
    let all = state.reader.canned_responses(body).await?;
    let visible: Vec<_> = all
        .into_iter()
        .filter(|c| c.body_key.is_none() || caller.access.covers(c.body_key.as_deref()))
        .collect();
    Ok(Json(json!({"canned_responses": visible})))
}

#[derive(Deserialize)]
struct CannedBody {
    body: Option<String>,
    title: String,
    text: String,
}

async fn canned_add(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Json(body): Json<CannedBody>,
) -> Result<Json<Value>, Failure> {
    let id = add_canned(
        &state,
        &caller,
        body.body.as_deref(),
        &body.title,
        &body.text,
    )
    .await?;
    Ok(Json(json!({"id": id})))
}

/// Adds a canned response: supervisors for their bodies, administrators for any or all.
pub async fn add_canned(
    state: &AppState,
    caller: &Caller,
    body: Option<&str>,
    title: &str,
    text: &str,
) -> Result<i64, Failure> {
    let allowed = match body {
        Some(b) => caller.access.may(Action::Supervise, Some(b)),
        None => caller.access.role == Role::Administrator,
    };
    if !allowed {
        return Err(Failure::Forbidden);
    }
    let title = ops::checked_text(title, "title")?;
    let text = ops::checked_text(text, "text")?;
    Ok(state.store.add_canned_response(body, title, text).await?)
}

async fn search(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<Fields>,
) -> Result<Json<Value>, Failure> {
    let query: String = q
        .get("q")
        .map(|s| s.chars().take(500).collect())
        .unwrap_or_default();
    if query.trim().is_empty() {
        return Err(Failure::BadRequest("q: must not be empty".into()));
    }
    let passages = state
        .search
        .as_ref()
        .and_then(|i| i.search(&query, None, 20).ok())
        .unwrap_or_default();
    let messages: Vec<Value> = state.reader.search_messages(query.trim(), caller.scope(), caller.sees_private(), 50)
        .await?
        .into_iter()
        .map(|(id, who, text, at)| json!({"conversation_id": id, "citizen": who, "text": text, "at": at}))
        .collect();
    Ok(Json(json!({"passages": passages, "messages": messages})))
}

async fn scorecards(
    State(state): State<Arc<AppState>>,
    ApiCaller(_caller): ApiCaller,
) -> Result<Json<Value>, Failure> {
    state
        .pipeline
        .scorecards()
        .await
        .map(Json)
        .map_err(Failure::Internal)
}

/// Ingest is for connectors: an administrator's token posts X data (JSON lines of API v2, v1.1,
/// archives); the new citizen messages are labelled, routed and appear in the inbox.
async fn ingest(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    bytes: Bytes,
) -> Result<Response, Failure> {
    ops::require_admin(&caller)?;
    let _guard = state.absorb_lock.lock().await;
    let imported = state
        .pipeline
        .ingest(bytes.to_vec())
        .await
        .map_err(Failure::BadRequest)?;
    let inbox = ops::absorb_locked(&state).await?;
    Ok(Json(json!({"import": imported, "inbox": inbox})).into_response())
}

async fn users(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Value>, Failure> {
    ops::require_admin(&caller)?;
    Ok(Json(json!({"users": state.reader.users().await?})))
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    password: String,
    role: String,
    #[serde(default)]
    bodies: Vec<String>,
}

async fn users_add(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Json(body): Json<UserBody>,
) -> Result<Json<Value>, Failure> {
    let id = add_user(
        &state,
        &caller,
        &body.name,
        &body.password,
        &body.role,
        &body.bodies,
    )
    .await?;
    Ok(Json(json!({"id": id})))
}

/// Adds a user (administrators only).
pub async fn add_user(
    state: &AppState,
    caller: &Caller,
    name: &str,
    password: &str,
    role: &str,
    bodies: &[String],
) -> Result<i64, Failure> {
    ops::require_admin(caller)?;
    create_user(state, name, password, role, bodies).await
}

/// Creates a user after checking every field (also used by `tawasul user add`).
pub async fn create_user(
    state: &AppState,
    name: &str,
    password: &str,
    role: &str,
    bodies: &[String],
) -> Result<i64, Failure> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 64
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Failure::BadRequest(
            "name: 1 to 64 characters, no spaces".into(),
        ));
    }
    if password.chars().count() < 10 {
        return Err(Failure::BadRequest(
            "password: at least 10 characters".into(),
        ));
    }
    let role = Role::parse(role).ok_or_else(|| {
        Failure::BadRequest(format!(
            "role: `{role}` is not administrator, supervisor, agent or analyst"
        ))
    })?;
    for body in bodies {
        if !state.bodies.iter().any(|b| &b.key == body) {
            return Err(Failure::BadRequest(format!(
                "body: no body `{body}` in the registry"
            )));
        }
    }
    if role != Role::Administrator && bodies.is_empty() {
        return Err(Failure::BadRequest(
            "body: every role but administrator works for at least one body".into(),
        ));
    }
    if state.reader.user_by_name(name).await?.is_some() {
        return Err(Failure::BadRequest(format!(
            "name: `{name}` exists already"
        )));
    }
    let hash = auth::hash_password(password)?;
    Ok(state
        .store
        .create_user(name, role.as_str(), &hash, bodies, crate::now_ms())
        .await?)
}

async fn body_settings(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(key): Path<String>,
) -> Result<Json<Value>, Failure> {
    if !caller.access.covers(Some(&key)) {
        return Err(Failure::Forbidden);
    }
    Ok(Json(
        json!({"settings": state.reader.body_settings(&key).await?}),
    ))
}

async fn body_settings_put(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Path(key): Path<String>,
    Json(body): Json<HashMap<String, Value>>,
) -> Result<Json<Value>, Failure> {
    ops::require_admin(&caller)?;
    // Fields left out keep their current values.
    let current = state.reader.body_settings(&key).await?;
    let number = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let flag = |b: bool| if b { "1".to_string() } else { String::new() };
    let mut fields: Fields = [
        ("calendar_toml", current.calendar_toml.clone()),
        ("first_response_min", number(current.first_response_min)),
        ("next_response_min", number(current.next_response_min)),
        ("resolution_min", number(current.resolution_min)),
        ("warn_before_min", current.warn_before_min.to_string()),
        ("four_eyes", flag(current.four_eyes)),
        ("round_robin", flag(current.round_robin)),
        (
            "out_of_hours_ack",
            current.out_of_hours_ack.clone().unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    fields.extend(body.into_iter().map(|(k, v)| {
        let text = match v {
            Value::String(s) => s,
            Value::Bool(true) => "1".into(),
            Value::Bool(false) | Value::Null => String::new(),
            other => other.to_string(),
        };
        (k, text)
    }));
    save_body_settings(&state, &caller, &key, &fields).await?;
    Ok(Json(
        json!({"settings": state.reader.body_settings(&key).await?}),
    ))
}

/// Saves a body's SLA targets, calendar, four-eyes, round-robin and acknowledgement
/// (administrators only); the calendar must parse.
pub async fn save_body_settings(
    state: &AppState,
    caller: &Caller,
    key: &str,
    form: &Fields,
) -> Result<(), Failure> {
    ops::require_admin(caller)?;
    if !state.bodies.iter().any(|b| b.key == key) {
        return Err(Failure::BadRequest(format!(
            "body: no body `{key}` in the registry"
        )));
    }
    let minutes = |field: &str| -> Result<Option<i64>, Failure> {
        match form.get(field).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|m| *m > 0 && *m < 525_600)
                .map(Some)
                .ok_or_else(|| Failure::BadRequest(format!("{field}: a number of minutes"))),
        }
    };
    let calendar_toml = form.get("calendar_toml").cloned().unwrap_or_default();
    if !calendar_toml.trim().is_empty() {
        tawasul_core::CalendarSpec::from_toml(&calendar_toml)
            .and_then(|spec| spec.build())
            .map_err(|e| Failure::BadRequest(format!("calendar_toml: {e}")))?;
    }
    let flag = |field: &str| {
        form.get(field)
            .is_some_and(|v| v == "1" || v == "on" || v == "true")
    };
    let settings = BodySettings {
        body_key: key.to_string(),
        calendar_toml,
        first_response_min: minutes("first_response_min")?,
        next_response_min: minutes("next_response_min")?,
        resolution_min: minutes("resolution_min")?,
        warn_before_min: minutes("warn_before_min")?.unwrap_or(15),
        four_eyes: flag("four_eyes"),
        round_robin: flag("round_robin"),
        out_of_hours_ack: form
            .get("out_of_hours_ack")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    };
    state.store.save_body_settings(&settings).await?;
    state
        .store
        .audit(Some(caller.user.id), "settings", None, key, crate::now_ms())
        .await?;
    Ok(())
}

async fn webhooks(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Value>, Failure> {
    ops::require_admin(&caller)?;
    Ok(Json(json!({"webhooks": state.reader.webhooks().await?})))
}

#[derive(Deserialize)]
struct WebhookBody {
    url: String,
    secret: String,
    #[serde(default)]
    events: String,
}

async fn webhooks_add(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Json(body): Json<WebhookBody>,
) -> Result<Json<Value>, Failure> {
    let id = add_webhook(&state, &caller, &body.url, &body.secret, &body.events).await?;
    Ok(Json(json!({"id": id})))
}

/// Adds a webhook (administrators only); `http://` targets, secrets of 16+ characters.
pub async fn add_webhook(
    state: &AppState,
    caller: &Caller,
    url: &str,
    secret: &str,
    events: &str,
) -> Result<i64, Failure> {
    ops::require_admin(caller)?;
    if crate::webhooks::parse_http_url(url).is_none() {
        return Err(Failure::BadRequest(
            "url: expected http://host[:port]/path".into(),
        ));
    }
    if secret.chars().count() < 16 {
        return Err(Failure::BadRequest("secret: at least 16 characters".into()));
    }
    let events = if events.trim().is_empty() {
        "*"
    } else {
        events.trim()
    };
    Ok(state.store.add_webhook(url, secret, events).await?)
}

async fn audit(
    State(state): State<Arc<AppState>>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<Fields>,
) -> Result<Json<Value>, Failure> {
    let ticket = q.get("conversation_id").and_then(|v| v.parse::<i64>().ok());
    match ticket {
        Some(id) => {
            let t = ops::visible_ticket(&state, &caller, id).await?;
            if !caller.access.may(Action::Supervise, t.body_key.as_deref()) {
                return Err(Failure::Forbidden);
            }
        }
        None => ops::require_admin(&caller)?,
    }
    let rows: Vec<Value> = state.reader.audit_trail(ticket, 500)
        .await?
        .into_iter()
        .map(|(at, user, action, detail)| json!({"at": at, "user": user, "action": action, "detail": detail}))
        .collect();
    Ok(Json(json!({"audit": rows})))
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../static/openapi.json"),
    )
        .into_response()
}
