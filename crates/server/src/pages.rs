//! Server-rendered pages. Every page works without JavaScript; forms post with the session's
//! CSRF token; every text that came from outside (citizens, posts, names) is escaped.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futures_util::StreamExt;
use tawasul_core::access::{Action, Role};
use tawasul_core::sla::SlaState;
use tawasul_store::inbox::{TicketFilter, TicketRecord};
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::{self, Caller, PageCaller};
use crate::html::{cairo_time, duration, esc, page, t, Lang};
use crate::{ops, AppState, Failure};

type Fields = HashMap<String, String>;

/// Routes of the web app.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/inbox", get(inbox))
        .route("/conversations/{id}", get(conversation))
        .route("/conversations/{id}/{action}", post(conversation_action))
        .route("/outbox", get(outbox))
        .route("/outbox/export", get(outbox_export))
        .route("/outbox/{id}/{action}", post(outbox_post))
        .route("/dashboard", get(dashboard))
        .route("/report", get(report))
        .route("/search", get(search))
        .route("/settings", get(settings))
        .route("/settings/{section}", post(settings_post))
        .route("/events", get(events))
        .route(
            "/static/app.css",
            get(|| async { static_file("text/css", include_str!("../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_file("text/javascript", include_str!("../static/app.js")) }),
        )
}

fn static_file(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn shell(lang: Lang, caller: &Caller, title: &str, active: &str, main: &str) -> Response {
    let csrf = caller.csrf.clone().unwrap_or_default();
    Html(page(
        lang,
        title,
        active,
        Some((&caller.user.name, &csrf)),
        main,
    ))
    .into_response()
}

fn failure_page(lang: Lang, caller: Option<&Caller>, failure: Failure) -> Response {
    let key = match failure {
        Failure::Forbidden => "forbidden",
        Failure::NotFound => "not_found",
        _ => "error",
    };
    let main = format!(
        "<h1>{}</h1><p role=\"alert\">{}</p><p><a href=\"/inbox\">{}</a></p>",
        t(lang, key),
        esc(&failure.to_string()),
        t(lang, "inbox")
    );
    let status = failure.status();
    let body = match caller {
        Some(c) => shell(lang, c, t(lang, key), "", &main),
        None => Html(page(lang, t(lang, key), "", None, &main)).into_response(),
    };
    (status, body).into_response()
}

async fn login_page(headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let lang = Lang::from_headers(&headers);
    let error = q.get("error").map(|e| {
        let key = if e == "limit" {
            "too_many"
        } else {
            "bad_login"
        };
        format!("<p class=\"error\" role=\"alert\">{}</p>", t(lang, key))
    });
    let other = if lang == Lang::Ar {
        ("en", "English")
    } else {
        ("ar", "العربية")
    };
    let main = format!(
        "<section class=\"login\"><h1>{app}</h1>{error}<form method=\"post\" action=\"/login\">\
         <label for=\"name\">{name}</label><input id=\"name\" name=\"name\" autocomplete=\"username\" required autofocus>\
         <label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">{login}</button></form><p><a href=\"/lang/{code}\" lang=\"{code}\">{label}</a></p></section>",
        app = t(lang, "app"),
        error = error.unwrap_or_default(),
        name = t(lang, "name"),
        password = t(lang, "password"),
        login = t(lang, "login"),
        code = other.0,
        label = other.1,
    );
    Html(page(lang, t(lang, "login"), "", None, &main)).into_response()
}

async fn login_submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(address): ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<Fields>,
) -> Response {
    let name = form.get("name").map(String::as_str).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    match auth::login(&state, name, password, &address.ip().to_string()).await {
        Ok(token) => (
            [(
                header::SET_COOKIE,
                auth::session_cookie(&token, state.secure_cookies),
            )],
            Redirect::to("/inbox"),
        )
            .into_response(),
        Err(Failure::TooManyRequests) => Redirect::to("/login?error=limit").into_response(),
        Err(Failure::Unauthorized) => Redirect::to("/login?error=1").into_response(),
        Err(other) => other.into_response(),
    }
}

async fn logout(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    if caller
        .check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))
        .is_err()
    {
        return failure_page(
            Lang::from_headers(&headers),
            Some(&caller),
            Failure::Forbidden,
        );
    }
    if let Some(token) = auth::session_token(&headers) {
        let _ = state.store.delete_session(&auth::token_hash(&token)).await;
    }
    (
        [(header::SET_COOKIE, auth::clear_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let value = if code == "en" { "en" } else { "ar" };
    let back = back_path(&headers).unwrap_or_else(|| "/inbox".to_string());
    (
        [(
            header::SET_COOKIE,
            format!("lang={value}; Path=/; SameSite=Lax; Max-Age=31536000"),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

/// The page a language switch was clicked on: a path on this very host (the Referer's host
/// must be the request's `Host`), never a way to send the browser elsewhere (`//host`, `/\host`).
fn back_path(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (_, rest) = referer.split_once("://")?;
    let slash = rest.find('/')?;
    if &rest[..slash] != host {
        return None;
    }
    let path = &rest[slash..];
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && !path.starts_with("/lang/");
    safe.then(|| path.to_string())
}

fn sla_of(ticket: &TicketRecord, now: i64, warn: i64) -> SlaState {
    SlaState::at(ticket.next_deadline_at, now, warn)
}

fn opt<'a>(q: &'a Fields, key: &str) -> Option<&'a str> {
    q.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

fn select(
    lang: Lang,
    name: &str,
    label: &str,
    current: Option<&str>,
    options: &[(String, String)],
) -> String {
    let mut out = format!("<label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\"><option value=\"\">{}</option>", t(lang, "any"));
    for (value, text) in options {
        let selected = if current == Some(value.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(value),
            esc(text)
        );
    }
    out.push_str("</select>");
    out
}

/// The filters of an inbox request, shared with the API.
pub fn ticket_filter(caller: &Caller, q: &Fields, warn_ms: i64) -> Result<TicketFilter, Failure> {
    let assignee = match opt(q, "assignee") {
        Some("none") => Some(0),
        Some("me") => Some(caller.user.id),
        Some(other) => Some(other.parse().map_err(|_| {
            Failure::BadRequest(format!(
                "assignee: `{other}` is not a user id, `me` or `none`"
            ))
        })?),
        None => None,
    };
    let before = match opt(q, "before") {
        Some(cursor) => {
            let (at, id) = cursor
                .split_once(':')
                .ok_or_else(|| Failure::BadRequest("before: expected `time:id`".into()))?;
            Some((
                at.parse()
                    .map_err(|_| Failure::BadRequest("before: bad time".into()))?,
                id.parse()
                    .map_err(|_| Failure::BadRequest("before: bad id".into()))?,
            ))
        }
        None => None,
    };
    if let Some(sla) = opt(q, "sla") {
        if !["breached", "warning", "ok"].contains(&sla) {
            return Err(Failure::BadRequest(format!(
                "sla: `{sla}` is not breached, warning or ok"
            )));
        }
    }
    if let Some(status) = opt(q, "status") {
        if !ops::STATUSES.contains(&status) {
            return Err(Failure::BadRequest(format!(
                "status: `{status}` is not one of open, pending, snoozed, resolved"
            )));
        }
    }
    let limit = match opt(q, "limit") {
        Some(l) => l
            .parse::<i64>()
            .map_err(|_| Failure::BadRequest("limit: not a number".into()))?
            .clamp(1, 200),
        None => 50,
    };
    Ok(TicketFilter {
        bodies: caller.scope().map(<[String]>::to_vec),
        include_private: caller.sees_private(),
        status: opt(q, "status").map(String::from),
        body: opt(q, "body").map(String::from),
        intent: opt(q, "intent").map(String::from),
        assignee,
        label: opt(q, "label").map(String::from),
        sla: opt(q, "sla").map(String::from),
        now_ms: crate::now_ms(),
        warn_ms,
        before,
        limit,
    })
}

const WARN_MS: i64 = 15 * 60_000;

async fn inbox(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Query(mut q): Query<Fields>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if !q.contains_key("status") {
        q.insert("status".into(), "open".into());
    }
    let filter = match ticket_filter(&caller, &q, WARN_MS) {
        Ok(f) => f,
        Err(e) => return failure_page(lang, Some(&caller), e),
    };
    // One connection for the page's three reads.
    let tawasul_store::inbox::InboxView {
        tickets,
        counts,
        users,
    } = match state.reader.inbox_view(&filter).await {
        Ok(view) => view,
        Err(e) => return failure_page(lang, Some(&caller), e.into()),
    };
    let now = filter.now_ms;
    let mut main = String::with_capacity(16_384);
    let _ = write!(
        main,
        "<h1>{}</h1><p class=\"hint\">{}</p><nav class=\"tabs\" aria-label=\"{}\"><ul>",
        t(lang, "inbox"),
        t(lang, "shortcuts"),
        t(lang, "status")
    );
    for status in ops::STATUSES {
        let n = counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let current = if filter.status.as_deref() == Some(status) {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(main, "<li><a href=\"/inbox?status={status}\"{current}>{} <span class=\"count\">{n}</span></a></li>", t(lang, status));
    }
    main.push_str("</ul></nav>");
    // Filters: a plain GET form.
    let bodies: Vec<(String, String)> = state
        .bodies
        .iter()
        .filter(|b| caller.access.covers(Some(&b.key)))
        .map(|b| (b.key.clone(), state.body_name(&b.key, lang)))
        .collect();
    let statuses: Vec<(String, String)> = ops::STATUSES
        .iter()
        .map(|s| (s.to_string(), t(lang, s).to_string()))
        .collect();
    let intents: Vec<(String, String)> = [
        "question",
        "complaint",
        "request",
        "praise",
        "opinion",
        "other",
    ]
    .iter()
    .map(|s| (s.to_string(), s.to_string()))
    .collect();
    let slas: Vec<(String, String)> = ["breached", "warning", "ok"]
        .iter()
        .map(|s| (s.to_string(), t(lang, s).to_string()))
        .collect();
    let mut assignees: Vec<(String, String)> = vec![
        ("me".into(), t(lang, "mine").into()),
        ("none".into(), t(lang, "unassigned").into()),
    ];
    assignees.extend(
        users
            .iter()
            .filter(|u| u.role != "analyst")
            .map(|u| (u.id.to_string(), u.name.clone())),
    );
    let _ = write!(
        main,
        "<form class=\"filters\" method=\"get\" action=\"/inbox\">{}{}{}{}{}<label for=\"f-label\">{}</label><input id=\"f-label\" name=\"label\" value=\"{}\"><button type=\"submit\">{}</button></form>",
        select(lang, "status", t(lang, "status"), filter.status.as_deref(), &statuses),
        select(lang, "body", t(lang, "body"), filter.body.as_deref(), &bodies),
        select(lang, "intent", t(lang, "intent"), filter.intent.as_deref(), &intents),
        select(lang, "sla", t(lang, "sla"), filter.sla.as_deref(), &slas),
        select(lang, "assignee", t(lang, "assignee"), opt(&q, "assignee"), &assignees),
        t(lang, "label"),
        esc(filter.label.as_deref().unwrap_or("")),
        t(lang, "filter"),
    );
    if tickets.is_empty() {
        let _ = write!(main, "<p>{}</p>", t(lang, "empty"));
    } else {
        let _ = write!(
            main,
            "<div class=\"scroll\"><table class=\"tickets\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            t(lang, "citizen"), t(lang, "message"), t(lang, "body"), t(lang, "intent"), t(lang, "sla"), t(lang, "assignee"), t(lang, "last")
        );
        for ticket in &tickets {
            let sla = sla_of(ticket, now, WARN_MS);
            let due = ticket
                .next_deadline_at
                .map(|d| duration(d - now, lang))
                .unwrap_or_default();
            let _ = write!(
                main,
                "<tr data-row><td><a href=\"/conversations/{id}\">{who}</a> <span class=\"chan {chan}\">{chan_label}</span></td><td class=\"preview\" dir=\"auto\">{text}</td><td>{body}</td><td>{intent}</td><td><span class=\"sla {sla}\">{sla_label}</span> {due}</td><td>{assignee}</td><td><time>{last}</time></td></tr>",
                id = ticket.id,
                who = esc(&ticket.citizen_handle.as_deref().map(|h| format!("@{h}")).unwrap_or_else(|| ticket.citizen_id.unwrap_or(0).to_string())),
                chan = ticket.channel,
                chan_label = t(lang, &ticket.channel),
                text = esc(ticket.last_message_text.as_deref().unwrap_or("")),
                body = esc(&ticket.body_key.as_deref().map(|b| state.body_name(b, lang)).unwrap_or_default()),
                intent = esc(ticket.intent.as_deref().unwrap_or("")),
                sla = sla.as_str(),
                sla_label = t(lang, sla.as_str()),
                assignee = esc(ticket.assignee_name.as_deref().unwrap_or("")),
                last = cairo_time(ticket.last_message_at),
            );
        }
        main.push_str("</tbody></table></div>");
        if let Some(last) = tickets
            .last()
            .filter(|_| tickets.len() as i64 == filter.limit)
        {
            let mut next: Vec<String> = q
                .iter()
                .filter(|(k, v)| k.as_str() != "before" && !v.is_empty())
                .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
                .collect();
            next.push(format!("before={}:{}", last.last_message_at, last.id));
            let _ = write!(
                main,
                "<p><a rel=\"next\" href=\"/inbox?{}\">{}</a></p>",
                esc(&next.join("&")),
                t(lang, "next_page")
            );
        }
    }
    shell(lang, &caller, t(lang, "inbox"), "inbox", &main)
}

/// Percent-encodes a query component.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

async fn conversation(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<Fields>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let ticket = match ops::visible_ticket(&state, &caller, id).await {
        Ok(t) => t,
        Err(e) => return failure_page(lang, Some(&caller), e),
    };
    match render_conversation(&state, &caller, lang, &ticket, &q).await {
        Ok(main) => shell(lang, &caller, t(lang, "thread"), "inbox", &main),
        Err(e) => failure_page(lang, Some(&caller), e),
    }
}

async fn render_conversation(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    ticket: &TicketRecord,
    q: &Fields,
) -> Result<String, Failure> {
    // One connection for the page's reads.
    let tawasul_store::inbox::ConversationView {
        thread,
        history,
        labels,
        canned,
        users,
    } = state
        .reader
        .conversation_view(ticket, caller.scope(), caller.sees_private())
        .await?;
    let suggestions = ops::suggestions(state, ticket, 5);
    let now = crate::now_ms();
    let csrf = esc(caller.csrf.as_deref().unwrap_or(""));
    let works = caller.access.may(Action::Work, ticket.body_key.as_deref());
    let supervises = caller
        .access
        .may(Action::Supervise, ticket.body_key.as_deref());
    let who = ticket
        .citizen_handle
        .as_deref()
        .map(|h| format!("@{h}"))
        .unwrap_or_else(|| ticket.citizen_id.unwrap_or(0).to_string());
    let body_name = ticket
        .body_key
        .as_deref()
        .map(|b| state.body_name(b, lang))
        .unwrap_or_default();
    // The reply box starts with a chosen canned response or suggestion (works without JS).
    let agent_name = caller.user.name.clone();
    let mut draft = String::new();
    if let Some(c) = q
        .get("canned")
        .and_then(|c| c.parse::<i64>().ok())
        .and_then(|c| canned.iter().find(|x| x.id == c))
    {
        draft = tawasul_core::access::fill_canned(
            &c.text,
            &[
                ("citizen", &who),
                ("agent", &agent_name),
                ("body", &body_name),
                ("conversation", &ticket.id.to_string()),
            ],
        );
    } else if let Some(hit) = q
        .get("suggest")
        .and_then(|s| s.parse::<usize>().ok())
        .and_then(|s| suggestions.get(s))
    {
        draft = format!("{} {}", hit.passage, hit.source);
    }
    let mut main = String::with_capacity(16_384);
    let sla = SlaState::at(ticket.next_deadline_at, now, WARN_MS);
    let _ = write!(
        main,
        "<h1>{who} <span class=\"chan {chan}\">{chan_label}</span></h1><p class=\"meta\">{body_label}: <strong>{body}</strong> · {status_label}: <strong>{status}</strong> · {sla_label}: <span class=\"sla {sla}\">{sla_text}</span>",
        who = esc(&who),
        chan = ticket.channel,
        chan_label = t(lang, &ticket.channel),
        body_label = t(lang, "body"),
        body = esc(&body_name),
        status_label = t(lang, "status"),
        status = t(lang, &ticket.status),
        sla_label = t(lang, "sla"),
        sla = sla.as_str(),
        sla_text = t(lang, sla.as_str()),
    );
    for (key, due) in [
        ("first_response", ticket.first_response_due),
        ("next_response", ticket.next_response_due),
        ("resolution", ticket.resolution_due),
    ] {
        if let Some(due) = due {
            let _ = write!(
                main,
                " · {}: <time>{}</time> ({})",
                t(lang, key),
                cairo_time(due),
                duration(due - now, lang)
            );
        }
    }
    main.push_str(
        "</p><div class=\"columns\"><section class=\"thread\" aria-labelledby=\"thread-h\">",
    );
    let _ = write!(
        main,
        "<h2 id=\"thread-h\">{}</h2><ol class=\"messages\">",
        t(lang, "thread")
    );
    for entry in &thread {
        let tag = entry
            .tag
            .as_deref()
            .map(|t_| {
                format!(
                    " <span class=\"tag\">{}</span>",
                    esc(if t(lang, t_).is_empty() {
                        t_
                    } else {
                        t(lang, t_)
                    })
                )
            })
            .unwrap_or_default();
        let _ = write!(
            main,
            "<li class=\"msg {kind}\"><p class=\"who\">{author} · <time>{at}</time>{tag}</p><p class=\"text\" dir=\"auto\">{text}</p>",
            kind = esc(&entry.kind),
            author = esc(&entry.author),
            at = cairo_time(entry.at),
            text = esc(&entry.text),
        );
        if entry.kind == "outbox" {
            let status = entry.tag.as_deref().unwrap_or("");
            let mut actions: Vec<&str> = Vec::new();
            if status == "awaiting_approval" && supervises {
                actions.extend(["approve", "reject"]);
            }
            if status == "queued" && works {
                actions.push("sent");
            }
            for action in actions {
                let label = if action == "sent" {
                    "mark_sent"
                } else {
                    action
                };
                let _ = write!(main, "<form class=\"inline\" method=\"post\" action=\"/outbox/{}/{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{}</button></form>", entry.id, t(lang, label));
            }
        }
        main.push_str("</li>");
    }
    main.push_str("</ol>");
    if works {
        let _ = write!(
            main,
            "<form class=\"reply\" method=\"post\" action=\"/conversations/{id}/reply\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"reply-text\">{reply}</label><textarea id=\"reply-text\" name=\"text\" rows=\"4\" maxlength=\"10000\" dir=\"auto\" required>{draft}</textarea>\
             <button type=\"submit\" id=\"send\">{send}</button></form>\
             <form class=\"note\" method=\"post\" action=\"/conversations/{id}/note\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"note-text\">{note}</label><textarea id=\"note-text\" name=\"text\" rows=\"2\" maxlength=\"10000\" dir=\"auto\" required></textarea>\
             <button type=\"submit\">{add_note}</button></form>",
            id = ticket.id,
            reply = t(lang, "reply"),
            draft = esc(&draft),
            send = t(lang, "send"),
            note = t(lang, "note"),
            add_note = t(lang, "add_note"),
        );
    }
    main.push_str("</section><aside>");
    // Suggestions, each with its source.
    let _ = write!(
        main,
        "<section aria-labelledby=\"sugg-h\"><h2 id=\"sugg-h\">{}</h2>",
        t(lang, "suggestions")
    );
    if suggestions.is_empty() {
        let _ = write!(main, "<p>{}</p>", t(lang, "no_results"));
    }
    main.push_str("<ol class=\"suggestions\">");
    for (i, hit) in suggestions.iter().enumerate() {
        let source = if hit.source.starts_with("https://") {
            format!(
                "<a href=\"{0}\" rel=\"noopener noreferrer\">{0}</a>",
                esc(&hit.source)
            )
        } else {
            esc(&hit.source)
        };
        let _ = write!(
            main,
            "<li><p class=\"title\">{title} <span class=\"tag\">{label}</span></p><p dir=\"auto\">{passage}</p><p class=\"source\">{src}: {source}</p>{use_link}</li>",
            title = esc(&hit.title),
            label = esc(&hit.label),
            passage = esc(&hit.passage),
            src = t(lang, "source"),
            use_link = if works { format!("<a class=\"use\" href=\"/conversations/{}?suggest={i}#reply-text\">{}</a>", ticket.id, t(lang, "use")) } else { String::new() },
        );
    }
    main.push_str("</ol></section>");
    if works && !canned.is_empty() {
        let _ = write!(
            main,
            "<section aria-labelledby=\"canned-h\"><h2 id=\"canned-h\">{}</h2><ul>",
            t(lang, "canned")
        );
        for c in &canned {
            let _ = write!(
                main,
                "<li><a href=\"/conversations/{}?canned={}#reply-text\">{}</a></li>",
                ticket.id,
                c.id,
                esc(&c.title)
            );
        }
        main.push_str("</ul></section>");
    }
    if works {
        let statuses: String = ops::STATUSES
            .iter()
            .map(|s| {
                let selected = if *s == ticket.status { " selected" } else { "" };
                format!("<option value=\"{s}\"{selected}>{}</option>", t(lang, s))
            })
            .collect();
        let _ = write!(
            main,
            "<section aria-labelledby=\"act-h\"><h2 id=\"act-h\">{status_l}</h2><form method=\"post\" action=\"/conversations/{id}/status\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"status\">{status_l}</label><select id=\"status\" name=\"status\">{statuses}</select>\
             <label for=\"snooze\">{snooze}</label><input id=\"snooze\" name=\"snooze_hours\" type=\"number\" min=\"1\" max=\"720\" placeholder=\"h\">\
             <button type=\"submit\" id=\"set-status\">{set}</button></form>",
            id = ticket.id,
            status_l = t(lang, "status"),
            snooze = t(lang, "snooze_until"),
            set = t(lang, "set_status"),
        );
        // Assignment: agents take; supervisors choose.
        if supervises {
            let options: String = users
                .iter()
                .filter(|u| {
                    u.role != "analyst"
                        && (u.role == "administrator"
                            || ticket
                                .body_key
                                .as_deref()
                                .is_some_and(|b| u.bodies.iter().any(|x| x == b)))
                })
                .map(|u| {
                    let selected = if Some(u.id) == ticket.assignee_id {
                        " selected"
                    } else {
                        ""
                    };
                    format!(
                        "<option value=\"{}\"{selected}>{}</option>",
                        u.id,
                        esc(&u.name)
                    )
                })
                .collect();
            let _ = write!(main, "<form method=\"post\" action=\"/conversations/{}/assign\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"assignee\">{}</label><select id=\"assignee\" name=\"assignee\"><option value=\"\">{}</option>{options}</select><button type=\"submit\">{}</button></form>", ticket.id, t(lang, "assignee"), t(lang, "unassigned"), t(lang, "assign"));
        } else if ticket.assignee_id != Some(caller.user.id) {
            let _ = write!(main, "<form method=\"post\" action=\"/conversations/{}/assign\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"assignee\" value=\"{}\"><button type=\"submit\">{}</button></form>", ticket.id, caller.user.id, t(lang, "take"));
        }
        let bodies: String = state
            .bodies
            .iter()
            .map(|b| {
                let selected = if ticket.body_key.as_deref() == Some(b.key.as_str()) {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value=\"{}\"{selected}>{}</option>",
                    esc(&b.key),
                    esc(&state.body_name(&b.key, lang))
                )
            })
            .collect();
        let _ = write!(main, "<form method=\"post\" action=\"/conversations/{}/route\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"route\">{}</label><select id=\"route\" name=\"body\">{bodies}</select><button type=\"submit\">{}</button></form>", ticket.id, t(lang, "route"), t(lang, "route"));
        let _ = write!(main, "<form method=\"post\" action=\"/conversations/{}/label\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"label\">{}</label><input id=\"label\" name=\"label\" maxlength=\"64\" required><input type=\"hidden\" name=\"on\" value=\"1\"><button type=\"submit\">{}</button></form></section>", ticket.id, t(lang, "add_label"), t(lang, "add"));
    }
    if !labels.is_empty() {
        let _ = write!(
            main,
            "<section><h2>{}</h2><ul class=\"labels\">",
            t(lang, "labels")
        );
        for label in &labels {
            let _ = write!(
                main,
                "<li><a href=\"/inbox?status=&label={}\">{}</a></li>",
                url_encode(label),
                esc(label)
            );
        }
        main.push_str("</ul></section>");
    }
    let _ = write!(
        main,
        "<section aria-labelledby=\"hist-h\"><h2 id=\"hist-h\">{}</h2><ul>",
        t(lang, "history")
    );
    for h in &history {
        let _ = write!(
            main,
            "<li><a href=\"/conversations/{}\">{}</a> · {} · <time>{}</time></li>",
            h.id,
            esc(h.last_message_text.as_deref().unwrap_or("")),
            t(lang, &h.status),
            cairo_time(h.last_message_at)
        );
    }
    main.push_str("</ul></section>");
    if supervises {
        let trail = state.reader.audit_trail(Some(ticket.id), 30).await?;
        let _ = write!(
            main,
            "<section><h2>{}</h2><ul class=\"audit\">",
            t(lang, "audit")
        );
        for (at, user, action, detail) in trail {
            let _ = write!(
                main,
                "<li><time>{}</time> {} {} {}</li>",
                cairo_time(at),
                esc(user.as_deref().unwrap_or("system")),
                esc(&action),
                esc(&detail)
            );
        }
        main.push_str("</ul></section>");
    }
    main.push_str("</aside></div>");
    Ok(main)
}

async fn conversation_action(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if let Err(e) = caller.check_csrf(form.get("csrf").map(String::as_str).unwrap_or("")) {
        return failure_page(lang, Some(&caller), e);
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let result = match action.as_str() {
        "reply" => ops::reply(&state, &caller, id, field("text"))
            .await
            .map(|_| ()),
        "note" => ops::note(&state, &caller, id, field("text"))
            .await
            .map(|_| ()),
        "status" => {
            let snooze = field("snooze_hours")
                .parse::<i64>()
                .ok()
                .map(|h| crate::now_ms() + h.clamp(1, 720) * 3_600_000);
            ops::set_status(&state, &caller, id, field("status"), snooze)
                .await
                .map(|_| ())
        }
        "assign" => {
            let assignee = match field("assignee") {
                "" => Ok(None),
                v => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| Failure::BadRequest("assignee: not a user id".into())),
            };
            match assignee {
                Ok(a) => ops::assign(&state, &caller, id, a).await.map(|_| ()),
                Err(e) => Err(e),
            }
        }
        "route" => ops::route(&state, &caller, id, field("body"))
            .await
            .map(|_| ()),
        "label" => ops::label(&state, &caller, id, field("label"), field("on") != "0").await,
        _ => Err(Failure::NotFound),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) => failure_page(lang, Some(&caller), e),
    }
}

async fn outbox(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_headers(&headers);
    // Replies include answers to DMs, which analysts never see.
    if caller.access.role == Role::Analyst {
        return failure_page(lang, Some(&caller), Failure::Forbidden);
    }
    let csrf = esc(caller.csrf.as_deref().unwrap_or(""));
    let mut main = format!(
        "<h1>{}</h1><p><a href=\"/outbox/export\">{} (JSON lines)</a></p>",
        t(lang, "outbox"),
        t(lang, "export")
    );
    for status in ["awaiting_approval", "queued", "sent"] {
        let entries = match state
            .reader
            .outbox_by_status(status, caller.scope(), 200)
            .await
        {
            Ok(e) => e,
            Err(e) => return failure_page(lang, Some(&caller), e.into()),
        };
        let _ = write!(
            main,
            "<section><h2>{} <span class=\"count\">{}</span></h2><ul class=\"outbox\">",
            t(lang, status),
            entries.len()
        );
        for e in entries {
            let _ = write!(main, "<li><a href=\"/conversations/{}\">#{}</a> <span dir=\"auto\">{}</span> <time>{}</time>", e.ticket_id, e.ticket_id, esc(&e.text), cairo_time(e.created_at));
            let actions: &[&str] = match status {
                "awaiting_approval"
                    if caller.access.role != Role::Agent && caller.access.role != Role::Analyst =>
                {
                    &["approve", "reject"]
                }
                "queued" if caller.access.role != Role::Analyst => &["sent"],
                _ => &[],
            };
            for action in actions {
                let label = if *action == "sent" {
                    "mark_sent"
                } else {
                    action
                };
                let _ = write!(main, " <form class=\"inline\" method=\"post\" action=\"/outbox/{}/{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{}</button></form>", e.id, t(lang, label));
            }
            main.push_str("</li>");
        }
        main.push_str("</ul></section>");
    }
    shell(lang, &caller, t(lang, "outbox"), "outbox", &main)
}

async fn outbox_export(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
) -> Response {
    if caller.access.role == Role::Analyst {
        return Failure::Forbidden.into_response();
    }
    match state
        .reader
        .outbox_by_status("queued", caller.scope(), 100_000)
        .await
    {
        Ok(entries) => {
            let mut out = String::new();
            for e in entries {
                if let Ok(line) = serde_json::to_string(&e) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            (
                [
                    (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"outbox.jsonl\"",
                    ),
                ],
                out,
            )
                .into_response()
        }
        Err(e) => Failure::from(e).into_response(),
    }
}

async fn outbox_post(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if let Err(e) = caller.check_csrf(form.get("csrf").map(String::as_str).unwrap_or("")) {
        return failure_page(lang, Some(&caller), e);
    }
    match ops::outbox_action(&state, &caller, id, &action).await {
        Ok(entry) => Redirect::to(&format!("/conversations/{}", entry.ticket_id)).into_response(),
        Err(e) => failure_page(lang, Some(&caller), e),
    }
}

async fn dashboard(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let mut main = format!("<h1>{}</h1>", t(lang, "dashboard"));
    let counts = state
        .reader
        .ticket_counts(caller.scope(), caller.sees_private())
        .await
        .unwrap_or_default();
    main.push_str("<ul class=\"cards\">");
    for status in ops::STATUSES {
        let n = counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let _ = write!(
            main,
            "<li><a href=\"/inbox?status={status}\"><span class=\"big\">{n}</span> {}</a></li>",
            t(lang, status)
        );
    }
    let now = crate::now_ms();
    for sla in ["breached", "warning"] {
        let filter = TicketFilter {
            bodies: caller.scope().map(<[String]>::to_vec),
            include_private: caller.sees_private(),
            sla: Some(sla.into()),
            status: Some("open".into()),
            now_ms: now,
            warn_ms: WARN_MS,
            limit: 500,
            ..TicketFilter::default()
        };
        let n = state
            .reader
            .tickets(&filter)
            .await
            .map(|t| t.len())
            .unwrap_or(0);
        let _ = write!(main, "<li><a href=\"/inbox?status=open&amp;sla={sla}\"><span class=\"big sla {sla}\">{n}{}</span> {}</a></li>", if n == 500 { "+" } else { "" }, t(lang, sla));
    }
    main.push_str("</ul>");
    let agents = state
        .reader
        .agent_figures(caller.scope())
        .await
        .unwrap_or_default();
    let _ = write!(main, "<section><h2>{}</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>", t(lang, "agents"), t(lang, "name"), t(lang, "responses"), t(lang, "mean_wall"), t(lang, "mean_business"), t(lang, "breaches"));
    for a in agents {
        let secs = |s: Option<f64>| {
            s.map(|s| duration((s * 1000.0) as i64, lang))
                .unwrap_or_default()
        };
        let _ = write!(
            main,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.name),
            a.responses,
            secs(a.mean_wall_s),
            secs(a.mean_business_s),
            a.breaches
        );
    }
    main.push_str("</tbody></table></div></section>");
    match state.pipeline.scorecards().await {
        Ok(report) => {
            let _ = write!(main, "<section><h2>{}</h2><p><a href=\"/report\">{}</a></p><div class=\"scroll\"><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>", t(lang, "ranking"), t(lang, "full_report"), t(lang, "account"), t(lang, "body"), t(lang, "reply_rate"), t(lang, "median"), t(lang, "index"));
            let accounts = report
                .get("accounts")
                .and_then(|a| a.as_array())
                .cloned()
                .unwrap_or_default();
            for (rank, a) in accounts.iter().enumerate() {
                let text = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let rate = a
                    .get("reply_rate")
                    .and_then(|v| v.as_f64())
                    .map(|r| format!("{:.0}%", r * 100.0))
                    .unwrap_or_else(|| "—".into());
                let median = a
                    .get("median_response_s")
                    .and_then(|v| v.as_f64())
                    .map(|s| duration((s * 1000.0) as i64, lang))
                    .unwrap_or_else(|| "—".into());
                let index = a
                    .get("interactivity_index")
                    .and_then(|v| v.as_f64())
                    .map(|i| format!("{i:.1}"))
                    .unwrap_or_else(|| "—".into());
                let _ = write!(main, "<tr><td>{}</td><td>@{}</td><td>{}</td><td>{rate}</td><td>{median}</td><td>{index}</td></tr>", rank + 1, esc(&text("handle")), esc(&state.body_name(&text("body"), lang)));
            }
            main.push_str("</tbody></table></div></section>");
        }
        Err(e) => {
            let _ = write!(main, "<p class=\"error\">{}</p>", esc(&e));
        }
    }
    shell(lang, &caller, t(lang, "dashboard"), "dashboard", &main)
}

async fn report(
    State(state): State<Arc<AppState>>,
    PageCaller(_caller): PageCaller,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_headers(&headers);
    match state.pipeline.report_html(lang.code()).await {
        // The report is one self-contained page with its own inline styles and no script.
        Ok(html) => ([(header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")], Html(html)).into_response(),
        Err(e) => Failure::Internal(e).into_response(),
    }
}

async fn search(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Query(q): Query<Fields>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let query = q
        .get("q")
        .map(|s| s.chars().take(500).collect::<String>())
        .unwrap_or_default();
    let mut main = format!(
        "<h1>{s}</h1><form method=\"get\" action=\"/search\" role=\"search\"><label for=\"q\">{s}</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{v}\" dir=\"auto\"><button type=\"submit\">{s}</button></form>",
        s = t(lang, "search"),
        v = esc(&query)
    );
    if !query.trim().is_empty() {
        let hits = state
            .search
            .as_ref()
            .and_then(|i| i.search(&query, None, 20).ok())
            .unwrap_or_default();
        let _ = write!(main, "<section><h2>{}</h2>", t(lang, "results_posts"));
        if hits.is_empty() {
            let _ = write!(main, "<p>{}</p>", t(lang, "no_results"));
        }
        main.push_str("<ol>");
        for hit in hits {
            let _ = write!(main, "<li><p class=\"title\">{} <span class=\"tag\">{}</span></p><p dir=\"auto\">{}</p><p class=\"source\">{}</p></li>", esc(&hit.title), esc(&hit.label), esc(&hit.passage), esc(&hit.source));
        }
        main.push_str("</ol></section>");
        let messages = state
            .reader
            .search_messages(query.trim(), caller.scope(), caller.sees_private(), 50)
            .await
            .unwrap_or_default();
        let _ = write!(main, "<section><h2>{}</h2>", t(lang, "results_messages"));
        if messages.is_empty() {
            let _ = write!(main, "<p>{}</p>", t(lang, "no_results"));
        }
        main.push_str("<ol>");
        for (ticket, who, text, at) in messages {
            let _ = write!(main, "<li><a href=\"/conversations/{ticket}\">@{}</a> <time>{}</time><p dir=\"auto\">{}</p></li>", esc(&who), cairo_time(at), esc(&text));
        }
        main.push_str("</ol></section>");
    }
    shell(lang, &caller, t(lang, "search"), "search", &main)
}

async fn settings(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let csrf = esc(caller.csrf.as_deref().unwrap_or(""));
    let admin = caller.access.role == Role::Administrator;
    let mut main = format!("<h1>{}</h1>", t(lang, "settings"));
    // Bodies: SLA policy, calendar, four-eyes, round-robin, acknowledgement.
    let _ = write!(main, "<section><h2>{}</h2>", t(lang, "bodies"));
    for body in state
        .bodies
        .iter()
        .filter(|b| caller.access.covers(Some(&b.key)))
    {
        let s = state
            .reader
            .body_settings(&body.key)
            .await
            .unwrap_or_default();
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let disabled = if admin { "" } else { " disabled" };
        let checked = |b: bool| if b { " checked" } else { "" };
        let k = esc(&body.key);
        let _ = write!(
            main,
            "<details><summary>{name}</summary><form method=\"post\" action=\"/settings/body\" class=\"grid\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"body\" value=\"{k}\"><fieldset{disabled}>\
             <label for=\"fr-{k}\">{fr} ({min})</label><input id=\"fr-{k}\" name=\"first_response_min\" type=\"number\" min=\"1\" value=\"{frv}\">\
             <label for=\"nr-{k}\">{nr} ({min})</label><input id=\"nr-{k}\" name=\"next_response_min\" type=\"number\" min=\"1\" value=\"{nrv}\">\
             <label for=\"rs-{k}\">{rs} ({min})</label><input id=\"rs-{k}\" name=\"resolution_min\" type=\"number\" min=\"1\" value=\"{rsv}\">\
             <label for=\"wb-{k}\">{warn}</label><input id=\"wb-{k}\" name=\"warn_before_min\" type=\"number\" min=\"0\" value=\"{wbv}\">\
             <label><input type=\"checkbox\" name=\"four_eyes\" value=\"1\"{fe}> {four}</label>\
             <label><input type=\"checkbox\" name=\"round_robin\" value=\"1\"{rr}> {rrl}</label>\
             <label for=\"ack-{k}\">{ack}</label><input id=\"ack-{k}\" name=\"out_of_hours_ack\" value=\"{ackv}\" dir=\"auto\">\
             <label for=\"cal-{k}\">{cal}</label><textarea id=\"cal-{k}\" name=\"calendar_toml\" rows=\"5\" dir=\"ltr\">{calv}</textarea>\
             <button type=\"submit\">{save}</button></fieldset></form></details>",
            name = esc(&state.body_name(&body.key, lang)),
            fr = t(lang, "first_response"), nr = t(lang, "next_response"), rs = t(lang, "resolution"), min = t(lang, "minutes"),
            frv = n(s.first_response_min), nrv = n(s.next_response_min), rsv = n(s.resolution_min),
            warn = t(lang, "warn"), wbv = s.warn_before_min,
            fe = checked(s.four_eyes), four = t(lang, "four_eyes"), rr = checked(s.round_robin), rrl = t(lang, "round_robin"),
            ack = t(lang, "ack"), ackv = esc(s.out_of_hours_ack.as_deref().unwrap_or("")),
            cal = t(lang, "calendar"), calv = esc(&s.calendar_toml), save = t(lang, "save"),
        );
    }
    main.push_str("</section>");
    if caller.access.role != Role::Agent && caller.access.role != Role::Analyst {
        let canned = state
            .reader
            .canned_responses(None)
            .await
            .unwrap_or_default();
        let _ = write!(main, "<section><h2>{}</h2><ul>", t(lang, "canned"));
        for c in canned
            .iter()
            .filter(|c| caller.access.covers(c.body_key.as_deref()) || c.body_key.is_none())
        {
            let _ = write!(
                main,
                "<li><strong>{}</strong> <span dir=\"auto\">{}</span></li>",
                esc(&c.title),
                esc(&c.text)
            );
        }
        let bodies: String = state
            .bodies
            .iter()
            .filter(|b| caller.access.covers(Some(&b.key)))
            .map(|b| {
                format!(
                    "<option value=\"{}\">{}</option>",
                    esc(&b.key),
                    esc(&state.body_name(&b.key, lang))
                )
            })
            .collect();
        let all = if admin {
            format!("<option value=\"\">{}</option>", t(lang, "any"))
        } else {
            String::new()
        };
        let _ = write!(main, "</ul><form method=\"post\" action=\"/settings/canned\" class=\"grid\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"c-body\">{}</label><select id=\"c-body\" name=\"body\">{all}{bodies}</select><label for=\"c-title\">{}</label><input id=\"c-title\" name=\"title\" required maxlength=\"120\"><label for=\"c-text\">{} ({{{{citizen}}}}, {{{{agent}}}}, {{{{body}}}})</label><textarea id=\"c-text\" name=\"text\" required rows=\"3\" dir=\"auto\"></textarea><button type=\"submit\">{}</button></form></section>", t(lang, "body"), t(lang, "title"), t(lang, "text"), t(lang, "add"));
    }
    if admin {
        let users = state.reader.users().await.unwrap_or_default();
        let _ = write!(main, "<section><h2>{}</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>", t(lang, "users"), t(lang, "name"), t(lang, "role"), t(lang, "bodies"), t(lang, "capacity"));
        for u in &users {
            let _ = write!(
                main,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&u.name),
                esc(&u.role),
                esc(&u.bodies.join(", ")),
                u.capacity
            );
        }
        let bodies: String = state
            .bodies
            .iter()
            .map(|b| {
                format!(
                    "<option value=\"{}\">{}</option>",
                    esc(&b.key),
                    esc(&state.body_name(&b.key, lang))
                )
            })
            .collect();
        let _ = write!(main, "</tbody></table></div><form method=\"post\" action=\"/settings/user\" class=\"grid\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"u-name\">{}</label><input id=\"u-name\" name=\"name\" required maxlength=\"64\"><label for=\"u-pass\">{}</label><input id=\"u-pass\" name=\"password\" type=\"password\" required minlength=\"10\" autocomplete=\"new-password\"><label for=\"u-role\">{}</label><select id=\"u-role\" name=\"role\"><option>agent</option><option>supervisor</option><option>analyst</option><option>administrator</option></select><label for=\"u-body\">{}</label><select id=\"u-body\" name=\"body\">{bodies}</select><button type=\"submit\">{}</button></form></section>", t(lang, "name"), t(lang, "password"), t(lang, "role"), t(lang, "body"), t(lang, "add_user"));
        let hooks = state.reader.webhooks().await.unwrap_or_default();
        let _ = write!(main, "<section><h2>{}</h2><ul>", t(lang, "webhooks"));
        for h in hooks {
            let _ = write!(main, "<li>{} — {}</li>", esc(&h.url), esc(&h.events));
        }
        let _ = write!(main, "</ul><form method=\"post\" action=\"/settings/webhook\" class=\"grid\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"w-url\">{}</label><input id=\"w-url\" name=\"url\" required placeholder=\"http://host:port/path\" dir=\"ltr\"><label for=\"w-secret\">{}</label><input id=\"w-secret\" name=\"secret\" required minlength=\"16\"><label for=\"w-events\">{}</label><input id=\"w-events\" name=\"events\" value=\"*\" dir=\"ltr\"><button type=\"submit\">{}</button></form></section>", t(lang, "url"), t(lang, "secret"), t(lang, "events"), t(lang, "add"));
    }
    shell(lang, &caller, t(lang, "settings"), "settings", &main)
}

async fn settings_post(
    State(state): State<Arc<AppState>>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Path(section): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if let Err(e) = caller.check_csrf(form.get("csrf").map(String::as_str).unwrap_or("")) {
        return failure_page(lang, Some(&caller), e);
    }
    let field = |k: &str| {
        form.get(k)
            .map(String::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let result = match section.as_str() {
        "body" => crate::api::save_body_settings(&state, &caller, &field("body"), &form).await,
        "user" => crate::api::add_user(
            &state,
            &caller,
            &field("name"),
            &field("password"),
            &field("role"),
            &[field("body")]
                .into_iter()
                .filter(|b| !b.is_empty())
                .collect::<Vec<_>>(),
        )
        .await
        .map(|_| ()),
        "canned" => crate::api::add_canned(
            &state,
            &caller,
            Some(field("body")).filter(|b| !b.is_empty()).as_deref(),
            &field("title"),
            &field("text"),
        )
        .await
        .map(|_| ()),
        "webhook" => crate::api::add_webhook(
            &state,
            &caller,
            &field("url"),
            &field("secret"),
            &field("events"),
        )
        .await
        .map(|_| ()),
        _ => Err(Failure::NotFound),
    };
    match result {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(e) => failure_page(lang, Some(&caller), e),
    }
}

async fn events(State(state): State<Arc<AppState>>, PageCaller(caller): PageCaller) -> Response {
    let stream = BroadcastStream::new(state.events.subscribe()).filter_map(move |event| {
        let caller = caller.clone();
        async move {
            let event = event.ok()?;
            // Only events of conversations the caller may see.
            caller
                .access
                .may_view(event.private, event.body.as_deref())
                .then(|| {
                    Ok::<_, std::convert::Infallible>(
                        Event::default().event(event.event.clone()).data(
                            serde_json::json!({"conversation_id": event.conversation_id})
                                .to_string(),
                        ),
                    )
                })
        }
    });
    (
        StatusCode::OK,
        Sse::new(stream).keep_alive(KeepAlive::default()),
    )
        .into_response()
}
