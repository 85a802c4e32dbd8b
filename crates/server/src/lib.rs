//! The tawasul server: the inbox where a media centre's agents answer every citizen message
//! routed to their body, and the REST API, live updates and webhooks around it.
//!
//! Pages are rendered on the server and work without JavaScript; a small script of our own
//! adds keyboard shortcuts and live updates (SSE). Every route goes through the same operations
//! in [`ops`], which check the caller's role and bodies before reading or writing anything.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod html;
pub mod ops;
pub mod pages;
pub mod webhooks;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tawasul_search::SearchIndex;
use tawasul_store::SqliteStore;
use tokio::sync::broadcast;

/// Errors every route can end with; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// No valid session or token.
    #[error("authentication required")]
    Unauthorized,
    /// Outside the caller's role or bodies.
    #[error("forbidden")]
    Forbidden,
    /// No such thing (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The request is malformed; the message names the field.
    #[error("{0}")]
    BadRequest(String),
    /// Too many attempts.
    #[error("too many attempts, try again later")]
    TooManyRequests,
    /// Something failed on our side.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Failure {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::Unauthorized => StatusCode::UNAUTHORIZED,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<tawasul_store::StoreError> for Failure {
    fn from(error: tawasul_store::StoreError) -> Self {
        Failure::Internal(error.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.to_string()});
        let mut response = (self.status(), axum::Json(body)).into_response();
        if matches!(self, Failure::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tawasul\""),
            );
        }
        response
    }
}

/// What the binary provides that this crate cannot do itself: reading uploaded files into the
/// store and labelling them (the models live with the binary), and the scorecard report.
pub trait Pipeline: Send + Sync + 'static {
    /// Imports X data (any format `tawasul import` reads) and labels the new posts; returns a
    /// JSON summary.
    fn ingest(&self, bytes: Vec<u8>) -> BoxFuture<'_, Result<serde_json::Value, String>>;
    /// The scorecards as the report's JSON.
    fn scorecards(&self) -> BoxFuture<'_, Result<serde_json::Value, String>>;
    /// The report as one self-contained HTML page in `lang` (`ar` or `en`).
    fn report_html(&self, lang: &str) -> BoxFuture<'_, Result<String, String>>;
}

/// A boxed future, for the object-safe [`Pipeline`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that happened, pushed to live pages and webhooks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServerEvent {
    /// `message.created`, `conversation.updated`, `conversation.created`.
    pub event: String,
    /// Ticket.
    pub conversation_id: i64,
    /// Body of the ticket (scope of who may hear about it).
    pub body: Option<String>,
    /// Whether the ticket is private (DMs).
    pub private: bool,
    /// Unix ms.
    pub at: i64,
}

/// A body's display names.
#[derive(Debug, Clone)]
pub struct BodyName {
    /// Key.
    pub key: String,
    /// Arabic name.
    pub ar: String,
    /// English name.
    pub en: String,
}

/// Shared state of every request.
pub struct AppState {
    /// The store, for writes and the reads that go with them.
    pub store: SqliteStore,
    /// The same store through its own connections, for pages and listings.
    pub reader: SqliteStore,
    /// Suggested answers and search (absent when nothing was indexed).
    pub search: Option<Arc<SearchIndex>>,
    /// Import and report, from the binary.
    pub pipeline: Arc<dyn Pipeline>,
    /// Live events.
    pub events: broadcast::Sender<ServerEvent>,
    /// Serialises ingest and ticket updates from new messages (no message counted twice).
    pub absorb_lock: tokio::sync::Mutex<()>,
    /// Failed logins per key, for rate limiting.
    pub login_failures: Mutex<HashMap<String, Vec<i64>>>,
    /// Bodies of the registry.
    pub bodies: Vec<BodyName>,
    /// Set the `Secure` flag on cookies (behind HTTPS).
    pub secure_cookies: bool,
}

impl AppState {
    /// State for a store (and a second handle on it for reads); bodies are read from its
    /// registry.
    pub async fn new(
        store: SqliteStore,
        reader: SqliteStore,
        search: Option<Arc<SearchIndex>>,
        pipeline: Arc<dyn Pipeline>,
    ) -> Result<Arc<Self>, Failure> {
        let bodies = sqlx::query_as::<_, (String, String, String)>(
            "SELECT key, name_ar, name_en FROM bodies ORDER BY key",
        )
        .fetch_all(store.pool())
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?
        .into_iter()
        .map(|(key, ar, en)| BodyName { key, ar, en })
        .collect();
        let (events, _) = broadcast::channel(4_096);
        Ok(Arc::new(Self {
            store,
            reader,
            search,
            pipeline,
            events,
            absorb_lock: tokio::sync::Mutex::new(()),
            login_failures: Mutex::new(HashMap::new()),
            bodies,
            secure_cookies: false,
        }))
    }

    /// A body's name in a language (the key when unknown).
    pub fn body_name(&self, key: &str, lang: html::Lang) -> String {
        self.bodies
            .iter()
            .find(|b| b.key == key)
            .map(|b| match lang {
                html::Lang::Ar => b.ar.clone(),
                html::Lang::En => b.en.clone(),
            })
            .unwrap_or_else(|| key.to_string())
    }
}

/// The whole application: pages, API, static files, live updates.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .with_state(state)
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Unix ms now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Serves until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

/// Background duties of a running server: wakes snoozed conversations.
pub fn spawn_housekeeping(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            tick.tick().await;
            let _ = ops::wake_snoozed(&state).await;
        }
    });
}
