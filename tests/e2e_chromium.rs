//! End to end in headless Chromium with JavaScript disabled (every page must work without it):
//! an agent signs in, sees a routed question arrive, picks a suggested answer, replies,
//! resolves, opens the dashboard; screenshots of the main pages go to
//! `target/screenshots/`. Driven through chromedriver's W3C WebDriver protocol.

mod support;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use support::{http, start, PASSWORD};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn missing(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
}

struct Driver {
    child: Child,
    port: u16,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            "",
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
                "prefs": {"profile.managed_default_content_settings.javascript": 2}}}}});
        let reply = http(
            port,
            "POST",
            "/session",
            &[("Content-Type", "application/json")],
            &capabilities.to_string(),
        );
        let value: Value = serde_json::from_str(&reply.body).expect("session JSON");
        let session = value["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {}", reply.body))
            .to_string();
        Driver {
            child,
            port,
            session,
        }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let text = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let reply = http(
            self.port,
            method,
            &path,
            &[("Content-Type", "application/json")],
            &text,
        );
        let value: Value = serde_json::from_str(&reply.body).expect("WebDriver JSON");
        assert!(reply.status == 200, "{method} {path}: {}", reply.body);
        value["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }

    fn find(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}\n{}", self.source()))
            .to_string()
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), json!({}));
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        );
    }

    fn property(&self, css: &str, name: &str) -> String {
        let id = self.find(css);
        self.call("GET", &format!("/element/{id}/property/{name}"), json!({}))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn source(&self) -> String {
        self.call("GET", "/source", json!({}))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The page source once it contains `text` (a form post may still be navigating).
    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let source = self.source();
            if source.contains(text) || started.elapsed() > Duration::from_secs(10) {
                return source;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, name: &str) {
        let data = self.call("GET", "/screenshot", json!({}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or(""))
            .expect("PNG");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

#[test]
fn an_agent_answers_a_routed_question_in_chromium_without_javascript() {
    for program in ["chromium", "chromedriver"] {
        if missing(program) {
            let reason = format!("SKIP e2e_chromium: `{program}` is not installed (apt install chromium chromium-driver)");
            assert!(
                std::env::var("TAWASUL_REQUIRE_ALL").as_deref() != Ok("1"),
                "{reason}"
            );
            eprintln!("\n*** {reason} ***\n");
            return;
        }
    }
    let server = start();
    let base = format!("http://127.0.0.1:{}", server.port);
    let driver = Driver::start();

    driver.go(&format!("{base}/login"));
    driver.screenshot("login");
    driver.type_into("#name", "agent.health");
    driver.type_into("#password", PASSWORD);
    driver.click("button[type=submit]");
    assert!(
        driver.wait_for("صندوق الوارد").contains("صندوق الوارد"),
        "signed in to the Arabic inbox"
    );

    // A citizen's question arrives through the ingest API and is routed to health.
    let question = "@mohpegypt لو سمحت حملة التطعيم بتبدأ امتى؟";
    let line = json!({"data": [{"id": "3000000000000000021", "text": question, "author_id": "5021",
        "conversation_id": "3000000000000000001", "created_at": "2026-11-03T09:00:00.000Z", "in_reply_to_user_id": "2001",
        "referenced_tweets": [{"type": "replied_to", "id": "3000000000000000001"}],
        "entities": {"mentions": [{"start": 0, "end": 10, "username": "mohpegypt", "id": "2001"}]}}],
        "includes": {"users": [{"id": "5021", "username": "hoda_citizen", "name": "Hoda"}]}});
    let token = format!("Bearer {}", server.tokens["admin"]);
    let ingested = http(
        server.port,
        "POST",
        "/api/v1/ingest",
        &[("Authorization", &token)],
        &line.to_string(),
    );
    assert_eq!(ingested.status, 200, "{}", ingested.body);
    driver.go(&format!("{base}/inbox"));
    let inbox = driver.source();
    assert!(
        inbox.contains("hoda_citizen") && inbox.contains("حملة التطعيم بتبدأ امتى"),
        "the new question is listed"
    );
    driver.screenshot("inbox");

    // Newest first: open it, take the first suggestion, send it.
    driver.click("tr[data-row] a");
    let page = driver.wait_for("إجابات مقترحة");
    assert!(
        page.contains("إجابات مقترحة") && page.contains("حملة التطعيم ضد شلل الأطفال"),
        "suggestion shown"
    );
    driver.click("a.use");
    driver.wait_for("/status/3000000000000000001</textarea>");
    let draft = driver.property("#reply-text", "value");
    assert!(
        draft.contains("حملة التطعيم ضد شلل الأطفال")
            && draft.contains("https://x.com/mohpegypt/status/"),
        "{draft}"
    );
    driver.screenshot("conversation");
    driver.click("#send");
    let after = driver.wait_for("في الصادر");
    assert!(
        after.contains("في الصادر"),
        "the reply is queued in the outbox"
    );

    // Resolve.
    driver.click("#status option[value=resolved]");
    driver.click("#set-status");
    let resolved = driver.wait_for("<strong>محلولة</strong>");
    assert!(
        resolved.contains("<strong>محلولة</strong>"),
        "not resolved: {resolved}"
    );

    // The outbox: the reply waits there until the operator marks it sent (no live connector).
    driver.go(&format!("{base}/outbox"));
    let outbox = driver.source();
    assert!(
        outbox.contains("في الصادر <span class=\"count\">1</span>")
            && outbox.contains("حملة التطعيم ضد شلل الأطفال"),
        "the reply is queued: {outbox}"
    );
    driver.screenshot("outbox");
    driver.click("form[action$='/sent'] button");
    driver.wait_for("<strong>محلولة</strong>");
    driver.go(&format!("{base}/outbox"));
    let outbox = driver.source();
    assert!(
        outbox.contains("في الصادر <span class=\"count\">0</span>")
            && outbox.contains("أُرسل <span class=\"count\">1</span>"),
        "the reply is marked sent: {outbox}"
    );

    // The report page the dashboard links to.
    driver.go(&format!("{base}/report"));
    let report = driver.source();
    assert!(
        report.contains("mohpegypt") && !report.contains("<script"),
        "the report page renders without script"
    );
    driver.screenshot("report");

    // Dashboard (with the scorecards of the report), search, settings, English.
    driver.go(&format!("{base}/dashboard"));
    let dashboard = driver.source();
    assert!(
        dashboard.contains("لوحة المتابعة") && dashboard.contains("agent.health"),
        "agent figures listed"
    );
    driver.screenshot("dashboard");
    driver.go(&format!("{base}/search?q=%D8%AA%D8%B7%D8%B9%D9%8A%D9%85"));
    assert!(driver.source().contains("hoda_citizen"));
    driver.screenshot("search");
    driver.go(&format!("{base}/settings"));
    driver.screenshot("settings");
    driver.go(&format!("{base}/lang/en"));
    driver.go(&format!("{base}/inbox?status=resolved"));
    let english = driver.source();
    assert!(
        english.contains("dir=\"ltr\"")
            && english.contains("Inbox")
            && english.contains("hoda_citizen")
    );
    driver.screenshot("inbox-en");
}
