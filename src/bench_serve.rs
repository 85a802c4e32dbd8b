//! `tawasul bench serve`: the inbox under load. A demo store is served in this process; 100
//! agents, each on its own keep-alive connection and session, alternate between the inbox list
//! and a conversation page while a connector posts 1,000 citizen messages a second through the
//! ingest API. Reports throughput and latency percentiles per page, the ingest rate reached,
//! and checks that every posted message is in the inbox exactly once.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    async fn open(port: u16) -> Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends a request and reads the whole response; returns (status, headers, body).
    async fn request(&mut self, head: &str, body: &[u8]) -> Result<(u16, String, Vec<u8>)> {
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body).await?;
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let split = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let headers = String::from_utf8_lossy(&self.buf[..split]).into_owned();
        let status = headers
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length = headers
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())
                    .flatten()
            })
            .context("response without content-length")?;
        let mut body = self.buf[split + 4..].to_vec();
        while body.len() < length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed in the body");
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Ok((status, headers, body))
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)] as f64 / 1000.0
}

/// A batch of citizen replies to an official post, X API v2 page format.
fn citizen_batch(first_id: u64, count: u64, root: u64, account_id: u64, handle: &str) -> String {
    let mut data = Vec::new();
    let mut users = Vec::new();
    for i in 0..count {
        let id = first_id + i;
        let author = 9_000_000 + (id % 50_000);
        data.push(json!({"id": id.to_string(), "text": format!("@{handle} لو سمحت امتى يبدأ الحجز؟ رقم {id}"),
            "author_id": author.to_string(), "conversation_id": root.to_string(),
            "in_reply_to_user_id": account_id.to_string(),
            "referenced_tweets": [{"type": "replied_to", "id": root.to_string()}],
            "entities": {"mentions": [{"start": 0, "end": handle.len() + 1, "username": handle, "id": account_id.to_string()}]}}));
        users.push(json!({"id": author.to_string(), "username": format!("citizen{author}")}));
    }
    format!("{}\n", json!({"data": data, "includes": {"users": users}}))
}

/// Runs the benchmark.
pub fn bench(agents: usize, seconds: u64, rate: u64, dir: Option<&Path>) -> Result<ExitCode> {
    let temp = tempfile::tempdir()?;
    let dir = dir.unwrap_or(temp.path()).to_path_buf();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let corpus = dir.join("bench-serve-corpus.jsonl");
    let registry = tawasul_core::Registry::shipped();
    crate::demo_data::run(&registry, 1, 30, None, Some(&corpus))?;
    crate::import_cmd::import_strict_quiet(&dir, corpus).context("importing the bench corpus")?;
    let runtime = crate::serve_cmd::server_runtime()?;
    let store = crate::import_cmd::open_store(&runtime, &dir, None)?;
    let result = runtime.block_on(async {
        let state = crate::serve_cmd::state_for(store.clone(), &dir).await?;
        let password = "bench password 1";
        tawasul_server::api::create_user(&state, "bench.agent", password, "agent", &["health".into()])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tawasul_server::api::create_user(&state, "bench.admin", password, "administrator", &[])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let token = tawasul_server::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?;
        let admin = store.user_by_name("bench.admin").await?.context("admin")?;
        store
            .create_api_token(admin.id, "bench", &tawasul_server::auth::token_hash(&token), 0)
            .await?;
        tawasul_server::ops::absorb(&state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        // The official post citizens reply to, and its account's id.
        let (root, account_id): (i64, i64) = sqlx::query_as(
            "SELECT id, author_id FROM posts WHERE lower(author_handle) = 'mohpegypt' AND kind = 'original' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(store.pool())
        .await?;
        let tickets: Vec<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE body_key = 'health' LIMIT 200")
            .fetch_all(store.pool())
            .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let server_state = state.clone();
        tokio::spawn(async move { tawasul_server::serve(listener, server_state).await });

        // One session per agent.
        let mut cookies = Vec::new();
        for _ in 0..agents {
            let mut c = Connection::open(port).await?;
            let body = format!("name=bench.agent&password={}", password.replace(' ', "+"));
            let head = format!("POST /login HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n", body.len());
            let (_, headers, _) = c.request(&head, body.as_bytes()).await?;
            let cookie = headers
                .lines()
                .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
                .and_then(|v| v.split(';').next())
                .context("no session cookie")?
                .to_string();
            cookies.push(cookie);
        }
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let tickets = Arc::new(tickets);
        let mut workers = Vec::new();
        for (n, cookie) in cookies.into_iter().enumerate() {
            let tickets = tickets.clone();
            workers.push(tokio::spawn(async move {
                let mut c = Connection::open(port).await?;
                let mut inbox = Vec::new();
                let mut conversation = Vec::new();
                let mut errors = 0u64;
                let mut i = n;
                while Instant::now() < deadline {
                    let path = if i % 2 == 0 {
                        "/inbox".to_string()
                    } else {
                        format!("/conversations/{}", tickets.get(i % tickets.len().max(1)).copied().unwrap_or(1))
                    };
                    let head = format!("GET {path} HTTP/1.1\r\nHost: b\r\nCookie: {cookie}\r\n\r\n");
                    let started = Instant::now();
                    let (status, _, _) = c.request(&head, b"").await?;
                    let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    if status != 200 {
                        errors += 1;
                    }
                    if i % 2 == 0 {
                        inbox.push(micros);
                    } else {
                        conversation.push(micros);
                    }
                    i += 1;
                }
                anyhow::Ok((inbox, conversation, errors))
            }));
        }
        // The connector: `rate` messages a second in batches of a tenth of that, every 100 ms.
        let batch = (rate / 10).max(1);
        let first_id: u64 = 4_000_000_000_000_000_000;
        let mut sent = 0u64;
        let mut ingest = Connection::open(port).await?;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let ingest_started = Instant::now();
        let mut ingest_ms = Vec::new();
        while Instant::now() < deadline {
            tick.tick().await;
            let body = citizen_batch(first_id + sent, batch, root as u64, account_id as u64, "mohpegypt");
            let head = format!("POST /api/v1/ingest HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n", body.len());
            let started = Instant::now();
            let (status, _, response) = ingest.request(&head, body.as_bytes()).await?;
            ingest_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                bail!("ingest answered {status}: {}", String::from_utf8_lossy(&response));
            }
            sent += batch;
        }
        let ingest_seconds = ingest_started.elapsed().as_secs_f64();
        let mut inbox = Vec::new();
        let mut conversation = Vec::new();
        let mut errors = 0;
        for w in workers {
            let (a, b, e) = w.await??;
            inbox.extend(a);
            conversation.extend(b);
            errors += e;
        }
        inbox.sort_unstable();
        conversation.sort_unstable();
        let (in_inbox, distinct): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT message_id) FROM ticket_messages WHERE message_kind = 'post' AND message_id >= ?",
        )
        .bind(first_id as i64)
        .fetch_one(store.pool())
        .await?;
        ingest_ms.sort_by(f64::total_cmp);
        let requests = inbox.len() + conversation.len();
        anyhow::Ok(json!({
            "agents": agents,
            "seconds": seconds,
            "requests": requests,
            "requests_per_s": requests as f64 / seconds as f64,
            "http_errors": errors,
            "inbox_list": {"requests": inbox.len(), "p50_ms": percentile(&inbox, 0.5), "p99_ms": percentile(&inbox, 0.99)},
            "conversation": {"requests": conversation.len(), "p50_ms": percentile(&conversation, 0.5), "p99_ms": percentile(&conversation, 0.99)},
            "ingest": {"sent": sent, "messages_per_s": sent as f64 / ingest_seconds, "in_inbox": in_inbox, "distinct": distinct,
                "lost": sent as i64 - distinct, "duplicated": in_inbox - distinct,
                "request_p50_ms": ingest_ms.get(ingest_ms.len() / 2).copied().unwrap_or(0.0)},
        }))
    })?;
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}
