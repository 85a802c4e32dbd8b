//! A multinomial logistic regression over hashed features, trained with seeded AdaGrad, and
//! its file format: magic, version, a JSON header (task, labels, feature settings, how it was
//! trained), little-endian f32 weights, and a checksum over everything before it.

use serde::{Deserialize, Serialize};

use crate::features::{FeatureConfig, SparseVector};

const MAGIC: &[u8; 8] = b"TAWASULM";
const VERSION: u32 = 1;

/// Why a model file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not a tawasul model file.
    #[error("not a tawasul model file (bad magic bytes)")]
    BadMagic,
    /// Written by another format version.
    #[error("model file version {0}; this tawasul reads version {VERSION}")]
    Version(u32),
    /// Shorter than its header says.
    #[error("model file truncated: {0}")]
    Truncated(&'static str),
    /// The bytes changed since it was written.
    #[error("model file checksum mismatch: the file is corrupt")]
    Checksum,
    /// The header is not valid.
    #[error("model header: {0}")]
    Header(String),
    /// Training data cannot make a model.
    #[error("training: {0}")]
    Training(String),
}

/// How to train.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainOptions {
    /// Passes over the data.
    pub epochs: usize,
    /// AdaGrad learning rate.
    pub learning_rate: f32,
    /// L2 penalty, applied to the weights a step touches.
    pub l2: f32,
    /// Exponent of class balancing: 0 = none, 1 = fully balanced, 0.5 in between.
    pub balance: f32,
    /// Seed of the example order.
    pub seed: u64,
    /// Weight features by inverse document frequency (learned from the training data and
    /// stored in the model), as TF-IDF does: rare n-grams say more than common ones.
    #[serde(default)]
    pub idf: bool,
    /// How the weights are fitted. With L-BFGS, `epochs` bounds the iterations (each one pass
    /// over the data, more while a step is searched), `l2` is the penalty on the mean loss,
    /// and neither the learning rate nor the seed has any effect.
    #[serde(default, skip_serializing_if = "Optimizer::is_adagrad")]
    pub optimizer: Optimizer,
    /// The L-BFGS half of a blend (`optimizer = "blend"`); ignored by the other optimisers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend: Option<BlendOptions>,
}

/// The second model of a blend: full-batch L-BFGS on the same features and class weights,
/// whose weights are mixed with AdaGrad's. Both are linear in the same features, so the mix
/// is one linear model and prediction costs what one model costs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct BlendOptions {
    /// L2 penalty on L-BFGS's mean loss.
    pub l2: f32,
    /// L-BFGS iteration limit.
    pub iterations: usize,
    /// Share of L-BFGS in the mixed weights, 0 to 1; AdaGrad has the rest.
    pub share: f32,
}

/// The optimiser of a training run. Models trained before there was a choice were AdaGrad's,
/// and their headers do not name it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Seeded stochastic AdaGrad steps, `epochs` passes in a shuffled order.
    #[default]
    Adagrad,
    /// Full-batch limited-memory BFGS to the optimum of the penalised loss.
    Lbfgs,
    /// AdaGrad and L-BFGS (`blend`) trained on the same data, their weights mixed: the
    /// stochastic run keeps rare n-grams' evidence that the penalised optimum shrinks away.
    Blend,
}

impl Optimizer {
    fn is_adagrad(&self) -> bool {
        *self == Optimizer::Adagrad
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 12,
            learning_rate: 0.4,
            l2: 1e-6,
            balance: 0.5,
            seed: 20_241_128,
            idf: true,
            optimizer: Optimizer::Adagrad,
            blend: None,
        }
    }
}

/// What the file says about the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelHeader {
    /// `post_type`, `intent` or `body`.
    pub task: String,
    /// Class labels, in weight order.
    pub labels: Vec<String>,
    /// How features are made.
    pub features: FeatureConfig,
    /// How it was trained.
    pub training: TrainOptions,
    /// Training items.
    pub trained_on: usize,
    /// Free text: the recipe and data it came from.
    pub provenance: String,
    /// Softmax temperature fitted on out-of-fold predictions, so that confidences match how
    /// often the model is right (1.0 = uncalibrated).
    #[serde(default = "unit_temperature")]
    pub temperature: f32,
}

fn unit_temperature() -> f32 {
    1.0
}

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// Header.
    pub header: ModelHeader,
    dim: usize,
    /// `[feature][class]`, so one feature's class weights are contiguous.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Per-feature IDF weights, empty when the model does not use them.
    idf: Vec<f32>,
}

fn fnv64(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl LinearModel {
    /// Trains on `examples` (features, label index). Deterministic for a given seed.
    pub fn train(
        task: &str,
        labels: Vec<String>,
        features: FeatureConfig,
        examples: &[(SparseVector, usize)],
        options: &TrainOptions,
        provenance: &str,
    ) -> Result<Self, ModelError> {
        let k = labels.len();
        if k < 2 {
            return Err(ModelError::Training(format!(
                "{task}: need at least two labels, got {k}"
            )));
        }
        if examples.is_empty() {
            return Err(ModelError::Training(format!(
                "{task}: no training examples"
            )));
        }
        let dim = 1usize << features.bits.clamp(8, 26);
        let idf = if options.idf {
            inverse_document_frequency(dim, examples)
        } else {
            Vec::new()
        };
        let reweighted: Vec<(SparseVector, usize)>;
        let examples = if idf.is_empty() {
            examples
        } else {
            reweighted = examples
                .iter()
                .map(|(x, y)| (apply_idf(x.clone(), &idf), *y))
                .collect();
            &reweighted[..]
        };
        let mut counts = vec![0usize; k];
        for (_, y) in examples {
            if *y >= k {
                return Err(ModelError::Training(format!(
                    "{task}: label index {y} out of range"
                )));
            }
            counts[*y] += 1;
        }
        let n = examples.len() as f32;
        let class_weight: Vec<f32> = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    (n / (k as f32 * c as f32)).powf(options.balance)
                }
            })
            .collect();
        let (weights, bias) = match options.optimizer {
            Optimizer::Adagrad => adagrad(dim, k, examples, &class_weight, options),
            Optimizer::Lbfgs => {
                crate::lbfgs::train(dim, k, examples, &class_weight, options.l2, options.epochs)
            }
            Optimizer::Blend => {
                let Some(blend) = options.blend else {
                    return Err(ModelError::Training(format!(
                        "{task}: optimizer \"blend\" needs a [training.blend] table (l2, iterations, share)"
                    )));
                };
                if !(0.0..=1.0).contains(&blend.share) {
                    return Err(ModelError::Training(format!(
                        "{task}: training.blend.share must be between 0 and 1, got {}",
                        blend.share
                    )));
                }
                let (mut weights, mut bias) = adagrad(dim, k, examples, &class_weight, options);
                let (lw, lb) = crate::lbfgs::train(
                    dim,
                    k,
                    examples,
                    &class_weight,
                    blend.l2,
                    blend.iterations,
                );
                let keep = 1.0 - blend.share;
                for (w, l) in weights.iter_mut().zip(&lw).chain(bias.iter_mut().zip(&lb)) {
                    *w = keep * *w + blend.share * l;
                }
                (weights, bias)
            }
        };
        Ok(LinearModel {
            header: ModelHeader {
                task: task.to_string(),
                labels,
                features,
                training: options.clone(),
                trained_on: examples.len(),
                provenance: provenance.to_string(),
                temperature: 1.0,
            },
            dim,
            weights,
            bias,
            idf,
        })
    }

    /// Reweights a featurizer's vector the way the model was trained (IDF), in place.
    pub fn prepare(&self, x: &mut SparseVector) {
        if !self.idf.is_empty() {
            reweight_in_place(x, &self.idf);
        }
    }

    /// Class probabilities for a prepared `x` into `probs` (one per label), calibrated by the
    /// model's temperature. No allocation.
    pub fn predict_into(&self, x: &SparseVector, probs: &mut [f32]) {
        self.logits_into(x, probs);
        let k = self.bias.len();
        let t = if self.header.temperature > 0.0 {
            self.header.temperature
        } else {
            1.0
        };
        for p in probs[..k].iter_mut() {
            *p /= t;
        }
        softmax(&mut probs[..k]);
    }

    /// Raw class scores (before temperature and softmax) for a prepared `x`.
    pub fn logits_into(&self, x: &SparseVector, probs: &mut [f32]) {
        let k = self.bias.len();
        // Every row this text needs, asked for before the first is summed: the rows are
        // scattered over the whole model, and waiting on them one at a time dominated.
        for &(f, _) in x.iter() {
            prefetch(&self.weights, f as usize * k);
            prefetch(&self.weights, f as usize * k + k - 1);
        }
        probs[..k].copy_from_slice(&self.bias);
        for &(f, v) in x {
            let f = f as usize;
            if f < self.dim {
                let row = &self.weights[f * k..f * k + k];
                for c in 0..k {
                    probs[c] += row[c] * v;
                }
            }
        }
    }

    /// Prepares `x` (in place), then returns the most probable label index and its
    /// probability; `probs` receives all of them.
    pub fn predict(&self, x: &mut SparseVector, probs: &mut [f32]) -> (usize, f32) {
        self.prepare(x);
        self.predict_into(x, probs);
        probs[..self.bias.len()]
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |best, (i, p)| if p > best.1 { (i, p) } else { best },
            )
    }

    /// Number of labels.
    pub fn classes(&self) -> usize {
        self.bias.len()
    }

    /// Serialises to the model file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out =
            Vec::with_capacity(24 + header.len() + 4 * (self.weights.len() + self.bias.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for w in self.weights.iter().chain(&self.bias).chain(&self.idf) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let sum = fnv64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a model file, checking magic, version, sizes and checksum.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let u32_at = |at: usize| -> Result<u32, ModelError> {
            bytes
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or(ModelError::Truncated("header"))
        };
        let version = u32_at(8)?;
        if version != VERSION {
            return Err(ModelError::Version(version));
        }
        if bytes.len() < 8 + 16 {
            return Err(ModelError::Truncated("checksum"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let sum = u64::from_le_bytes(
            sum.try_into()
                .map_err(|_| ModelError::Truncated("checksum"))?,
        );
        if fnv64(body) != sum {
            return Err(ModelError::Checksum);
        }
        let header_len = u32_at(12)? as usize;
        let header_bytes = body
            .get(16..16 + header_len)
            .ok_or(ModelError::Truncated("header"))?;
        let header: ModelHeader =
            serde_json::from_slice(header_bytes).map_err(|e| ModelError::Header(e.to_string()))?;
        let k = header.labels.len();
        let dim = 1usize << header.features.bits.clamp(8, 26);
        let floats = &body[16 + header_len..];
        let idf_len = if header.training.idf { dim } else { 0 };
        if floats.len() != 4 * (dim * k + k + idf_len) {
            return Err(ModelError::Truncated("weights"));
        }
        let mut values = floats
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let weights: Vec<f32> = values.by_ref().take(dim * k).collect();
        let bias: Vec<f32> = values.by_ref().take(k).collect();
        let idf: Vec<f32> = values.collect();
        Ok(LinearModel {
            header,
            dim,
            weights,
            bias,
            idf,
        })
    }
}

/// Hints that `values[at]` will be read soon; nothing where the target has no such hint, or
/// when `at` is out of range.
#[inline(always)]
pub(crate) fn prefetch<T>(values: &[T], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(value) = values.get(at) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of every x86_64 target, and a prefetch of a live reference
        // reads nothing and writes nothing.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, at);
}

/// Seeded stochastic AdaGrad: `epochs` passes over the examples in a shuffled order.
fn adagrad(
    dim: usize,
    k: usize,
    examples: &[(SparseVector, usize)],
    class_weight: &[f32],
    options: &TrainOptions,
) -> (Vec<f32>, Vec<f32>) {
    let mut weights = vec![0f32; dim * k];
    let mut bias = vec![0f32; k];
    let mut g_weights = vec![0f32; dim * k];
    let mut g_bias = vec![0f32; k];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = options.seed | 1;
    let mut scores = vec![0f32; k];
    let eps = 1e-8f32;
    for _ in 0..options.epochs {
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for (at, &e) in order.iter().enumerate() {
            let (x, y) = &examples[e];
            // The next example's rows are known now: asking for them while this one is worked
            // on hides most of the memory latency that dominates this loop (same arithmetic).
            if let Some(&next) = order.get(at + 1) {
                for &(f, _) in &examples[next].0 {
                    let start = f as usize * k;
                    prefetch(&weights, start);
                    prefetch(&g_weights, start);
                    prefetch(&weights, start + k - 1);
                    prefetch(&g_weights, start + k - 1);
                }
            }
            scores.copy_from_slice(&bias);
            for &(f, v) in x {
                let row = &weights[f as usize * k..f as usize * k + k];
                for (s, w) in scores.iter_mut().zip(row) {
                    *s += w * v;
                }
            }
            softmax(&mut scores);
            let cw = class_weight[*y];
            for c in 0..k {
                let g = cw * (scores[c] - if c == *y { 1.0 } else { 0.0 });
                g_bias[c] += g * g;
                bias[c] -= options.learning_rate * g / (g_bias[c].sqrt() + eps);
                scores[c] = g; // reuse as the gradient of the scores
            }
            // Slices zipped rather than indexed: no bounds checks, so the class loop
            // vectorises (the same operations in the same order, so the same bits).
            for &(f, v) in x {
                let row = f as usize * k..f as usize * k + k;
                let (w_row, g_row) = (&mut weights[row.clone()], &mut g_weights[row]);
                for ((w, sum), &ds) in w_row.iter_mut().zip(g_row.iter_mut()).zip(&scores) {
                    let g = ds * v + options.l2 * *w;
                    *sum += g * g;
                    *w -= options.learning_rate * g / (sum.sqrt() + eps);
                }
            }
        }
    }
    (weights, bias)
}

/// Mean negative log-likelihood of `gold` under softmax(logits / t).
fn mean_nll(logits: &[Vec<f32>], gold: &[usize], t: f32) -> f64 {
    let mut total = 0.0f64;
    let mut scaled = Vec::new();
    for (l, &g) in logits.iter().zip(gold) {
        scaled.clear();
        scaled.extend(l.iter().map(|v| v / t));
        softmax(&mut scaled);
        total -= (scaled.get(g).copied().unwrap_or(0.0).max(1e-12) as f64).ln();
    }
    total / logits.len().max(1) as f64
}

/// The temperature that minimises the NLL of out-of-fold logits (golden-section search on a
/// log scale over 0.05–20); also returns the NLL at 1.0 and at the optimum.
pub fn fit_temperature(logits: &[Vec<f32>], gold: &[usize]) -> (f32, f64, f64) {
    let nll = |log_t: f64| mean_nll(logits, gold, log_t.exp() as f32);
    let (mut a, mut b) = ((0.05f64).ln(), (20.0f64).ln());
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - phi * (b - a), a + phi * (b - a));
    let (mut fc, mut fd) = (nll(c), nll(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = nll(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = nll(d);
        }
    }
    let t = ((a + b) / 2.0).exp() as f32;
    (t, mean_nll(logits, gold, 1.0), mean_nll(logits, gold, t))
}

/// Smoothed IDF of every hashed feature over the training examples.
fn inverse_document_frequency(dim: usize, examples: &[(SparseVector, usize)]) -> Vec<f32> {
    let mut df = vec![0u32; dim];
    for (x, _) in examples {
        for &(f, _) in x {
            if let Some(d) = df.get_mut(f as usize) {
                *d += 1;
            }
        }
    }
    let n = examples.len() as f32;
    df.iter()
        .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
        .collect()
}

fn apply_idf(mut x: SparseVector, idf: &[f32]) -> SparseVector {
    reweight_in_place(&mut x, idf);
    x
}

/// Sublinear term weight times IDF, then L2 normalisation (featurizer vectors arrive
/// normalised; their relative counts are kept through the log).
fn reweight_in_place(x: &mut SparseVector, idf: &[f32]) {
    // The weights are scattered over the table: all asked for before the first is used.
    for &(f, _) in x.iter() {
        prefetch(idf, f as usize);
    }
    let max = x.iter().map(|&(_, v)| v).fold(0f32, f32::max);
    if max <= 0.0 {
        return;
    }
    // A text's values are few distinct counts (most features occur once): the logarithm of
    // the value before is reused, which gives the same bits.
    let mut last: (f32, f32) = (f32::NAN, 0.0);
    for (f, v) in x.iter_mut() {
        if *v != last.0 {
            last = (*v, 1.0 + (*v / max * 8.0).max(1.0).ln());
        }
        *v = last.1 * idf.get(*f as usize).copied().unwrap_or(1.0);
    }
    let norm = x.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in x.iter_mut() {
            *v /= norm;
        }
    }
}

fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Featurizer;

    fn toy() -> (Vec<(SparseVector, usize)>, FeatureConfig) {
        let config = FeatureConfig {
            bits: 12,
            ..FeatureConfig::default()
        };
        let mut f = Featurizer::new(config.clone());
        let texts = [
            ("متى يفتح باب التقديم؟", 0),
            ("ازاي اجدد البطاقة؟", 0),
            ("فين مكتب البريد؟", 0),
            ("الخدمة زفت ومحدش بيرد", 1),
            ("بقالي شهر مستني والمعاش اتأخر", 1),
            ("اهمال في المستشفى حرام عليكم", 1),
        ];
        let examples = texts
            .iter()
            .map(|(t, y)| {
                let mut x = Vec::new();
                f.features_into(t, &mut x);
                (x, *y)
            })
            .collect();
        (examples, config)
    }

    /// Trains on the toy data with `options` and checks it learned every example, so each
    /// optimiser's test starts from a model known to fit.
    fn train_toy(options: &TrainOptions) -> LinearModel {
        let (examples, config) = toy();
        let labels = vec!["question".to_string(), "complaint".to_string()];
        let model =
            LinearModel::train("intent", labels, config, &examples, options, "toy").unwrap();
        let mut probs = vec![0f32; 2];
        for (x, y) in &examples {
            assert_eq!(model.predict(&mut x.clone(), &mut probs).0, *y);
            assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        model
    }

    #[test]
    fn learns_separable_data_reproducibly_and_round_trips() {
        let options = TrainOptions {
            epochs: 30,
            ..TrainOptions::default()
        };
        let model = train_toy(&options);
        let again = train_toy(&options);
        assert_eq!(model.to_bytes(), again.to_bytes(), "same seed, same bytes");
        let bytes = model.to_bytes();
        assert_eq!(LinearModel::from_bytes(&bytes).unwrap(), model);
        let mut corrupt = bytes.clone();
        corrupt[40] ^= 1;
        assert!(matches!(
            LinearModel::from_bytes(&corrupt),
            Err(ModelError::Checksum)
        ));
        assert!(matches!(
            LinearModel::from_bytes(&bytes[..bytes.len() - 100]),
            Err(ModelError::Checksum)
        ));
        assert!(matches!(
            LinearModel::from_bytes(b"not a model at all"),
            Err(ModelError::BadMagic)
        ));
    }

    #[test]
    fn lbfgs_learns_the_toy_data_and_names_itself_in_the_header() {
        let model = train_toy(&TrainOptions {
            epochs: 200,
            l2: 1e-3,
            optimizer: Optimizer::Lbfgs,
            ..TrainOptions::default()
        });
        let bytes = model.to_bytes();
        let read = LinearModel::from_bytes(&bytes).unwrap();
        assert_eq!(read.header.training.optimizer, Optimizer::Lbfgs);
        let header = String::from_utf8_lossy(&bytes[16..bytes.len().min(2000)]).to_string();
        assert!(header.contains("\"optimizer\":\"lbfgs\""), "{header}");
        // AdaGrad's headers stay as they were before there was a choice.
        let adagrad = serde_json::to_string(&TrainOptions::default()).unwrap();
        assert!(!adagrad.contains("optimizer"), "{adagrad}");
    }

    #[test]
    fn blend_mixes_both_optimisers_and_refuses_a_bad_table() {
        let (examples, config) = toy();
        let labels = vec!["question".to_string(), "complaint".to_string()];
        let blend = BlendOptions {
            l2: 1e-3,
            iterations: 200,
            share: 0.6,
        };
        let options = TrainOptions {
            epochs: 30,
            optimizer: Optimizer::Blend,
            blend: Some(blend),
            ..TrainOptions::default()
        };
        let model = train_toy(&options);
        // The mix is exactly (1 - share) AdaGrad + share L-BFGS, weight by weight.
        let train_with = |optimizer| {
            let o = TrainOptions {
                optimizer,
                l2: if optimizer == Optimizer::Lbfgs {
                    blend.l2
                } else {
                    options.l2
                },
                epochs: if optimizer == Optimizer::Lbfgs {
                    blend.iterations
                } else {
                    options.epochs
                },
                ..options
            };
            LinearModel::train("intent", labels.clone(), config.clone(), &examples, &o, "").unwrap()
        };
        let (ada, lbfgs) = (train_with(Optimizer::Adagrad), train_with(Optimizer::Lbfgs));
        for ((m, a), l) in model.weights.iter().zip(&ada.weights).zip(&lbfgs.weights) {
            assert!((m - (0.4 * a + 0.6 * l)).abs() < 1e-5, "{m} {a} {l}");
        }
        let bytes = model.to_bytes();
        let read = LinearModel::from_bytes(&bytes).unwrap();
        assert_eq!(read.header.training.blend, Some(blend));
        let header = String::from_utf8_lossy(&bytes[16..bytes.len().min(2000)]).to_string();
        assert!(header.contains("\"optimizer\":\"blend\""), "{header}");
        assert!(header.contains("\"share\":0.6"), "{header}");

        let missing = TrainOptions {
            blend: None,
            ..options
        };
        let err = LinearModel::train(
            "intent",
            labels.clone(),
            config.clone(),
            &examples,
            &missing,
            "",
        )
        .unwrap_err();
        assert!(err.to_string().contains("[training.blend]"), "{err}");
        let too_much = TrainOptions {
            blend: Some(BlendOptions {
                share: 1.5,
                ..blend
            }),
            ..options
        };
        let err =
            LinearModel::train("intent", labels, config, &examples, &too_much, "").unwrap_err();
        assert!(err.to_string().contains("share"), "{err}");
    }

    #[test]
    fn temperature_fits_over_and_under_confidence() {
        // Logits ten times too sharp for a model right 3 times out of 4.
        let logits: Vec<Vec<f32>> = (0..400).map(|_| vec![10.0, 0.0]).collect();
        let gold: Vec<usize> = (0..400).map(|i| usize::from(i % 4 == 0)).collect();
        let (t, before, after) = fit_temperature(&logits, &gold);
        let p = 1.0 / (1.0 + (-10.0 / t).exp());
        assert!((p - 0.75).abs() < 0.01, "calibrated confidence {p}, t {t}");
        assert!(after < before);
    }

    #[test]
    fn refuses_what_cannot_be_trained() {
        let (examples, config) = toy();
        assert!(LinearModel::train(
            "t",
            vec!["one".into()],
            config.clone(),
            &examples,
            &TrainOptions::default(),
            ""
        )
        .is_err());
        assert!(LinearModel::train(
            "t",
            vec!["a".into(), "b".into()],
            config,
            &[],
            &TrainOptions::default(),
            ""
        )
        .is_err());
    }
}
