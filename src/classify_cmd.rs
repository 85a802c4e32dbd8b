//! `tawasul train`, `tawasul eval` and `tawasul classify`: recipes in, models and metrics out.
//!
//! A recipe (TOML, in `models/recipes/`) names the task, its labels, the data files (read from
//! `../shared/data`), the feature settings and the seeded training options, so a model file is
//! reproducible from it byte for byte.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tawasul_classify::{
    fit_temperature, route, stratified_folds, Evaluation, FeatureConfig, Featurizer, LinearModel,
    Route, SparseVector, TrainOptions,
};
use tawasul_text::{normalize, Profile};

/// A training recipe.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    task: String,
    labels: Vec<String>,
    #[serde(default)]
    needs_reply: Vec<String>,
    #[serde(default = "default_folds")]
    folds: usize,
    features: FeatureConfig,
    training: TrainOptions,
    data: Vec<DataSource>,
}

fn default_folds() -> usize {
    5
}

/// A labelled file read from the shared data directory: a TSV (no quoting) or, with
/// `delimiter = ","`, a CSV with quoted fields, both with a header row unless `columns` names
/// them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSource {
    path: String,
    text: String,
    /// The column holding each row's label; absent when `cues` give the labels.
    #[serde(default)]
    label: Option<String>,
    /// Evaluated on its own after training on the other sources (a held-out split).
    #[serde(default)]
    heldout: bool,
    /// The column names of a table without a header row (ASTD's `text<TAB>label`); empty when
    /// the first row names them.
    #[serde(default)]
    columns: Vec<String>,
    /// Field separator, one character: a tab unless the file is a CSV.
    #[serde(default)]
    delimiter: Option<char>,
    /// `json`: the file is a JSON list of objects (a knowledge base), not a delimited table.
    #[serde(default)]
    format: Option<String>,
    /// More fields appended to `text` (a string, or a list of strings joined), for records
    /// whose text is spread over fields (a service's name, description and documents).
    #[serde(default)]
    text_also: Vec<String>,
    /// The source's own labels → the recipe's labels, for data labelled by another scheme
    /// (a topic, an account, a reviewed place); rows whose label is not a key are left out.
    #[serde(default)]
    map: Option<std::collections::BTreeMap<String, String>>,
    /// More of `map`, read from two columns of another file (each reviewed place → the body
    /// responsible for it, as that file says).
    #[serde(default)]
    map_from: Option<MapFrom>,
    /// At most this many rows per recipe label from this source, chosen by the recipe's seed,
    /// so one abundant source does not drown the others.
    #[serde(default)]
    max_per_label: Option<usize>,
    /// Rows with fewer words are left out: "ممتاز" says nothing about what it praises.
    #[serde(default)]
    min_words: usize,
    /// Labels given by cue phrases instead of a label column (distant supervision, for labels
    /// too rare in the annotated data to learn): the first rule with a phrase in the row's
    /// text (both compared in the `search` profile) gives its label; rows no rule matches and
    /// copies of an annotated row are left out.
    #[serde(default)]
    cues: Vec<CueRule>,
    /// Rows used for training only, never scored: cross-validation keeps them out of every
    /// test fold, so weak labels cannot grade themselves.
    #[serde(default)]
    train_only: bool,
    /// A column whose values split the held-out scores (the account that posted, the kind of
    /// source): a held-out set drawn partly from accounts the training never saw is scored
    /// for each of them apart, so a gap shows where it comes from.
    #[serde(default)]
    group: Option<String>,
}

/// One rule of a cue-labelled source.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CueRule {
    label: String,
    /// Any of these phrases in the text gives the label.
    any: Vec<String>,
    /// Unless one of these is there too.
    #[serde(default)]
    none: Vec<String>,
}

/// A label mapping kept in another data file: `key` column → `value` column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFrom {
    path: String,
    key: String,
    value: String,
}

struct Labelled {
    text: String,
    label: usize,
    heldout: bool,
    /// Given by cues, not by an annotator (see `DataSource::cues`).
    weak: bool,
    /// Never in a cross-validation test fold.
    train_only: bool,
    /// The row's value of its source's `group` column.
    group: Option<String>,
}

/// One row of a source as read: where it is, its text, its raw label and its group.
struct Record {
    at: String,
    text: String,
    label: String,
    group: Option<String>,
}

fn load_recipe(path: &Path) -> Result<Recipe> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let recipe: Recipe =
        toml::from_str(&text).with_context(|| format!("recipe {}", path.display()))?;
    if recipe.labels.len() < 2 {
        bail!("recipe {}: at least two labels", path.display());
    }
    for source in &recipe.data {
        match (&source.label, source.cues.is_empty()) {
            (Some(_), false) => bail!(
                "recipe {}: {} has both a label column and cues; give one",
                path.display(),
                source.path
            ),
            (None, true) => bail!(
                "recipe {}: {} needs a label column or cues",
                path.display(),
                source.path
            ),
            _ => {}
        }
        if source.train_only && source.heldout {
            bail!(
                "recipe {}: {} cannot be both held out and train_only",
                path.display(),
                source.path
            );
        }
        if !source.cues.is_empty() && (source.map.is_some() || source.map_from.is_some()) {
            bail!(
                "recipe {}: {}: cues give the labels, so it cannot also map them",
                path.display(),
                source.path
            );
        }
        for rule in &source.cues {
            if !recipe.labels.contains(&rule.label) {
                bail!(
                    "recipe {}: {} has a cue rule for {:?}, which is not one of its labels",
                    path.display(),
                    source.path,
                    rule.label
                );
            }
            if rule.any.iter().any(|p| p.trim().is_empty()) || rule.any.is_empty() {
                bail!(
                    "recipe {}: {}: the cue rule for {:?} needs non-empty phrases",
                    path.display(),
                    source.path,
                    rule.label
                );
            }
        }
        for to in source.map.iter().flat_map(|m| m.values()) {
            if !recipe.labels.contains(to) {
                bail!(
                    "recipe {}: {} maps to {to:?}, which is not one of its labels",
                    path.display(),
                    source.path
                );
            }
        }
    }
    Ok(recipe)
}

/// SplitMix64: a seeded, platform-independent order for choosing rows.
fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A data file's rows and the positions of the two named columns (and of a third, when asked).
type Table = (
    csv::Reader<std::io::BufReader<std::fs::File>>,
    usize,
    usize,
    Option<usize>,
);

/// Opens a TSV (tab, no quoting) or another delimited file with quotes, and finds two columns
/// (and a third when asked).
fn open_table(
    path: &Path,
    delimiter: Option<char>,
    columns: &[String],
    first: &str,
    second: &str,
    third: Option<&str>,
) -> Result<Table> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let delimiter = u8::try_from(delimiter.unwrap_or('\t'))
        .with_context(|| format!("{}: the delimiter must be ASCII", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(delimiter != b'\t')
        .flexible(true)
        .has_headers(columns.is_empty())
        .from_reader(std::io::BufReader::new(file));
    let header = if columns.is_empty() {
        reader
            .headers()
            .with_context(|| format!("{}: header", path.display()))?
            .clone()
    } else {
        csv::StringRecord::from(columns.to_vec())
    };
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name:?}", path.display()))
    };
    let (a, b) = (column(first)?, column(second)?);
    let c = third.map(column).transpose()?;
    Ok((reader, a, b, c))
}

/// A source's label mapping: `map`, then the pairs of `map_from` it does not already name.
fn source_map(
    source: &DataSource,
    shared: &Path,
) -> Result<Option<std::collections::BTreeMap<String, String>>> {
    let mut map = source.map.clone();
    if let Some(from) = &source.map_from {
        let path = shared.join(&from.path);
        let (mut reader, key_at, value_at, _) =
            open_table(&path, None, &[], &from.key, &from.value, None)?;
        let map = map.get_or_insert_with(Default::default);
        for record in reader.records() {
            let record = record.with_context(|| format!("{}", path.display()))?;
            if let (Some(k), Some(v)) = (record.get(key_at), record.get(value_at)) {
                map.entry(k.trim().to_string())
                    .or_insert_with(|| v.trim().to_string());
            }
        }
    }
    Ok(map)
}

/// The column read as a row's raw label. A cue-labelled source has none: its text is read in
/// that place and the cues replace it.
fn label_column(source: &DataSource) -> &str {
    source.label.as_deref().unwrap_or(&source.text)
}

/// A JSON list of objects as records: `text` and `text_also` fields joined by newlines (list
/// fields joined by "، ").
fn json_records(source: &DataSource, path: &Path) -> Result<Vec<Record>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let items: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a JSON list of objects", path.display()))?;
    let field = |item: &serde_json::Map<String, serde_json::Value>, name: &str| match item.get(name)
    {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("، "),
        _ => String::new(),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{}: item {}", path.display(), i + 1);
        let label = label_column(source);
        if !item.contains_key(&source.text) || !item.contains_key(label) {
            bail!("{at}: no {:?} or {label:?} field", source.text);
        }
        let mut text = field(item, &source.text);
        for more in &source.text_also {
            let value = field(item, more);
            if !value.is_empty() {
                text.push('\n');
                text.push_str(&value);
            }
        }
        out.push(Record {
            label: field(item, label),
            group: source.group.as_deref().map(|g| field(item, g)),
            at,
            text,
        });
    }
    Ok(out)
}

/// A delimited file as records.
fn table_records(source: &DataSource, path: &Path) -> Result<Vec<Record>> {
    if let Some(more) = source.text_also.first() {
        bail!(
            "{}: text_also ({more:?}) is for JSON sources",
            path.display()
        );
    }
    let (mut reader, text_at, label_at, group_at) = open_table(
        path,
        source.delimiter,
        &source.columns,
        &source.text,
        label_column(source),
        source.group.as_deref(),
    )?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}", path.display()))?;
        let at = format!(
            "{}:{}",
            path.display(),
            record.position().map_or(0, |p| p.line())
        );
        let (Some(text), Some(label)) = (record.get(text_at), record.get(label_at)) else {
            bail!("{at}: fewer fields than the header");
        };
        let group = match group_at {
            Some(g) => Some(
                record
                    .get(g)
                    .with_context(|| format!("{at}: no {:?} field", source.group))?
                    .trim()
                    .to_string(),
            ),
            None => None,
        };
        out.push(Record {
            at,
            text: text.to_string(),
            label: label.to_string(),
            group,
        });
    }
    Ok(out)
}

/// Reads one source's rows (text, recipe label index) in file order.
fn read_source(recipe: &Recipe, source: &DataSource, shared: &Path) -> Result<Vec<Labelled>> {
    let path = shared.join(&source.path);
    let records = match source.format.as_deref() {
        None | Some("table") => table_records(source, &path)?,
        Some("json") => json_records(source, &path)?,
        Some(other) => bail!("{}: unknown format {other:?} (table or json)", source.path),
    };
    let map = source_map(source, shared)?;
    let cues = CueMatcher::new(&source.cues);
    let mut rows = Vec::new();
    for Record {
        at: line,
        text,
        label: raw,
        group,
    } in records
    {
        let raw = raw.trim();
        let name = if cues.is_empty() {
            match &map {
                Some(map) => match map.get(raw) {
                    Some(to) => to.as_str(),
                    None => continue,
                },
                None => raw,
            }
        } else {
            match cues.label_of(&text) {
                Some(label) => label,
                None => continue,
            }
        };
        if text.split_whitespace().count() < source.min_words {
            continue;
        }
        let label = recipe
            .labels
            .iter()
            .position(|x| x == name)
            .with_context(|| format!("{line}: label {name:?} is not in the recipe"))?;
        rows.push(Labelled {
            text,
            label,
            heldout: source.heldout,
            weak: !cues.is_empty(),
            train_only: source.train_only,
            group,
        });
    }
    Ok(rows)
}

/// A source's cue rules with their phrases in the `search` profile, so a phrase written with
/// one alef, ta marbuta or tatweel finds every spelling of it.
struct CueMatcher<'r> {
    rules: Vec<(&'r str, Vec<String>, Vec<String>)>,
}

impl<'r> CueMatcher<'r> {
    fn new(rules: &'r [CueRule]) -> Self {
        let fold = |phrases: &[String]| -> Vec<String> {
            phrases
                .iter()
                .map(|p| normalize(p, Profile::Search))
                .collect()
        };
        CueMatcher {
            rules: rules
                .iter()
                .map(|r| (r.label.as_str(), fold(&r.any), fold(&r.none)))
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The label of the first rule that matches `text`, if any. The text is read with a space
    /// on each side, so a phrase written with spaces around it (" نفت ") matches whole words
    /// only, at the ends too.
    fn label_of(&self, text: &str) -> Option<&'r str> {
        let text = format!(" {} ", normalize(text, Profile::Search));
        self.rules
            .iter()
            .find(|(_, any, none)| {
                any.iter().any(|p| text.contains(p.as_str()))
                    && !none.iter().any(|p| text.contains(p.as_str()))
            })
            .map(|(label, _, _)| *label)
    }
}

/// Keeps at most `cap` rows per label, chosen by the seed, in file order.
fn cap_per_label(rows: &mut Vec<Labelled>, cap: usize, labels: usize, seed: u64) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| mix(seed, i as u64));
    let mut taken = vec![0usize; labels];
    let mut keep = vec![false; rows.len()];
    for i in order {
        let n = &mut taken[rows[i].label];
        if *n < cap {
            *n += 1;
            keep[i] = true;
        }
    }
    let mut keep = keep.into_iter();
    rows.retain(|_| keep.next().unwrap_or(false));
}

/// What two copies of one message share however a data set re-spaced or re-quoted it: its
/// letters and digits, lower-cased. Copies of a held-out message are found by this key.
fn leak_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every source's rows. A training row that is a copy of a held-out row (same `leak_key`) is
/// left out before any cap, so the held-out score never rewards memory.
fn load_data(recipe: &Recipe, shared: &Path) -> Result<Vec<Labelled>> {
    let mut sources = Vec::with_capacity(recipe.data.len());
    for source in &recipe.data {
        sources.push(read_source(recipe, source, shared)?);
    }
    // Each row's leak key, computed once: held-out copies and (for cue-labelled rows)
    // copies of annotated rows are found by it.
    let keys: Vec<Vec<String>> = sources
        .iter()
        .map(|rows| rows.iter().map(|i| leak_key(&i.text)).collect())
        .collect();
    let rows_with_keys = || sources.iter().flatten().zip(keys.iter().flatten());
    let heldout: HashSet<&str> = rows_with_keys()
        .filter(|(i, _)| i.heldout)
        .map(|(_, k)| k.as_str())
        .collect();
    // A cue never overrules an annotator.
    let annotated: HashSet<&str> = rows_with_keys()
        .filter(|(i, _)| !i.weak)
        .map(|(_, k)| k.as_str())
        .collect();
    let mut out = Vec::new();
    for ((source, rows), keys) in recipe.data.iter().zip(sources).zip(&keys) {
        let mut seen = HashSet::new();
        let mut rows: Vec<Labelled> = rows
            .into_iter()
            .zip(keys)
            .filter(|(i, key)| {
                let key = key.as_str();
                (i.heldout || !heldout.contains(key))
                    && (!i.weak || (!annotated.contains(key) && seen.insert(key)))
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(cap) = source.max_per_label {
            cap_per_label(&mut rows, cap, recipe.labels.len(), recipe.training.seed);
        }
        out.extend(rows);
    }
    Ok(out)
}

fn featurize(config: &FeatureConfig, items: &[Labelled]) -> Vec<(SparseVector, usize)> {
    let mut f = Featurizer::new(config.clone());
    items
        .iter()
        .map(|item| {
            let mut x = Vec::new();
            f.features_into(&item.text, &mut x);
            (x, item.label)
        })
        .collect()
}

/// What one trained split gives: its scores, the raw logits of each test item (for
/// calibration) and each test item's predicted label.
type Scored = (Evaluation, Vec<Vec<f32>>, Vec<usize>);

/// Trains on `train`, scores `test`.
fn evaluate(
    recipe: &Recipe,
    train: &[(SparseVector, usize)],
    test: &[(SparseVector, usize)],
) -> Result<Scored> {
    let model = LinearModel::train(
        &recipe.task,
        recipe.labels.clone(),
        recipe.features.clone(),
        train,
        &recipe.training,
        "",
    )?;
    let mut probs = vec![0f32; recipe.labels.len()];
    let mut logits = Vec::with_capacity(test.len());
    let predicted: Vec<usize> = test
        .iter()
        .map(|(x, _)| {
            let mut x = x.clone();
            let best = model.predict(&mut x, &mut probs).0;
            model.logits_into(&x, &mut probs);
            logits.push(probs.clone());
            best
        })
        .collect();
    let gold: Vec<usize> = test.iter().map(|(_, y)| *y).collect();
    Ok((
        Evaluation::new(&recipe.labels, &gold, &predicted),
        logits,
        predicted,
    ))
}

/// Scores of each group of a held-out set, most items first: items, accuracy, and macro-F1
/// over the labels the group holds or was given.
fn scores_by_group(
    labels: &[String],
    groups: &[&str],
    gold: &[usize],
    predicted: &[usize],
) -> Vec<serde_json::Value> {
    let mut by: std::collections::BTreeMap<&str, (Vec<usize>, Vec<usize>)> = Default::default();
    for ((&group, &g), &p) in groups.iter().zip(gold).zip(predicted) {
        let (gs, ps) = by.entry(group).or_default();
        gs.push(g);
        ps.push(p);
    }
    let mut scores: Vec<(usize, &str, Evaluation)> = by
        .into_iter()
        .map(|(group, (g, p))| (g.len(), group, Evaluation::new(labels, &g, &p)))
        .collect();
    scores.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scores
        .into_iter()
        .map(|(items, group, e)| {
            serde_json::json!({"group": group, "items": items, "accuracy": e.accuracy, "macro_f1": e.macro_f1})
        })
        .collect()
}

/// Expected calibration error of the top class, 10 equal-width confidence bins.
fn expected_calibration_error(logits: &[Vec<f32>], gold: &[usize], temperature: f32) -> f64 {
    let mut bins = [(0usize, 0f64, 0usize); 10];
    for (l, &g) in logits.iter().zip(gold) {
        let max = l.iter().copied().fold(f32::MIN, f32::max);
        let exps: Vec<f64> = l
            .iter()
            .map(|v| (((v - max) / temperature) as f64).exp())
            .collect();
        let sum: f64 = exps.iter().sum();
        let (best, top) = exps
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (i, &e)| if e > b.1 { (i, e) } else { b });
        let confidence = top / sum;
        let bin = ((confidence * 10.0) as usize).min(9);
        bins[bin].0 += 1;
        bins[bin].1 += confidence;
        bins[bin].2 += usize::from(best == g);
    }
    let n = logits.len().max(1) as f64;
    bins.iter()
        .filter(|b| b.0 > 0)
        .map(|&(count, conf, right)| {
            (count as f64 / n) * (conf / count as f64 - right as f64 / count as f64).abs()
        })
        .sum()
}

/// The cross-validation folds, as indices into `examples`: stratified over the items that
/// may be scored, so `train_only` items stay on the training side of every fold.
fn cv_folds(
    recipe: &Recipe,
    examples: &[(SparseVector, usize)],
    items: &[Labelled],
) -> Vec<Vec<usize>> {
    let scorable: Vec<usize> = (0..examples.len())
        .filter(|&i| !items[i].train_only)
        .collect();
    let labels: Vec<usize> = scorable.iter().map(|&i| examples[i].1).collect();
    stratified_folds(&labels, recipe.folds, recipe.training.seed)
        .into_iter()
        .map(|fold| fold.into_iter().map(|j| scorable[j]).collect())
        .collect()
}

/// Runs `job(0..jobs)` on as many threads as the machine has cores and returns the results
/// in job order: cross-validation's trainings are independent, and on two cores they take
/// half the time one after another would.
fn in_parallel<T: Send>(jobs: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, jobs.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if j >= jobs {
                            return mine;
                        }
                        mine.push((j, job(j)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(mine) => mine,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_by_key(|(j, _)| *j);
    done.into_iter().map(|(_, t)| t).collect()
}

/// k-fold cross-validation over all data, and the held-out split when the recipe has one.
fn evaluations(
    recipe: &Recipe,
    examples: &[(SparseVector, usize)],
    items: &[Labelled],
) -> Result<serde_json::Value> {
    let folds = cv_folds(recipe, examples, items);
    let scored: usize = folds.iter().map(Vec::len).sum();
    let has_heldout = items.iter().any(|i| i.heldout);
    // Job k < folds: cross-validation fold k; job `folds`: the held-out split. Each trains its
    // own seeded model, so running them side by side changes no number.
    let jobs = folds.len() + usize::from(has_heldout);
    let mut results = in_parallel(jobs, |job| {
        let (train, test): (Vec<_>, Vec<_>) = match folds.get(job) {
            Some(fold) => {
                let in_fold: HashSet<usize> = fold.iter().copied().collect();
                let train = (0..examples.len())
                    .filter(|i| !in_fold.contains(i))
                    .map(|i| examples[i].clone())
                    .collect();
                (train, fold.iter().map(|&i| examples[i].clone()).collect())
            }
            None => {
                let split = |heldout: bool| {
                    examples
                        .iter()
                        .zip(items)
                        .filter(|(_, i)| i.heldout == heldout)
                        .map(|(e, _)| e.clone())
                        .collect::<Vec<_>>()
                };
                (split(false), split(true))
            }
        };
        let evaluation = evaluate(recipe, &train, &test);
        let test_gold: Vec<usize> = test.iter().map(|(_, y)| *y).collect();
        evaluation.map(|(e, logits, predicted)| (e, logits, test_gold, train.len(), predicted))
    })
    .into_iter();
    let (mut gold, mut predicted) = (Vec::new(), Vec::new());
    let (mut oof_logits, mut oof_gold) = (Vec::new(), Vec::new());
    for k in 0..folds.len() {
        let (e, logits, test_gold, _, _) = results
            .next()
            .context("a cross-validation job returned nothing")?
            .with_context(|| format!("fold {}", k + 1))?;
        oof_logits.extend(logits);
        oof_gold.extend(test_gold);
        for (g, row) in e.confusion.iter().enumerate() {
            for (p, &n) in row.iter().enumerate() {
                gold.extend(std::iter::repeat_n(g, n));
                predicted.extend(std::iter::repeat_n(p, n));
            }
        }
    }
    let cv = Evaluation::new(&recipe.labels, &gold, &predicted);
    let positive: Vec<&str> = recipe.needs_reply.iter().map(String::as_str).collect();
    let mut report = serde_json::json!({
        "task": recipe.task,
        "items": examples.len(),
        "train_only_items": examples.len() - scored,
        "cross_validation": {"folds": recipe.folds, "macro_f1": cv.macro_f1, "accuracy": cv.accuracy, "evaluation": cv},
    });
    if !positive.is_empty() {
        report["cross_validation"]["needs_reply_f1"] = cv.grouped_f1(&positive).into();
    }
    let (temperature, nll_before, nll_after) = fit_temperature(&oof_logits, &oof_gold);
    report["calibration"] = serde_json::json!({
        "temperature": temperature,
        "nll_uncalibrated": nll_before,
        "nll_calibrated": nll_after,
        "ece_uncalibrated": expected_calibration_error(&oof_logits, &oof_gold, 1.0),
        "ece_calibrated": expected_calibration_error(&oof_logits, &oof_gold, temperature),
    });
    if let Some(heldout) = results.next() {
        let (e, _, heldout_gold, train_items, heldout_predicted) =
            heldout.context("held-out split")?;
        report["heldout"] = serde_json::json!({"train_items": train_items, "macro_f1": e.macro_f1, "accuracy": e.accuracy, "evaluation": e});
        let held: Vec<&Labelled> = items.iter().filter(|i| i.heldout).collect();
        if held.iter().any(|i| i.group.is_some()) {
            let groups: Vec<&str> = held
                .iter()
                .map(|i| i.group.as_deref().unwrap_or(""))
                .collect();
            let column = recipe
                .data
                .iter()
                .find(|d| d.heldout && d.group.is_some())
                .and_then(|d| d.group.clone());
            report["heldout"]["by_group"] = serde_json::json!({
                "column": column,
                "groups": scores_by_group(&recipe.labels, &groups, &heldout_gold, &heldout_predicted),
            });
        }
        if !positive.is_empty() {
            report["heldout"]["needs_reply_f1"] = e.grouped_f1(&positive).into();
        }
    }
    Ok(report)
}

/// Writes each item the recipe selected as a JSON line `{"fold","label","text"}`.
fn write_items_with_folds(
    recipe: &Recipe,
    items: &[Labelled],
    examples: &[(SparseVector, usize)],
    path: &Path,
) -> Result<()> {
    // -1: a train_only item, in the training side of every fold.
    let mut fold_of = vec![-1i64; examples.len()];
    for (k, fold) in cv_folds(recipe, examples, items).iter().enumerate() {
        for &i in fold {
            fold_of[i] = k as i64;
        }
    }
    let mut out = String::new();
    for (item, fold) in items.iter().zip(fold_of) {
        let line = serde_json::json!({
            "fold": fold,
            "label": recipe.labels[item.label],
            "text": item.text,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// `tawasul eval --recipe R`: prints the metrics JSON. `write_folds` receives each item the
/// recipe selected as a JSON line `{"fold","label","text"}` (in recipe order), so anchors are
/// scored on exactly the same items and splits.
pub fn eval(recipe_path: &Path, shared: &Path, write_folds: Option<&Path>) -> Result<ExitCode> {
    let recipe = load_recipe(recipe_path)?;
    let items = load_data(&recipe, shared)?;
    let examples = featurize(&recipe.features, &items);
    if let Some(path) = write_folds {
        write_items_with_folds(&recipe, &items, &examples, path)?;
    }
    println!("{}", evaluations(&recipe, &examples, &items)?);
    Ok(ExitCode::SUCCESS)
}

/// `tawasul train --recipe R --out M`: evaluates, then trains on all data and writes the model
/// and a Markdown report beside it.
pub fn train(
    recipe_path: &Path,
    out: &Path,
    shared: &Path,
    write_folds: Option<&Path>,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let recipe = load_recipe(recipe_path)?;
    let items = load_data(&recipe, shared)?;
    let examples = featurize(&recipe.features, &items);
    if let Some(path) = write_folds {
        write_items_with_folds(&recipe, &items, &examples, path)?;
    }
    let sources: Vec<&str> = recipe.data.iter().map(|d| d.path.as_str()).collect();
    let provenance = format!(
        "recipe {}; data {}",
        recipe_path.display(),
        sources.join(", ")
    );
    // The shipped model needs only the temperature from the evaluations, which it gets after
    // training: the two run side by side.
    let (report, model) = std::thread::scope(|scope| {
        let shipped = scope.spawn(|| {
            LinearModel::train(
                &recipe.task,
                recipe.labels.clone(),
                recipe.features.clone(),
                &examples,
                &recipe.training,
                &provenance,
            )
        });
        let report = evaluations(&recipe, &examples, &items);
        let model = match shipped.join() {
            Ok(model) => model,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (report, model)
    });
    let (report, mut model) = (report?, model?);
    model.header.temperature = report["calibration"]["temperature"].as_f64().unwrap_or(1.0) as f32;
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    let md = out.with_extension("eval.md");
    std::fs::write(&md, markdown(&recipe, &report, bytes.len(), &provenance))
        .with_context(|| format!("writing {}", md.display()))?;
    let mut summary = serde_json::json!({
        "task": recipe.task,
        "model": out.display().to_string(),
        "bytes": bytes.len(),
        "seconds": started.elapsed().as_secs_f64(),
        "cross_validation_macro_f1": report["cross_validation"]["macro_f1"],
    });
    if let Some(h) = report.get("heldout") {
        summary["heldout_macro_f1"] = h["macro_f1"].clone();
        summary["heldout_needs_reply_f1"] = h.get("needs_reply_f1").cloned().unwrap_or_default();
    }
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

fn markdown(recipe: &Recipe, report: &serde_json::Value, bytes: usize, provenance: &str) -> String {
    let train_only = match report["train_only_items"].as_u64() {
        Some(n) if n > 0 => format!(
            " ({n} of them for training only, with weak labels from cue phrases or another scheme's labels: no score below counts them)"
        ),
        _ => String::new(),
    };
    let mut md = format!(
        "# `{}` model: evaluation\n\nProduced by `tawasul train` ({provenance}); {} items{train_only}; model file {:.1} MB.\n\
         Numbers are from a seeded, stratified {}-fold cross-validation over all the recipe's data, and (when the\n\
         recipe marks one) from training without the held-out file and testing on it.\n\n",
        recipe.task,
        report["items"],
        bytes as f64 / 1e6,
        recipe.folds
    );
    if let Some(c) = report.get("calibration") {
        md.push_str(&format!(
            "Calibration: softmax temperature {:.3} fitted on the out-of-fold predictions; expected \
             calibration error {:.3} → {:.3}, log-loss {:.3} → {:.3}.\n\n",
            c["temperature"].as_f64().unwrap_or(1.0),
            c["ece_uncalibrated"].as_f64().unwrap_or(0.0),
            c["ece_calibrated"].as_f64().unwrap_or(0.0),
            c["nll_uncalibrated"].as_f64().unwrap_or(0.0),
            c["nll_calibrated"].as_f64().unwrap_or(0.0)
        ));
    }
    for (name, key) in [
        ("Cross-validation", "cross_validation"),
        ("Held-out file", "heldout"),
    ] {
        let Some(section) = report.get(key) else {
            continue;
        };
        let e = &section["evaluation"];
        md.push_str(&format!(
            "## {name}\n\nmacro-F1 **{:.3}**, accuracy {:.3}",
            section["macro_f1"].as_f64().unwrap_or(0.0),
            section["accuracy"].as_f64().unwrap_or(0.0)
        ));
        if let Some(f1) = section.get("needs_reply_f1").and_then(|v| v.as_f64()) {
            md.push_str(&format!(", needs_reply F1 **{f1:.3}**"));
        }
        md.push_str(
            "\n\n| label | support | precision | recall | F1 |\n|---|---:|---:|---:|---:|\n",
        );
        for c in e["classes"].as_array().into_iter().flatten() {
            md.push_str(&format!(
                "| {} | {} | {:.3} | {:.3} | {:.3} |\n",
                c["label"].as_str().unwrap_or(""),
                c["support"],
                c["precision"].as_f64().unwrap_or(0.0),
                c["recall"].as_f64().unwrap_or(0.0),
                c["f1"].as_f64().unwrap_or(0.0)
            ));
        }
        md.push_str("\nConfusion (rows gold, columns predicted):\n\n| |");
        let labels: Vec<&str> = e["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str())
            .collect();
        for l in &labels {
            md.push_str(&format!(" {l} |"));
        }
        md.push_str("\n|---|");
        md.push_str(&"---:|".repeat(labels.len()));
        md.push('\n');
        for (l, row) in labels
            .iter()
            .zip(e["confusion"].as_array().into_iter().flatten())
        {
            md.push_str(&format!("| {l} |"));
            for n in row.as_array().into_iter().flatten() {
                md.push_str(&format!(" {n} |"));
            }
            md.push('\n');
        }
        md.push('\n');
        if let Some(by) = section.get("by_group") {
            md.push_str(&format!(
                "By `{}` (macro-F1 over the labels each holds or was given):\n\n| {} | items | accuracy | macro-F1 |\n|---|---:|---:|---:|\n",
                by["column"].as_str().unwrap_or("group"),
                by["column"].as_str().unwrap_or("group"),
            ));
            for g in by["groups"].as_array().into_iter().flatten() {
                md.push_str(&format!(
                    "| {} | {} | {:.3} | {:.3} |\n",
                    markdown_cell(g["group"].as_str().unwrap_or("")),
                    g["items"],
                    g["accuracy"].as_f64().unwrap_or(0.0),
                    g["macro_f1"].as_f64().unwrap_or(0.0)
                ));
            }
            md.push('\n');
        }
    }
    md
}

/// A data value as a table cell: a `|` or a line break would end the cell.
fn markdown_cell(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '|' => '¦',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

/// The model file for a task: `--model`, else `models/<task>.model` under the working
/// directory, else the one shipped in the source tree this binary was built from.
pub(crate) fn model_path(task: &str, model: Option<PathBuf>) -> PathBuf {
    model.unwrap_or_else(|| {
        let local = PathBuf::from("models").join(format!("{task}.model"));
        if local.is_file() {
            local
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models")
                .join(format!("{task}.model"))
        }
    })
}

/// `tawasul classify --task T`: JSON lines `{"id","text"}` or plain lines in, one JSON line out
/// per input line, in order.
pub fn classify(task: &str, model: Option<PathBuf>, prior: f32) -> Result<ExitCode> {
    let path = model_path(task, model);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("reading the {task} model {}", path.display()))?;
    let model = LinearModel::from_bytes(&bytes).with_context(|| format!("{}", path.display()))?;
    if model.header.task != task {
        bail!(
            "{} is a {} model, not {task}",
            path.display(),
            model.header.task
        );
    }
    let needs_reply = ["complaint", "question", "request"];
    let mut featurizer = Featurizer::new(model.header.features.clone());
    let mut x = Vec::new();
    let mut probs = vec![0f32; model.classes()];
    let mut lineno = 0u64;
    crate::text_cmd::each_line(|line, out| {
        lineno += 1;
        let mut addressed = None;
        let (id, text) = if line.trim_start().starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("stdin line {lineno}: invalid JSON"))?;
            let text = v
                .get("text")
                .and_then(|t| t.as_str())
                .with_context(|| format!("stdin line {lineno}: no \"text\" string"))?
                .to_string();
            addressed = v
                .get("addressed")
                .and_then(|a| a.as_str())
                .map(String::from);
            (
                v.get("id").cloned().unwrap_or(serde_json::Value::Null),
                text,
            )
        } else {
            (serde_json::Value::from(lineno), line.to_string())
        };
        featurizer.features_into(&text, &mut x);
        let (mut label, mut confidence) = model.predict(&mut x, &mut probs);
        let mut routed = None;
        if let (Some(to), "body") = (addressed.as_deref(), task) {
            match route(&probs, &model.header.labels, to, prior) {
                Route::Model {
                    label: l,
                    confidence: c,
                } => (label, confidence) = (l, c),
                Route::Addressed { confidence: c } => (routed, confidence) = (Some(to), c),
            }
        }
        let label: &str = routed.unwrap_or(&model.header.labels[label]);
        let mut result = serde_json::json!({"id": id, "label": label, "confidence": (f64::from(confidence) * 10_000.0).round() / 10_000.0});
        if task == "intent" {
            result["needs_reply"] = needs_reply.contains(&label).into();
        }
        writeln!(out, "{result}")?;
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn parallel_jobs_come_back_in_job_order_whatever_finishes_first() {
        // Early jobs sleep longest, so on more than one thread they finish last.
        let out = in_parallel(7, |j| {
            std::thread::sleep(std::time::Duration::from_millis(5 * (7 - j as u64)));
            j * 10
        });
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50, 60]);
        assert!(in_parallel(0, |j| j).is_empty());
    }

    #[test]
    fn recipe_sources_are_mapped_filtered_capped_and_kept_apart_from_the_held_out_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "places.tsv",
            "entity\tministry\ttext\nمستشفى أ\thealth\tالمستشفى زحمة جدا والدكاترة مش موجودين\n\
             مطار ب\tcivil_aviation\tممتاز\nمطار ب\tcivil_aviation\tالطيارة اتأخرت ساعتين في المطار\n\
             مطار ب\tcivil_aviation\tالجوازات في المطار بطيئة جدا النهارده\n",
        );
        write(
            dir.path(),
            "topics.csv",
            "Class,Content\nhealth,\"وزارة الصحة تعلن\nحملة تطعيم جديدة\"\npolitics,خبر سياسي طويل بما يكفي هنا\n",
        );
        write(
            dir.path(),
            "kb.json",
            r#"[{"category": "مركباتى", "service_name": "تجديد رخصة مركبة", "Documents": ["الرخصة", "شهادة الفحص"]}]"#,
        );
        write(
            dir.path(),
            "gold.tsv",
            "entity\ttext\nمطار ب\t\"الجوازات  في المطار بطيئة جدا النهارده\"\n",
        );
        let recipe = test_recipe(
            r#"
            task = "body"
            labels = ["health", "civil_aviation", "interior"]
            "#,
            r#"
            [[data]]
            path = "places.tsv"
            text = "text"
            label = "ministry"
            min_words = 3
            max_per_label = 1
            [[data]]
            path = "topics.csv"
            delimiter = ","
            text = "Content"
            label = "Class"
            map = { health = "health" }
            [[data]]
            path = "kb.json"
            format = "json"
            text = "service_name"
            text_also = ["description", "Documents"]
            label = "category"
            map = { "مركباتى" = "interior" }
            [[data]]
            path = "gold.tsv"
            text = "text"
            label = "entity"
            heldout = true
            map_from = { path = "places.tsv", key = "entity", value = "ministry" }
            "#,
        );
        let items = load_data(&recipe, dir.path()).unwrap();
        let seen: Vec<(&str, &str, bool)> = items
            .iter()
            .map(|i| (recipe.labels[i.label].as_str(), i.text.as_str(), i.heldout))
            .collect();
        // "ممتاز" is under min_words; one civil_aviation row survives the cap, and not the one
        // the held-out file also has (re-spaced and quoted there); the CSV's quoted newline is kept; politics is unmapped.
        assert_eq!(
            seen,
            vec![
                ("health", "المستشفى زحمة جدا والدكاترة مش موجودين", false),
                ("civil_aviation", "الطيارة اتأخرت ساعتين في المطار", false),
                ("health", "وزارة الصحة تعلن\nحملة تطعيم جديدة", false),
                ("interior", "تجديد رخصة مركبة\nالرخصة، شهادة الفحص", false),
                (
                    "civil_aviation",
                    "\"الجوازات  في المطار بطيئة جدا النهارده\"",
                    true
                ),
            ]
        );
    }

    #[test]
    fn held_out_rows_carry_their_group_and_are_scored_per_group() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "gold.tsv",
            "id\taccount\tlabel\ttext\n1\t@a\tnews\tخبر عن المدارس\n2\t@b\tnews\tخبر عن المرور\n\
             3\t@a\tservice\tرابط التسجيل\n",
        );
        let recipe = test_recipe(
            r#"
            task = "post_type"
            labels = ["news", "service"]
            "#,
            r#"
            [[data]]
            path = "gold.tsv"
            text = "text"
            label = "label"
            heldout = true
            group = "account"
            "#,
        );
        let items = load_data(&recipe, dir.path()).unwrap();
        let groups: Vec<&str> = items.iter().filter_map(|i| i.group.as_deref()).collect();
        assert_eq!(groups, ["@a", "@b", "@a"]);
        // @a: news right, service read as news; @b: news right.
        let scores = scores_by_group(&recipe.labels, &groups, &[0, 0, 1], &[0, 0, 0]);
        let row = |i: usize| {
            let g = &scores[i];
            (
                g["group"].as_str().unwrap().to_string(),
                g["items"].as_u64().unwrap(),
                g["accuracy"].as_f64().unwrap(),
                g["macro_f1"].as_f64().unwrap(),
            )
        };
        // Most items first; @a's macro-F1 averages news (2/3) and service (0).
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        let (group, n, accuracy, f1) = row(0);
        assert!(group == "@a" && n == 2 && close(accuracy, 0.5) && close(f1, 1.0 / 3.0));
        let (group, n, accuracy, f1) = row(1);
        assert!(group == "@b" && n == 1 && close(accuracy, 1.0) && close(f1, 1.0));

        let mut missing = recipe;
        missing.data[0].group = Some("handle".into());
        let err = load_data(&missing, dir.path()).err().unwrap();
        assert!(
            format!("{err:#}").contains("no column \"handle\""),
            "{err:#}"
        );
    }

    #[test]
    fn cue_rules_label_weak_rows_that_train_but_are_never_scored() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "annotated.tsv",
            "label\ttext\nnews\tالوزارة تنفي ما تردد عن الامتحانات\nnews\tخبر أول عن الطقس اليوم\n\
             news\tخبر ثان عن المرور\nnews\tخبر ثالث عن المدارس\nrumor_rebuttal\tلا صحة لما نشر عن المدارس\n\
             rumor_rebuttal\tلا صحة لإلغاء الامتحانات\nrumor_rebuttal\tلا صحه لغلق المطار\n",
        );
        write(
            dir.path(),
            "timelines.tsv",
            // 1 copies an annotated row; 2 and 3 match the first rule (alef and ta marbuta
            // spelled otherwise in 3); 4 matches it but has a `none` phrase; 5 has "تنفيذ",
            // not the whole word "تنفي"; 6 matches the second rule only; 7 matches nothing.
            "text\n\"الوزارة تنفي  ما تردد عن الامتحانات\"\nالمتحدث: لا صحة لما يتردد\nلا صحه لاغلاق المدارس\n\
             لا صحة للشائعات وعلى مروجي الأخبار الحذر\nبدء تنفيذ المشروع\nخطبة الجمعة من المسجد\nخبر عادي\n\
             هذا الخبر تنفي الوزارة صحته\n",
        );
        let recipe = test_recipe(
            r#"
            task = "post_type"
            labels = ["news", "rumor_rebuttal", "religious"]
            folds = 2
            "#,
            r#"
            [[data]]
            path = "annotated.tsv"
            text = "text"
            label = "label"
            [[data]]
            path = "timelines.tsv"
            text = "text"
            train_only = true
            [[data.cues]]
            label = "rumor_rebuttal"
            any = ["لا صحة", " تنفي "]
            none = ["مروجي"]
            [[data.cues]]
            label = "religious"
            any = ["خطبة الجمعة"]
            "#,
        );
        let items = load_data(&recipe, dir.path()).unwrap();
        let weak: Vec<(&str, &str)> = items
            .iter()
            .filter(|i| i.weak)
            .map(|i| (recipe.labels[i.label].as_str(), i.text.as_str()))
            .collect();
        assert_eq!(
            weak,
            vec![
                ("rumor_rebuttal", "المتحدث: لا صحة لما يتردد"),
                ("rumor_rebuttal", "لا صحه لاغلاق المدارس"),
                ("religious", "خطبة الجمعة من المسجد"),
                ("rumor_rebuttal", "هذا الخبر تنفي الوزارة صحته"),
            ]
        );
        assert!(items.iter().all(|i| i.weak == i.train_only));
        let examples = featurize(&recipe.features, &items);
        let folds = cv_folds(&recipe, &examples, &items);
        let scored: Vec<usize> = folds.iter().flatten().copied().collect();
        assert_eq!(scored.len(), 7, "every annotated row is scored once");
        assert!(scored.iter().all(|&i| !items[i].train_only));
        let report = evaluations(&recipe, &examples, &items).unwrap();
        assert_eq!(report["train_only_items"], 4);
        assert_eq!(report["cross_validation"]["evaluation"]["items"], 7);
    }

    #[test]
    fn a_table_without_a_header_row_is_read_by_the_columns_the_recipe_names() {
        let dir = tempfile::tempdir().unwrap();
        // ASTD's shape: text<TAB>label, the first line already data.
        write(
            dir.path(),
            "astd.tsv",
            "الجو النهارده حلو جدا في القاهرة\tPOS\nخبر عن مباراة الأهلي امبارح\tOBJ\n",
        );
        let recipe = |columns: &str| -> Recipe {
            test_recipe(
                r#"
                task = "intent"
                labels = ["complaint", "other"]
                "#,
                &format!(
                    r#"
                    [[data]]
                    path = "astd.tsv"
                    columns = {columns}
                    text = "text"
                    label = "sentiment"
                    map = {{ OBJ = "other", POS = "other" }}
                    "#
                ),
            )
        };
        let items = load_data(&recipe(r#"["text", "sentiment"]"#), dir.path()).unwrap();
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "الجو النهارده حلو جدا في القاهرة",
                "خبر عن مباراة الأهلي امبارح"
            ]
        );
        let err = format!(
            "{:#}",
            load_data(&recipe(r#"["tweet", "sentiment"]"#), dir.path())
                .err()
                .unwrap()
        );
        assert!(
            err.contains("astd.tsv") && err.contains("\"text\""),
            "{err}"
        );
    }

    /// A recipe of `head` (task, labels, folds) and `data` (its sources), with the smallest
    /// feature and training settings.
    fn test_recipe(head: &str, data: &str) -> Recipe {
        toml::from_str(&format!("{head}\n{SMALLEST_SETTINGS}{data}")).unwrap()
    }

    /// The error `load_recipe` gives for a recipe of `task` and `labels` (TOML lists) whose
    /// sources are `data`, with the smallest feature and training settings.
    fn recipe_error(task: &str, labels: &str, data: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.toml");
        std::fs::write(
            &path,
            format!("task = \"{task}\"\nlabels = {labels}\n{SMALLEST_SETTINGS}{data}"),
        )
        .unwrap();
        format!("{:#}", load_recipe(&path).err().unwrap())
    }

    /// Feature and training settings small enough for a test recipe.
    const SMALLEST_SETTINGS: &str =
        "[features]\nbits = 10\nchar_min = 2\nchar_max = 3\nword_bigrams = false\n\
        [training]\nepochs = 1\nlearning_rate = 0.1\nl2 = 0.0\nbalance = 0.0\nseed = 7\n";

    #[test]
    fn a_cue_source_with_a_label_column_too_is_an_error_naming_it() {
        let cue = "[[data.cues]]\nlabel = \"jobs\"\nany = [\"وظائف\"]\n";
        let labels = r#"["news", "jobs"]"#;
        let source = "[[data]]\npath = \"t.tsv\"\ntext = \"t\"\n";
        let err = recipe_error(
            "post_type",
            labels,
            &format!("{source}label = \"l\"\n{cue}"),
        );
        assert!(err.contains("t.tsv") && err.contains("cues"), "{err}");
        let err = recipe_error(
            "post_type",
            labels,
            &format!("{source}{}", cue.replace("jobs", "hiring")),
        );
        assert!(err.contains("t.tsv") && err.contains("hiring"), "{err}");
    }

    #[test]
    fn a_held_out_copy_is_found_whatever_its_spacing_and_quoting() {
        // Regression: 28 of the 52 CT22 tweets in the gold intent file differ from the CT22
        // files only by doubled spaces or CSV-style quotes, and an exact match let them leak.
        let key = leak_key("\"وسبق أن أكدت  منظمة الصحة \"\"لوقت طويل\"\"\" COVID");
        assert_eq!(
            key,
            leak_key("وسبق أن أكدت منظمة الصحة \"لوقت طويل\" covid")
        );
        assert_ne!(key, leak_key("وسبق أن أكدت منظمة الصحة لوقت قصير covid"));
    }

    #[test]
    fn a_mapped_label_outside_the_recipe_is_an_error_naming_the_source() {
        let err = recipe_error(
            "body",
            r#"["health", "interior"]"#,
            "[[data]]\npath = \"x.tsv\"\ntext = \"t\"\nlabel = \"l\"\nmap = { a = \"finance\" }\n",
        );
        assert!(err.contains("x.tsv") && err.contains("finance"), "{err}");
    }
}
