//! Who is calling: sessions (HttpOnly SameSite cookies carrying a random token whose hash is
//! stored), API tokens (Bearer, stored hashed), Argon2id passwords, CSRF tokens on every form,
//! and the login rate limit.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use tawasul_core::access::{Access, Role};
use tawasul_store::inbox::UserRecord;

use crate::{AppState, Failure};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tawasul_session";
/// How long a session lives (12 hours: one shift and a half).
pub const SESSION_MS: i64 = 12 * 3_600_000;
/// Failed logins allowed per user name and per address in [`LOGIN_WINDOW_MS`].
pub const LOGIN_FAILURES_PER_NAME: usize = 5;
/// Failed logins allowed per client address in the window.
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 20;
/// The rate-limit window.
pub const LOGIN_WINDOW_MS: i64 = 5 * 60_000;

/// An Argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, Failure> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| Failure::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Failure::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Failure::Internal(e.to_string()))
}

/// Whether a password matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random token (256 bits, hex).
pub fn random_token() -> Result<String, Failure> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// What is stored for a token: its SHA-256 (tokens are random, so no salt is needed).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle_eq::ct_eq;
    ct_eq(a.as_bytes(), b.as_bytes())
}

mod subtle_eq {
    /// Equal length and equal bytes, without an early exit.
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: UserRecord,
    /// Role and bodies.
    pub access: Access,
    /// The session's CSRF token (None for API tokens, which are not ambient credentials).
    pub csrf: Option<String>,
}

impl Caller {
    fn of(user: UserRecord, csrf: Option<String>) -> Result<Self, Failure> {
        let role = Role::parse(&user.role)
            .ok_or_else(|| Failure::Internal(format!("user {} has unknown role", user.id)))?;
        Ok(Self {
            access: Access {
                role,
                bodies: user.bodies.clone(),
            },
            user,
            csrf,
        })
    }

    /// The body scope for store queries (None: all bodies).
    pub fn scope(&self) -> Option<&[String]> {
        (!self.access.all_bodies()).then_some(self.access.bodies.as_slice())
    }

    /// Whether private conversations may be listed.
    pub fn sees_private(&self) -> bool {
        self.access.role != Role::Analyst
    }

    /// Checks a submitted CSRF token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Failure> {
        match &self.csrf {
            Some(expected) if same_secret(expected, submitted) => Ok(()),
            _ => Err(Failure::Forbidden),
        }
    }
}

/// The session token in a request's cookies.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The caller of an API request: a Bearer token, or a session cookie (then state changes must
/// carry the session's CSRF token in `X-CSRF-Token`).
pub struct ApiCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for ApiCaller {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(Failure::Unauthorized)?;
            let user = state
                .reader
                .token_user(&token_hash(token))
                .await?
                .ok_or(Failure::Unauthorized)?;
            return Ok(ApiCaller(Caller::of(user, None)?));
        }
        let caller = session_caller(parts, state).await?;
        if !parts.method.is_safe() {
            let submitted = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            caller.check_csrf(submitted)?;
        }
        Ok(ApiCaller(caller))
    }
}

async fn session_caller(parts: &Parts, state: &AppState) -> Result<Caller, Failure> {
    let token = session_token(&parts.headers).ok_or(Failure::Unauthorized)?;
    let (user, csrf) = state
        .reader
        .session_user(&token_hash(&token), crate::now_ms())
        .await?
        .ok_or(Failure::Unauthorized)?;
    Caller::of(user, Some(csrf))
}

/// The caller of a page: a session, or a redirect to the login page.
pub struct PageCaller(pub Caller);

/// Sends the browser to the login page.
pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<Arc<AppState>> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match session_caller(parts, state).await {
            Ok(caller) => Ok(PageCaller(caller)),
            Err(Failure::Unauthorized) => Err(ToLogin.into_response()),
            Err(other) => Err(other.into_response()),
        }
    }
}

/// Records a failed login against each key (user name, client address).
pub fn note_failure(state: &AppState, keys: &[(String, usize)], now: i64) {
    if let Ok(mut failures) = state.login_failures.lock() {
        for (key, _) in keys {
            failures.entry(key.clone()).or_default().push(now);
        }
    }
}

/// Whether any key has used up its failures in the window.
pub fn limited(state: &AppState, keys: &[(String, usize)], now: i64) -> bool {
    let Ok(mut failures) = state.login_failures.lock() else {
        return true;
    };
    // Forget old failures so the map stays small under a spray of names.
    failures.retain(|_, times| {
        times.retain(|t| now - *t < LOGIN_WINDOW_MS);
        !times.is_empty()
    });
    keys.iter()
        .any(|(key, limit)| failures.get(key).is_some_and(|times| times.len() >= *limit))
}

/// Checks a login; on success opens a session and returns the cookie token.
pub async fn login(
    state: &AppState,
    name: &str,
    password: &str,
    address: &str,
) -> Result<String, Failure> {
    let now = crate::now_ms();
    let keys = [
        (
            format!("name:{}", name.to_lowercase()),
            LOGIN_FAILURES_PER_NAME,
        ),
        (format!("addr:{address}"), LOGIN_FAILURES_PER_ADDRESS),
    ];
    if limited(state, &keys, now) {
        return Err(Failure::TooManyRequests);
    }
    let user = state.reader.user_by_name(name).await?;
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash),
        None => {
            // Same work for unknown names, so timing does not reveal which names exist.
            let _ = verify_password(password, dummy_hash());
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        note_failure(state, &keys, now);
        state
            .store
            .audit(
                None,
                "login_failed",
                None,
                &name.chars().take(64).collect::<String>(),
                now,
            )
            .await?;
        return Err(Failure::Unauthorized);
    };
    let token = random_token()?;
    let csrf = random_token()?;
    state
        .store
        .create_session(&token_hash(&token), user.id, &csrf, now, now + SESSION_MS)
        .await?;
    state
        .store
        .audit(Some(user.id), "login", None, "", now)
        .await?;
    Ok(token)
}

/// A hash of a random password, verified against for unknown user names.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        random_token()
            .and_then(|secret| hash_password(&secret))
            .unwrap_or_default()
    })
}

/// The `Set-Cookie` value of a session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session.
pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}
