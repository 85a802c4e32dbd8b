//! Shared by the server tests: a store built with the real CLI, a real `tawasul serve` process
//! on a free port, and a minimal HTTP/1.1 client over a TCP socket.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn tawasul(data_dir: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tawasul starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("tawasul runs");
    assert!(
        out.status.success(),
        "tawasul {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running server, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub tokens: HashMap<&'static str, String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Users of the test store: name, role, body (one password for all, read from stdin).
pub const USERS: [(&str, &str, &str); 6] = [
    ("admin", "administrator", ""),
    ("sup.health", "supervisor", "health"),
    ("agent.health", "agent", "health"),
    ("agent.interior", "agent", "interior"),
    ("analyst.health", "analyst", "health"),
    ("agent.health2", "agent", "health"),
];
pub const PASSWORD: &str = "correct horse battery";

/// Imports the inbox fixture and the services KB, adds the users and their tokens, serves.
pub fn start() -> Server {
    start_with(|_| {})
}

/// [`start`], running `prepare` on the data directory after the import and before serving.
pub fn start_with(prepare: impl FnOnce(&Path)) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    tawasul(
        &data,
        &["import", &fixture("inbox.jsonl").display().to_string()],
        "",
    );
    prepare(&data);
    tawasul(
        &data,
        &[
            "kb",
            "import",
            &fixture("services_kb.json").display().to_string(),
        ],
        "",
    );
    let mut tokens = HashMap::new();
    for (name, role, body) in USERS {
        let mut args = vec!["user", "add", name, "--role", role];
        if !body.is_empty() {
            args.extend(["--body", body]);
        }
        tawasul(&data, &args, &format!("{PASSWORD}\n"));
        let token = tawasul(&data, &["token", "create", name], "");
        tokens.insert(name, token.trim().to_string());
    }
    let (child, mut lines) = spawn_serve(&data);
    let port = loop {
        let line = lines
            .next()
            .expect("serve prints its address")
            .expect("stderr line");
        if let Some(rest) = line.split("serving http://127.0.0.1:").nth(1) {
            break rest
                .split('/')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Server {
        child,
        port,
        dir,
        tokens,
    }
}

/// `tawasul serve` on a free port, with its stderr lines (where it prints its address).
fn spawn_serve(data: &Path) -> (Child, std::io::Lines<BufReader<std::process::ChildStderr>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tawasul"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    (child, BufReader::new(stderr).lines())
}

/// Starts `tawasul serve` on a data directory and stops it once it listens (the inbox has
/// taken in what was imported by then).
pub fn serve_once(data: &Path) {
    let (mut child, lines) = spawn_serve(data);
    for line in lines {
        if line.expect("stderr line").contains("serving http://") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("send");
    // Read the head, then exactly the body it announces: some servers keep the connection
    // open despite `Connection: close`.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16_384];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body_bytes = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    match length {
        Some(length) => {
            while body_bytes.len() < length {
                let n = stream.read(&mut buf).expect("read body");
                if n == 0 {
                    break;
                }
                body_bytes.extend_from_slice(&buf[..n]);
            }
        }
        None if chunked => {
            while !body_bytes.ends_with(b"0\r\n\r\n") {
                let n = stream.read(&mut buf).expect("read chunks");
                if n == 0 {
                    break;
                }
                body_bytes.extend_from_slice(&buf[..n]);
            }
            body_bytes = dechunk(&body_bytes);
        }
        None => {
            stream.read_to_end(&mut body_bytes).expect("read to end");
        }
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body_bytes).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// A JSON API call as a user.
pub fn api(
    server: &Server,
    user: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    let token = format!("Bearer {}", server.tokens[user]);
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    http(
        server.port,
        method,
        path,
        &[
            ("Authorization", &token),
            ("Content-Type", "application/json"),
        ],
        &text,
    )
}

/// Conversations a user lists: (id, body, channel).
pub fn listed(server: &Server, user: &str, query: &str) -> Vec<(i64, String, String)> {
    let reply = api(
        server,
        user,
        "GET",
        &format!("/api/v1/conversations?{query}"),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().expect("id"),
                c["body_key"].as_str().unwrap_or("").to_string(),
                c["channel"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}
