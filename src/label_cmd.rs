//! The labelling pass: after each import, every new post is looked at once. A government
//! account's post gets a `post_type`; a citizen's message addressed to a government account
//! (a reply to it, to one of its posts, or a mention) gets an `intent` and the `body` that must
//! answer. `tawasul reclassify` forgets model labels and runs the pass over everything.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use tawasul_classify::{route, Featurizer, LinearModel, Route, ADDRESSED_PRIOR};
use tawasul_core::scorecard::mention_handles;
use tawasul_core::scorecard::SERVING_POST_TYPES;
use tawasul_core::PostKind;
use tawasul_search::{DocKind, Document, SearchIndex};
use tawasul_store::{LabelCandidate, LabelWrite, SqliteStore, MENTIONED_GOVERNMENT};

use crate::classify_cmd::model_path;

/// Posts read, predicted and written together: a commit of the search index costs tens of
/// milliseconds, and a unit is held in memory twice over (one predicting, one writing).
const POSTS_PER_UNIT: usize = 20_000;

/// A loaded model and the version every label it gives records.
struct Model {
    model: LinearModel,
    source: String,
}

impl Model {
    fn load(task: &str) -> Result<Self> {
        let path = model_path(task, None);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("reading the {task} model {}", path.display()))?;
        let model =
            LinearModel::from_bytes(&bytes).with_context(|| format!("{}", path.display()))?;
        // The file's own checksum (its last 8 bytes) names the version in every label.
        let version = bytes
            .get(bytes.len().saturating_sub(8)..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0);
        Ok(Self {
            source: format!("model:{task}:{version:016x}"),
            model,
        })
    }
}

/// The model a loading thread gave, if one was started.
fn joined(
    handle: Option<std::thread::ScopedJoinHandle<'_, Result<Model>>>,
) -> Result<Option<Model>> {
    handle
        .map(|h| {
            h.join()
                .map_err(|_| anyhow::anyhow!("a thread loading a model panicked"))
                .and_then(|loaded| loaded)
        })
        .transpose()
}

/// Which model a candidate needs.
enum Task {
    /// Not a government post nor a message to one.
    Skip,
    /// A government account's post.
    PostType,
    /// A citizen's message to this body.
    Intent(String),
}

/// One candidate's predictions: its label (post type or intent) and, for a citizen's message,
/// where it is routed.
#[derive(Clone, Copy, Default)]
struct Prediction {
    label: Option<(usize, f32)>,
    route: Option<Route>,
}

/// The models of one labelling pass, shared with the thread that predicts.
#[derive(Clone, Default)]
struct Models {
    post_type: Option<Arc<Model>>,
    intent: Option<Arc<Model>>,
    body: Option<Arc<Model>>,
}

/// Predicts every candidate's label on all cores: the models are shared read-only, each thread
/// has its own featurizers and buffers (no allocation per prediction).
fn predict_all(candidates: &[LabelCandidate], tasks: &[Task], models: &Models) -> Vec<Prediction> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = candidates.len().div_ceil(threads).max(1);
    let mut out: Vec<Prediction> = vec![Prediction::default(); candidates.len()];
    let (post_type, intent, body) = (
        models.post_type.as_deref(),
        models.intent.as_deref(),
        models.body.as_deref(),
    );
    std::thread::scope(|scope| {
        for ((posts, tasks), out) in candidates
            .chunks(chunk)
            .zip(tasks.chunks(chunk))
            .zip(out.chunks_mut(chunk))
        {
            scope.spawn(move || {
                let featurizer =
                    |m: Option<&Model>| m.map(|m| Featurizer::new(m.model.header.features.clone()));
                let mut post_type_features = featurizer(post_type);
                let mut intent_features = featurizer(intent);
                let mut body_features = featurizer(body);
                let body_config = body.map(|m| &m.model.header.features);
                let mut x = Vec::new();
                let mut body_x = Vec::new();
                let mut probs = Vec::new();
                for ((post, task), slot) in posts.iter().zip(tasks).zip(out.iter_mut()) {
                    let (model, features) = match task {
                        Task::Skip => continue,
                        Task::PostType => (post_type, post_type_features.as_mut()),
                        Task::Intent(_) => (intent, intent_features.as_mut()),
                    };
                    let mut body_ready = false;
                    if let (Some(model), Some(features)) = (model, features) {
                        // A citizen's message needs an intent and a body: when their features
                        // differ only in hash space and weighting, one hash pass gives both.
                        if let (Task::Intent(_), Some(config)) = (task, body_config) {
                            body_ready = features.features_into_both(
                                &post.text,
                                &mut x,
                                config,
                                &mut body_x,
                            );
                        }
                        if !body_ready {
                            features.features_into(&post.text, &mut x);
                        }
                        probs.resize(model.model.classes(), 0.0);
                        slot.label = Some(model.model.predict(&mut x, &mut probs));
                    }
                    if let (Task::Intent(addressed), Some(model), Some(features)) =
                        (task, body, body_features.as_mut())
                    {
                        if !body_ready {
                            features.features_into(&post.text, &mut body_x);
                        }
                        probs.resize(model.model.classes(), 0.0);
                        model.model.predict(&mut body_x, &mut probs);
                        slot.route = Some(route(
                            &probs,
                            &model.model.header.labels,
                            addressed,
                            ADDRESSED_PRIOR,
                        ));
                    }
                }
            });
        }
    });
    out
}

/// One unit of the pass: the candidates read together, what each needs, and, once the
/// predicting thread is done, what the models said.
struct Unit {
    candidates: Vec<LabelCandidate>,
    tasks: Vec<Task>,
    predictions: Vec<Prediction>,
    models: Models,
}

/// A unit being predicted on its own thread while the pass writes the unit before it: the
/// models keep both cores busy while SQLite and the search index take the writes.
struct PredictionJob(tokio::sync::oneshot::Receiver<Unit>);

impl PredictionJob {
    fn spawn(candidates: Vec<LabelCandidate>, tasks: Vec<Task>, models: Models) -> Result<Self> {
        let (done, job) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("labelling".into())
            .spawn(move || {
                let predictions = predict_all(&candidates, &tasks, &models);
                // The pass may have stopped on an error meanwhile: nobody left to tell.
                let _ = done.send(Unit {
                    candidates,
                    tasks,
                    predictions,
                    models,
                });
            })
            .context("starting the labelling thread")?;
        Ok(Self(job))
    }

    async fn finished(self) -> Result<Unit> {
        self.0
            .await
            .map_err(|_| anyhow::anyhow!("the labelling thread stopped before it finished"))
    }
}

/// Which government accounts exist: handle → body, and user ids learnt from the data.
pub struct Government {
    handles: HashMap<String, String>,
    ids: HashMap<u64, String>,
}

impl Government {
    /// From the stored registry.
    pub async fn load(store: &SqliteStore) -> Result<Self> {
        let mut handles = HashMap::new();
        let mut ids = HashMap::new();
        for account in store.registered_accounts().await? {
            if let Some(id) = store.account_facts(&account.handle).await?.user_id {
                ids.insert(id, account.body_key.clone());
            }
            handles.insert(account.handle.to_ascii_lowercase(), account.body_key);
        }
        Ok(Self { handles, ids })
    }

    fn body_of(&self, id: u64, handle: &str) -> Option<&str> {
        if id != 0 {
            if let Some(body) = self.ids.get(&id) {
                return Some(body);
            }
        }
        self.handles
            .get(&handle.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The government handles a post mentions, lower-case, comma-separated ("" when none).
    fn mentioned(&self, post: &LabelCandidate) -> String {
        let mut handles: Vec<String> = mention_handles(&post.mentions)
            .map(str::to_ascii_lowercase)
            .filter(|h| self.handles.contains_key(h))
            .collect();
        handles.sort_unstable();
        handles.dedup();
        handles.join(",")
    }

    /// The body a citizen's post is addressed to, if any: the post replied to, the user
    /// replied to, then the first government account mentioned.
    fn addressed(&self, post: &LabelCandidate) -> Option<&str> {
        self.body_of(post.parent_author_id, &post.parent_author_handle)
            .or_else(|| self.ids.get(&post.reply_to_user).map(String::as_str))
            .or_else(|| {
                mention_handles(&post.mentions).find_map(|h| {
                    self.handles
                        .get(&h.to_ascii_lowercase())
                        .map(String::as_str)
                })
            })
    }
}

/// What one pass did.
#[derive(Debug, Default, serde::Serialize)]
pub struct LabelSummary {
    /// Posts looked at.
    pub looked_at: u64,
    /// Government posts given a post type.
    pub post_types: u64,
    /// Citizen messages given an intent and a body.
    pub intents: u64,
    /// Citizen messages the body model routed away from the body they were sent to.
    pub rerouted: u64,
    /// Official posts added to the search index for suggested answers.
    pub indexed_passages: u64,
    /// Seconds.
    pub seconds: f64,
}

/// Labels every post not looked at yet. Models are loaded only when a post needs one. A
/// government post that informs or serves citizens (a decision, a service, guidance, a rumour
/// rebuttal, a job call, an answer to a citizen) also goes into the search index, where agents
/// find it as a suggested answer.
pub async fn label_new_posts(store: &SqliteStore) -> Result<LabelSummary> {
    Labeller::default().label_new_posts(store).await
}

/// The labelling pass with its models kept loaded between runs (the server labels every
/// ingest request; reading the model files each time would cost more than the labelling).
#[derive(Default)]
pub struct Labeller {
    models: Models,
}

impl Labeller {
    /// Labels every post not looked at yet; see [`label_new_posts`].
    pub async fn label_new_posts(&mut self, store: &SqliteStore) -> Result<LabelSummary> {
        label_with(store, self, POSTS_PER_UNIT).await
    }

    /// Loads the models these tasks need and that are not loaded yet.
    fn load_for(&mut self, tasks: &[Task]) -> Result<()> {
        let need_post_type =
            self.models.post_type.is_none() && tasks.iter().any(|t| matches!(t, Task::PostType));
        let need_intent =
            self.models.intent.is_none() && tasks.iter().any(|t| matches!(t, Task::Intent(_)));
        if !(need_post_type || need_intent) {
            return Ok(());
        }
        // Each load reads, checksums and decodes 10-16 MB: the three go side by side.
        let (p, i, b) = std::thread::scope(|s| {
            let p = need_post_type.then(|| s.spawn(|| Model::load("post_type")));
            let i = need_intent.then(|| s.spawn(|| Model::load("intent")));
            let b = need_intent.then(|| s.spawn(|| Model::load("body")));
            (joined(p), joined(i), joined(b))
        });
        if let Some(m) = p? {
            self.models.post_type = Some(Arc::new(m));
        }
        if let Some(m) = i? {
            self.models.intent = Some(Arc::new(m));
        }
        if let Some(m) = b? {
            self.models.body = Some(Arc::new(m));
        }
        Ok(())
    }
}

/// What each candidate needs: a post type, an intent and a body, or nothing.
fn tasks_of(government: &Government, candidates: &[LabelCandidate]) -> Vec<Task> {
    candidates
        .iter()
        .map(|post| {
            if government
                .body_of(post.author_id, &post.author_handle)
                .is_some()
            {
                Task::PostType
            } else if post.kind == PostKind::Retweet {
                Task::Skip
            } else {
                government
                    .addressed(post)
                    .map_or(Task::Skip, |body| Task::Intent(body.to_string()))
            }
        })
        .collect()
}

/// The pass reads units of `posts_per_unit` candidates. Unit k+1 is read and predicted while
/// unit k is written: its passages committed to the search index first, then its labels, so a
/// killed pass leaves no labelled post unindexed (the next pass labels and indexes it again).
async fn label_with(
    store: &SqliteStore,
    loaded: &mut Labeller,
    posts_per_unit: usize,
) -> Result<LabelSummary> {
    let started = std::time::Instant::now();
    let government = Government::load(store).await?;
    let mut summary = LabelSummary::default();
    let mut after = 0u64;
    // Opened on the first passage: most passes of a server's ingest requests have none.
    let index = std::cell::OnceCell::new();
    let mut passages = None;
    let mut in_flight: Option<PredictionJob> = None;
    loop {
        let candidates = store.label_candidates(after, posts_per_unit.max(1)).await?;
        let next = match candidates.last() {
            Some(last) => {
                after = last.id;
                let tasks = tasks_of(&government, &candidates);
                loaded.load_for(&tasks)?;
                Some(PredictionJob::spawn(
                    candidates,
                    tasks,
                    loaded.models.clone(),
                )?)
            }
            None => None,
        };
        if let Some(job) = in_flight.take() {
            let unit = job.finished().await?;
            if let Some(documents) = unit_writes(&government, unit, &mut summary) {
                if !documents.passages.is_empty() && passages.is_none() {
                    if index.get().is_none() {
                        let dir = crate::kb_cmd::index_dir(
                            store.path().parent().unwrap_or(std::path::Path::new(".")),
                        );
                        let _ = index.set(SearchIndex::open_or_create(&dir)?);
                    }
                    passages = index.get().map(SearchIndex::writer).transpose()?;
                }
                if let Some(writer) = passages.as_mut() {
                    writer.add(&documents.passages)?;
                    summary.indexed_passages += documents.passages.len() as u64;
                    writer.commit()?;
                }
                store
                    .write_labels(
                        &documents.writes,
                        documents.first,
                        documents.last,
                        crate::import_cmd::now_ms(),
                    )
                    .await?;
            }
        }
        match next {
            Some(job) => in_flight = Some(job),
            None => break,
        }
    }
    if let Some(writer) = passages {
        writer.finish()?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// What one unit writes: the label rows, the passages for the search index, and the id range
/// of the candidates looked at.
struct UnitWrites {
    writes: Vec<LabelWrite>,
    passages: Vec<Document>,
    first: u64,
    last: u64,
}

/// Turns a predicted unit into the labels and passages it writes, and counts them; `None` for
/// an empty unit.
fn unit_writes(
    government: &Government,
    unit: Unit,
    summary: &mut LabelSummary,
) -> Option<UnitWrites> {
    let Unit {
        candidates,
        tasks,
        predictions,
        models,
    } = unit;
    let (Some(first), Some(last)) = (candidates.first(), candidates.last()) else {
        return None;
    };
    let (first, last) = (first.id, last.id);
    let mut writes = Vec::new();
    let mut passages = Vec::new();
    for ((post, task), prediction) in candidates.iter().zip(&tasks).zip(predictions) {
        let (model, (label, confidence)) = match (task, prediction.label) {
            (Task::PostType, Some(p)) => (models.post_type.as_deref(), p),
            (Task::Intent(_), Some(p)) => (models.intent.as_deref(), p),
            _ => continue,
        };
        let Some(model) = model else { continue };
        let value = model.model.header.labels[label].clone();
        match task {
            Task::PostType => {
                if post.kind != PostKind::Retweet && SERVING_POST_TYPES.contains(&value.as_str()) {
                    let body = government.body_of(post.author_id, &post.author_handle);
                    passages.push(Document {
                        id: format!("post:{}", post.id),
                        kind: DocKind::Post,
                        body: body.map(String::from),
                        title: String::new(),
                        text: post.text.clone(),
                        source: format!("https://x.com/{}/status/{}", post.author_handle, post.id),
                        label: value.clone(),
                    });
                }
                writes.push(LabelWrite {
                    post_id: post.id,
                    task: "post_type",
                    value,
                    confidence,
                    source: model.source.clone(),
                });
                summary.post_types += 1;
            }
            Task::Intent(body) => {
                writes.push(LabelWrite {
                    post_id: post.id,
                    task: "intent",
                    value,
                    confidence,
                    source: model.source.clone(),
                });
                let mentioned = government.mentioned(post);
                if !mentioned.is_empty() {
                    writes.push(LabelWrite {
                        post_id: post.id,
                        task: MENTIONED_GOVERNMENT,
                        value: mentioned,
                        confidence: 1.0,
                        source: "rule:entities".into(),
                    });
                }
                // The body model weighed against the body the message was sent to.
                let body_model = models.body.as_deref();
                let (value, confidence, source) = match (prediction.route, body_model) {
                    (Some(Route::Model { label, confidence }), Some(m)) => (
                        m.model.header.labels[label].clone(),
                        confidence,
                        m.source.clone(),
                    ),
                    (Some(Route::Addressed { confidence }), Some(m)) => {
                        (body.clone(), confidence, m.source.clone())
                    }
                    _ => (body.clone(), 1.0, "rule:addressed".to_string()),
                };
                summary.rerouted += u64::from(value != *body);
                writes.push(LabelWrite {
                    post_id: post.id,
                    task: "body",
                    value,
                    confidence,
                    source,
                });
                summary.intents += 1;
            }
            Task::Skip => {}
        }
    }
    summary.looked_at += candidates.len() as u64;
    Some(UnitWrites {
        writes,
        passages,
        first,
        last,
    })
}

/// `tawasul reclassify`: forget model labels, label everything again with the current models.
pub fn reclassify(
    data_dir: &std::path::Path,
    registry: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let runtime = crate::import_cmd::runtime()?;
    let store = crate::import_cmd::open_store(&runtime, data_dir, registry)?;
    let summary = runtime.block_on(async {
        let reset = store.reset_model_labels().await?;
        let summary = label_new_posts(&store).await?;
        // New labels are a new version of the posts: the next report should not wait for it.
        store.prepare_scan_cache().await?;
        anyhow::Ok(serde_json::json!({"reset": reset, "labelled": summary}))
    })?;
    runtime.block_on(store.close());
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tawasul_core::{Post, Record, Registry};
    use tawasul_store::Store;

    /// Passages are committed unit by unit, and every labelled official post ends up in the
    /// index exactly once, whatever the number of commits.
    #[tokio::test]
    async fn passages_are_indexed_in_steps_and_none_is_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open_dir(dir.path()).await.expect("store");
        store
            .save_registry(&Registry::shipped())
            .await
            .expect("registry");
        let posts: Vec<Record> = (0..5_700u64)
            .map(|i| {
                Record::Post(Post {
                    id: 1_000_000 + i,
                    kind: PostKind::Original,
                    author_handle: Some("mohpegypt".into()),
                    text: format!("وزارة الصحة تطلق حملة التطعيم رقم {i} في جميع المحافظات"),
                    complete: true,
                    created_at_ms: Some(1_700_000_000_000 + i as i64),
                    ..Post::default()
                })
            })
            .collect();
        store.write_batch(&posts).await.expect("write");
        // One commit per unit: six here, the last one short.
        let summary = label_with(&store, &mut Labeller::default(), 1_000)
            .await
            .expect("label");
        assert_eq!(summary.looked_at, posts.len() as u64);
        assert!(summary.indexed_passages > 0, "{summary:?}");
        let index =
            SearchIndex::open_or_create(&crate::kb_cmd::index_dir(dir.path())).expect("index");
        assert_eq!(index.len(), summary.indexed_passages);
        let serving: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM posts WHERE post_type IN ({})",
            SERVING_POST_TYPES
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(",")
        ))
        .fetch_one(store.pool())
        .await
        .expect("count");
        assert_eq!(serving as u64, summary.indexed_passages);
        // Nothing left to label, nothing indexed twice.
        let again = label_with(&store, &mut Labeller::default(), 1_000)
            .await
            .expect("label");
        assert_eq!((again.looked_at, again.indexed_passages), (0, 0));
        assert_eq!(index.len(), summary.indexed_passages);
    }
}
