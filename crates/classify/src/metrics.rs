//! Evaluation: per-class precision, recall and F1, macro-F1, the confusion matrix, and seeded
//! stratified folds so cross-validation is the same on every run.

use serde::Serialize;

/// Scores of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassScores {
    /// Label.
    pub label: String,
    /// Items of this class in the gold data.
    pub support: usize,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// An evaluation of predictions against gold labels.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Items evaluated.
    pub items: usize,
    /// Share of exact matches.
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1 over classes present in gold or predictions.
    pub macro_f1: f64,
    /// Per class.
    pub classes: Vec<ClassScores>,
    /// `confusion[gold][predicted]`, in label order.
    pub confusion: Vec<Vec<usize>>,
    /// Label order of the confusion matrix.
    pub labels: Vec<String>,
}

impl Evaluation {
    /// Scores `predicted` against `gold` (indices into `labels`).
    pub fn new(labels: &[String], gold: &[usize], predicted: &[usize]) -> Self {
        let k = labels.len();
        let mut confusion = vec![vec![0usize; k]; k];
        for (&g, &p) in gold.iter().zip(predicted) {
            if g < k && p < k {
                confusion[g][p] += 1;
            }
        }
        let mut classes = Vec::with_capacity(k);
        let mut f1_sum = 0.0;
        let mut present = 0usize;
        for c in 0..k {
            let tp = confusion[c][c] as f64;
            let support: usize = confusion[c].iter().sum();
            let predicted_c: usize = confusion.iter().map(|row| row[c]).sum();
            let precision = if predicted_c > 0 {
                tp / predicted_c as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            if support > 0 || predicted_c > 0 {
                f1_sum += f1;
                present += 1;
            }
            classes.push(ClassScores {
                label: labels[c].clone(),
                support,
                precision,
                recall,
                f1,
            });
        }
        let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
        Evaluation {
            items: gold.len(),
            accuracy: if gold.is_empty() {
                0.0
            } else {
                correct as f64 / gold.len() as f64
            },
            macro_f1: if present > 0 {
                f1_sum / present as f64
            } else {
                0.0
            },
            classes,
            confusion,
            labels: labels.to_vec(),
        }
    }

    /// F1 of a binary grouping (e.g. `needs_reply`: complaint, question, request vs the rest).
    pub fn grouped_f1(&self, positive: &[&str]) -> f64 {
        let is_pos: Vec<bool> = self
            .labels
            .iter()
            .map(|l| positive.contains(&l.as_str()))
            .collect();
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (g, row) in self.confusion.iter().enumerate() {
            for (p, &n) in row.iter().enumerate() {
                match (is_pos[g], is_pos[p]) {
                    (true, true) => tp += n,
                    (false, true) => fp += n,
                    (true, false) => fn_ += n,
                    _ => {}
                }
            }
        }
        if tp == 0 {
            return 0.0;
        }
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

/// Splits item indices into `k` folds, each class spread evenly, shuffled with `seed`.
pub fn stratified_folds(labels: &[usize], k: usize, seed: u64) -> Vec<Vec<usize>> {
    let k = k.max(2);
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut rng = seed | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut folds = vec![Vec::new(); k];
    for c in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        for i in (1..members.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            members.swap(i, j);
        }
        for (n, item) in members.into_iter().enumerate() {
            // Each class starts one fold later, so small classes do not all land in fold 0.
            folds[(n + c) % k].push(item);
        }
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_folds() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let e = Evaluation::new(&labels, &[0, 0, 1, 1, 2], &[0, 1, 1, 1, 0]);
        assert_eq!(
            e.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 0]]
        );
        assert!((e.classes[1].precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((e.macro_f1 - (0.5 + 0.8 + 0.0) / 3.0).abs() < 1e-9);
        assert!((e.grouped_f1(&["a", "b"]) - 8.0 / 9.0).abs() < 1e-9);
        let gold = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2];
        let folds = stratified_folds(&gold, 2, 7);
        assert_eq!(folds, stratified_folds(&gold, 2, 7), "seeded");
        let mut all: Vec<usize> = folds.concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(folds[0].iter().filter(|&&i| gold[i] == 0).count(), 2);
    }
}
