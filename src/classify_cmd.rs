//! `tawasul train`, `tawasul eval` and `tawasul classify`: recipes in, models and metrics out.
//!
//! A recipe (TOML, in `models/recipes/`) names the task, its labels, the data files (read from
//! `../shared/data`), the feature settings and the seeded training options, so a model file is
//! reproducible from it byte for byte.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tawasul_classify::{
    fit_temperature, stratified_folds, Evaluation, FeatureConfig, Featurizer, LinearModel,
    SparseVector, TrainOptions,
};

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

/// A labelled file: a TSV with a header, read from the shared data directory.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSource {
    path: String,
    text: String,
    label: String,
    /// Evaluated on its own after training on the other sources (a held-out split).
    #[serde(default)]
    heldout: bool,
}

struct Labelled {
    text: String,
    label: usize,
    heldout: bool,
}

fn load_recipe(path: &Path) -> Result<Recipe> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let recipe: Recipe =
        toml::from_str(&text).with_context(|| format!("recipe {}", path.display()))?;
    if recipe.labels.len() < 2 {
        bail!("recipe {}: at least two labels", path.display());
    }
    Ok(recipe)
}

fn load_data(recipe: &Recipe, shared: &Path) -> Result<Vec<Labelled>> {
    let mut out = Vec::new();
    for source in &recipe.data {
        let path = shared.join(&source.path);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .with_context(|| format!("{}: no column {name:?}", path.display()))
        };
        let (text_at, label_at) = (column(&source.text)?, column(&source.label)?);
        for (i, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let (Some(t), Some(l)) = (fields.get(text_at), fields.get(label_at)) else {
                bail!("{}:{}: fewer fields than the header", path.display(), i + 2);
            };
            let label = recipe
                .labels
                .iter()
                .position(|x| x == l.trim())
                .with_context(|| {
                    format!(
                        "{}:{}: label {l:?} is not in the recipe",
                        path.display(),
                        i + 2
                    )
                })?;
            out.push(Labelled {
                text: t.to_string(),
                label,
                heldout: source.heldout,
            });
        }
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

/// Trains on `train`, scores `test`; also returns the raw logits of `test` for calibration.
fn evaluate(
    recipe: &Recipe,
    train: &[(SparseVector, usize)],
    test: &[(SparseVector, usize)],
) -> Result<(Evaluation, Vec<Vec<f32>>)> {
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
    Ok((Evaluation::new(&recipe.labels, &gold, &predicted), logits))
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

/// k-fold cross-validation over all data, and the held-out split when the recipe has one.
fn evaluations(
    recipe: &Recipe,
    examples: &[(SparseVector, usize)],
    items: &[Labelled],
) -> Result<serde_json::Value> {
    let labels: Vec<usize> = examples.iter().map(|(_, y)| *y).collect();
    let folds = stratified_folds(&labels, recipe.folds, recipe.training.seed);
    let (mut gold, mut predicted) = (Vec::new(), Vec::new());
    let (mut oof_logits, mut oof_gold) = (Vec::new(), Vec::new());
    for (k, fold) in folds.iter().enumerate() {
        let in_fold: std::collections::HashSet<usize> = fold.iter().copied().collect();
        let train: Vec<(SparseVector, usize)> = (0..examples.len())
            .filter(|i| !in_fold.contains(i))
            .map(|i| examples[i].clone())
            .collect();
        let test: Vec<(SparseVector, usize)> = fold.iter().map(|&i| examples[i].clone()).collect();
        let (e, logits) =
            evaluate(recipe, &train, &test).with_context(|| format!("fold {}", k + 1))?;
        oof_logits.extend(logits);
        oof_gold.extend(test.iter().map(|(_, y)| *y));
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
    if items.iter().any(|i| i.heldout) {
        let train: Vec<_> = examples
            .iter()
            .zip(items)
            .filter(|(_, i)| !i.heldout)
            .map(|(e, _)| e.clone())
            .collect();
        let test: Vec<_> = examples
            .iter()
            .zip(items)
            .filter(|(_, i)| i.heldout)
            .map(|(e, _)| e.clone())
            .collect();
        let (e, _) = evaluate(recipe, &train, &test)?;
        report["heldout"] = serde_json::json!({"train_items": train.len(), "macro_f1": e.macro_f1, "accuracy": e.accuracy, "evaluation": e});
        if !positive.is_empty() {
            report["heldout"]["needs_reply_f1"] = e.grouped_f1(&positive).into();
        }
    }
    Ok(report)
}

/// `tawasul eval --recipe R`: prints the metrics JSON. `write_folds` receives each item's
/// fold (in recipe order), so anchors can be scored on exactly the same splits.
pub fn eval(recipe_path: &Path, shared: &Path, write_folds: Option<&Path>) -> Result<ExitCode> {
    let recipe = load_recipe(recipe_path)?;
    let items = load_data(&recipe, shared)?;
    let examples = featurize(&recipe.features, &items);
    if let Some(path) = write_folds {
        let labels: Vec<usize> = examples.iter().map(|(_, y)| *y).collect();
        let mut fold_of = vec![0usize; labels.len()];
        for (k, fold) in stratified_folds(&labels, recipe.folds, recipe.training.seed)
            .iter()
            .enumerate()
        {
            for &i in fold {
                fold_of[i] = k;
            }
        }
        std::fs::write(path, serde_json::to_string(&fold_of)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{}", evaluations(&recipe, &examples, &items)?);
    Ok(ExitCode::SUCCESS)
}

/// `tawasul train --recipe R --out M`: evaluates, then trains on all data and writes the model
/// and a Markdown report beside it.
pub fn train(recipe_path: &Path, out: &Path, shared: &Path) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let recipe = load_recipe(recipe_path)?;
    let items = load_data(&recipe, shared)?;
    let examples = featurize(&recipe.features, &items);
    let report = evaluations(&recipe, &examples, &items)?;
    let sources: Vec<&str> = recipe.data.iter().map(|d| d.path.as_str()).collect();
    let provenance = format!(
        "recipe {}; data {}",
        recipe_path.display(),
        sources.join(", ")
    );
    let mut model = LinearModel::train(
        &recipe.task,
        recipe.labels.clone(),
        recipe.features.clone(),
        &examples,
        &recipe.training,
        &provenance,
    )?;
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
    let mut md = format!(
        "# `{}` model: evaluation\n\nProduced by `tawasul train` ({provenance}); {} items; model file {:.1} MB.\n\
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
    }
    md
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
pub fn classify(task: &str, model: Option<PathBuf>) -> Result<ExitCode> {
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
        let (id, text) = if line.trim_start().starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("stdin line {lineno}: invalid JSON"))?;
            let text = v
                .get("text")
                .and_then(|t| t.as_str())
                .with_context(|| format!("stdin line {lineno}: no \"text\" string"))?
                .to_string();
            (
                v.get("id").cloned().unwrap_or(serde_json::Value::Null),
                text,
            )
        } else {
            (serde_json::Value::from(lineno), line.to_string())
        };
        featurizer.features_into(&text, &mut x);
        let (label, confidence) = model.predict(&mut x, &mut probs);
        let label = &model.header.labels[label];
        let mut result = serde_json::json!({"id": id, "label": label, "confidence": (f64::from(confidence) * 10_000.0).round() / 10_000.0});
        if task == "intent" {
            result["needs_reply"] = needs_reply.contains(&label.as_str()).into();
        }
        writeln!(out, "{result}")?;
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
