//! Outgoing webhooks: every event is POSTed as JSON to each subscribed URL, signed with
//! HMAC-SHA256 of `timestamp.body` under the hook's secret (`X-Tawasul-Signature: sha256=…`,
//! `X-Tawasul-Timestamp`), so a receiver can check origin and freshness. Delivery runs in the
//! background and never slows the request that caused the event.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{AppState, ServerEvent};

/// The signature of a payload: hex HMAC-SHA256 of `timestamp.body`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `(host, port, path)` of an `http://` URL.
pub fn parse_http_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80),
    };
    if host.is_empty() || path.contains(['\r', '\n', ' ']) || host.contains(['\r', '\n', ' ', '@'])
    {
        return None;
    }
    Some((host.to_string(), port, path.to_string()))
}

/// Sends each event, in order, to every webhook that wants it, in the background.
pub fn deliver(state: &AppState, events: Vec<ServerEvent>) {
    let store = state.reader.clone();
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    // One task and one look at the subscriptions per batch: an ingest batch of a hundred
    // messages is a hundred events.
    handle.spawn(async move {
        let Ok(hooks) = store.webhooks().await else {
            return;
        };
        if hooks.is_empty() {
            return;
        }
        for event in events {
            let Ok(body) = serde_json::to_string(&event) else {
                continue;
            };
            for hook in &hooks {
                let wanted =
                    hook.events == "*" || hook.events.split(',').any(|e| e.trim() == event.event);
                if wanted {
                    let _ = post(&hook.url, &hook.secret, &body).await;
                }
            }
        }
    });
}

async fn post(url: &str, secret: &str, body: &str) -> std::io::Result<()> {
    let Some((host, port, path)) = parse_http_url(url) else {
        return Ok(());
    };
    let timestamp = crate::now_ms();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         X-Tawasul-Timestamp: {timestamp}\r\nX-Tawasul-Signature: sha256={}\r\nConnection: close\r\n\r\n{body}",
        body.len(),
        signature(secret, timestamp, body)
    );
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    let mut stream = tokio::time::timeout(std::time::Duration::from_secs(5), connect).await??;
    stream.write_all(request.as_bytes()).await?;
    let mut sink = [0u8; 512];
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut sink)).await;
    Ok(())
}
