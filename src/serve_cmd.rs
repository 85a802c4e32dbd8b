//! `tawasul serve`, `user add`, `token create`: the server with this binary's pipeline (import,
//! labelling with the shipped models, scorecard report) plugged in.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::json;
use tawasul_core::{BusinessCalendar, Record};
use tawasul_ingest::{LineError, ReadOptions, Sink, Stop};
use tawasul_search::SearchIndex;
use tawasul_server::{AppState, BoxFuture, Pipeline};
use tawasul_store::{SqliteStore, Store};

/// Import, labelling and report for the server.
pub struct StorePipeline {
    store: SqliteStore,
    labeller: tokio::sync::Mutex<crate::label_cmd::Labeller>,
}

/// Collects what one request body holds.
#[derive(Default)]
struct Collect {
    records: Vec<Record>,
    errors: Vec<LineError>,
}

/// Lines a request may hold (a connector posts batches, not archives).
const MAX_RECORDS_PER_REQUEST: usize = 100_000;

impl Sink for Collect {
    fn records(&mut self, _file: &str, _unit: u64, records: &mut Vec<Record>) -> Result<(), Stop> {
        if self.records.len() + records.len() > MAX_RECORDS_PER_REQUEST {
            return Err(Stop);
        }
        self.records.append(records);
        Ok(())
    }

    fn line_error(&mut self, error: LineError) -> Result<(), Stop> {
        if self.errors.len() < 100 {
            self.errors.push(error);
        }
        Ok(())
    }
}

impl StorePipeline {
    /// The report's defaults: the 30 days up to the latest post, as of now, Cairo hours.
    async fn current_report(
        &self,
    ) -> Result<
        (
            tawasul_report::ReportMeta,
            Vec<tawasul_core::scorecard::Scorecard>,
        ),
        String,
    > {
        crate::report_cmd::build(
            &self.store,
            None,
            None,
            &[],
            None,
            BusinessCalendar::default(),
        )
        .await
        .map(|(meta, cards, _)| (meta, cards))
        .map_err(|e| e.to_string())
    }
}

impl Pipeline for StorePipeline {
    fn ingest(&self, bytes: Vec<u8>) -> BoxFuture<'_, Result<serde_json::Value, String>> {
        Box::pin(async move {
            let collected = tokio::task::spawn_blocking(move || {
                let mut sink = Collect::default();
                let mut owner = None;
                let result = tawasul_ingest::read_reader(
                    "request",
                    std::io::Cursor::new(bytes),
                    &ReadOptions::default(),
                    &mut owner,
                    &mut sink,
                );
                result.map(|_| sink).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())??;
            let posts = collected
                .records
                .iter()
                .filter(|r| matches!(r, Record::Post(_)))
                .count();
            let dms = collected
                .records
                .iter()
                .filter(|r| matches!(r, Record::DirectMessage(_)))
                .count();
            // All of the request or none of it.
            self.store
                .write_batch(&collected.records)
                .await
                .map_err(|e| e.to_string())?;
            // Threading revisits only the trees this request touched, so the conversations
            // stay current under a stream of requests.
            self.store
                .thread_conversations()
                .await
                .map_err(|e| e.to_string())?;
            let labelled = self
                .labeller
                .lock()
                .await
                .label_new_posts(&self.store)
                .await
                .map_err(|e| e.to_string())?;
            let errors: Vec<_> = collected
                .errors
                .iter()
                .map(|e| json!({"line": e.line, "reason": e.reason}))
                .collect();
            Ok(
                json!({"posts": posts, "direct_messages": dms, "labelled": labelled.intents + labelled.post_types, "errors": errors}),
            )
        })
    }

    fn scorecards(&self) -> BoxFuture<'_, Result<serde_json::Value, String>> {
        Box::pin(async move {
            let (meta, cards) = self.current_report().await?;
            Ok(tawasul_report::to_json(&meta, &cards))
        })
    }

    fn report_html(&self, lang: &str) -> BoxFuture<'_, Result<String, String>> {
        let lang = tawasul_report::Lang::parse(lang).unwrap_or(tawasul_report::Lang::Ar);
        Box::pin(async move {
            let (meta, cards) = self.current_report().await?;
            Ok(tawasul_report::to_html(&meta, &cards, lang))
        })
    }
}

/// The server's state for a data directory's store.
pub async fn state_for(store: SqliteStore, data_dir: &Path) -> Result<Arc<AppState>> {
    let index_dir = crate::kb_cmd::index_dir(data_dir);
    let search = if index_dir.exists() {
        Some(Arc::new(SearchIndex::open_or_create(&index_dir)?))
    } else {
        None
    };
    let pipeline = Arc::new(StorePipeline {
        store: store.clone(),
        labeller: tokio::sync::Mutex::new(crate::label_cmd::Labeller::default()),
    });
    let reader = SqliteStore::open_file_with(store.path(), 8).await?;
    AppState::new(store, reader, search, pipeline)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A multi-threaded runtime for serving (the import commands use a single thread).
pub fn server_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Runs `tawasul serve` until stopped.
pub fn serve(data_dir: &Path, registry: Option<&Path>, listen: &str) -> Result<ExitCode> {
    let address: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?}: expected an address like 127.0.0.1:8080"))?;
    let runtime = server_runtime()?;
    let store = crate::import_cmd::open_store(&runtime, data_dir, registry)?;
    runtime.block_on(async move {
        let state = state_for(store, data_dir).await?;
        // Messages imported by `tawasul import` since the last run enter the inbox now.
        let absorbed = tawasul_server::ops::absorb(&state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "tawasul: inbox: {} new messages, {} new conversations",
            absorbed.messages, absorbed.created
        );
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("listening on {address}"))?;
        let bound = listener.local_addr().unwrap_or(address);
        eprintln!("tawasul: serving http://{bound}/ (Ctrl-C stops)");
        tawasul_server::spawn_housekeeping(state.clone());
        tawasul_server::serve(listener, state)
            .await
            .context("serving")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `tawasul user add`: the password is the first line of stdin.
pub fn user_add(
    data_dir: &Path,
    registry: Option<&Path>,
    name: &str,
    role: &str,
    bodies: &[String],
) -> Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let runtime = crate::import_cmd::runtime()?;
    let store = crate::import_cmd::open_store(&runtime, data_dir, registry)?;
    let id = runtime.block_on(async {
        let state = state_for(store.clone(), data_dir).await?;
        tawasul_server::api::create_user(&state, name, password, role, bodies)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    runtime.block_on(store.close());
    println!(
        "{}",
        json!({"id": id, "name": name, "role": role, "bodies": bodies})
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `tawasul token create`: prints a new API token for a user (only its hash is kept).
pub fn token_create(data_dir: &Path, registry: Option<&Path>, name: &str) -> Result<ExitCode> {
    let runtime = crate::import_cmd::runtime()?;
    let store = crate::import_cmd::open_store(&runtime, data_dir, registry)?;
    let token = runtime.block_on(async {
        let user = store
            .user_by_name(name)
            .await?
            .with_context(|| format!("no user named {name:?} (tawasul user add first)"))?;
        let token = tawasul_server::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .create_api_token(
                user.id,
                name,
                &tawasul_server::auth::token_hash(&token),
                crate::import_cmd::now_ms(),
            )
            .await?;
        anyhow::Ok(token)
    })?;
    runtime.block_on(store.close());
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// Demo users, one per role, with fresh random passwords; returns (name, role, body, password).
pub async fn create_demo_users(state: &AppState) -> Result<Vec<(String, String, String, String)>> {
    let mut out = Vec::new();
    for (name, role, body) in [
        ("admin", "administrator", ""),
        ("supervisor.health", "supervisor", "health"),
        ("agent.health", "agent", "health"),
        ("agent.interior", "agent", "interior"),
        ("analyst", "analyst", "health"),
    ] {
        let password = tawasul_server::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?
            [..16]
            .to_string();
        let bodies: Vec<String> = if body.is_empty() {
            Vec::new()
        } else {
            vec![body.to_string()]
        };
        tawasul_server::api::create_user(state, name, &password, role, &bodies)
            .await
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        out.push((
            name.to_string(),
            role.to_string(),
            body.to_string(),
            password,
        ));
    }
    Ok(out)
}

/// After `tawasul demo` built its store: demo users, canned responses, the inbox, then serve.
pub fn demo_serve(dir: &Path, listen: Option<&str>) -> Result<()> {
    let runtime = server_runtime()?;
    let store = crate::import_cmd::open_store(&runtime, dir, None)?;
    runtime.block_on(async {
        let state = state_for(store.clone(), dir).await?;
        let users = create_demo_users(&state).await?;
        for (body, title, text) in [
            (None, "شكر ومتابعة", "شكرًا لتواصلك {{citizen}}، معك {{agent}} من {{body}}. تم تسجيل رسالتك برقم {{conversation}} وسنعود إليك بالرد."),
            (Some("health"), "الخط الساخن", "أهلًا {{citizen}}، يمكنك الاتصال بالخط الساخن 15335 على مدار الساعة، أو زيارة أقرب وحدة صحية."),
        ] {
            store.add_canned_response(body, title, text).await?;
        }
        let absorbed = tawasul_server::ops::absorb(&state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "tawasul demo: inbox has {} conversations from {} citizen messages",
            absorbed.created, absorbed.messages
        );
        let Some(listen) = listen else {
            eprintln!("tawasul demo: demo users (name / role / body / password):");
            for (name, role, body, password) in &users {
                eprintln!("  {name:18} {role:14} {body:10} {password}");
            }
            return anyhow::Ok(());
        };
        let address: SocketAddr = listen.parse().context("--listen")?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("listening on {address}"))?;
        println!("tawasul demo: open http://{address}/ and sign in as one of (demo data, generated passwords):");
        for (name, role, body, password) in &users {
            println!("  {name:18} {role:14} {body:10} {password}");
        }
        tawasul_server::spawn_housekeeping(state.clone());
        tawasul_server::serve(listener, state).await.context("serving")?;
        anyhow::Ok(())
    })
}
