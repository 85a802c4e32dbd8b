//! Full-batch training of the multinomial logistic regression: the exact minimum of the
//! class-weighted log-loss plus an L2 penalty, found by limited-memory BFGS.
//!
//! Stochastic steps stop wherever their last epoch leaves them; a full-batch optimiser reaches
//! the optimum of a stated objective, so the penalty alone decides how far the weights trust
//! rare n-grams, and the result does not depend on an example order.

use crate::features::SparseVector;
use crate::model::prefetch;

/// How many past steps approximate the curvature.
const HISTORY: usize = 10;

/// One past step: the change of the weights `s` and of the gradient `y`, with `rho = 1 / s·y`
/// for the two-loop recursion and `s·y`, `y·y` for the initial scaling of the next direction.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
    sy: f64,
    yy: f64,
}

/// The training set in a compact layout: only the features that occur, renumbered, with every
/// example's (feature, value) pairs in one flat array.
struct Compact {
    /// Hashed feature id of each compact feature.
    features: Vec<u32>,
    starts: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f32>,
    label: Vec<usize>,
}

impl Compact {
    fn new(dim: usize, examples: &[(SparseVector, usize)]) -> Compact {
        let mut compact_of = vec![u32::MAX; dim];
        let mut features = Vec::new();
        let total: usize = examples.iter().map(|(x, _)| x.len()).sum();
        let (mut index, mut value) = (Vec::with_capacity(total), Vec::with_capacity(total));
        let mut starts = Vec::with_capacity(examples.len() + 1);
        for (x, _) in examples {
            starts.push(index.len());
            for &(f, v) in x {
                let Some(slot) = compact_of.get_mut(f as usize) else {
                    continue;
                };
                if *slot == u32::MAX {
                    *slot = features.len() as u32;
                    features.push(f);
                }
                index.push(*slot);
                value.push(v);
            }
        }
        starts.push(index.len());
        Compact {
            features,
            starts,
            index,
            value,
            label: examples.iter().map(|(_, y)| *y).collect(),
        }
    }

    fn examples(&self) -> usize {
        self.label.len()
    }
}

/// The objective at `w` (compact weights `[feature][class]`, then `k` biases) and its
/// gradient into `grad`: mean class-weighted log-loss plus `l2 / 2 · |weights|²`.
fn loss_and_gradient(
    data: &Compact,
    k: usize,
    class_weight: &[f64],
    l2: f64,
    w: &[f64],
    grad: &mut [f64],
    scores: &mut [f64],
) -> f64 {
    grad.fill(0.0);
    let bias_at = data.features.len() * k;
    let mut loss = 0.0;
    for e in 0..data.examples() {
        let range = data.starts[e]..data.starts[e + 1];
        // The next example's rows, asked for while this one is worked on (see `prefetch`).
        if let Some(&end) = data.starts.get(e + 2) {
            for &f in &data.index[range.end..end] {
                let start = f as usize * k;
                prefetch(w, start);
                prefetch(grad, start);
                prefetch(w, start + k - 1);
                prefetch(grad, start + k - 1);
            }
        }
        scores.copy_from_slice(&w[bias_at..bias_at + k]);
        for (&f, &v) in data.index[range.clone()]
            .iter()
            .zip(&data.value[range.clone()])
        {
            let row = &w[f as usize * k..f as usize * k + k];
            for (s, x) in scores.iter_mut().zip(row) {
                *s += x * v as f64;
            }
        }
        let max = scores.iter().copied().fold(f64::MIN, f64::max);
        let sum: f64 = scores.iter().map(|s| (s - max).exp()).sum();
        let log_norm = max + sum.ln();
        let y = data.label[e];
        let cw = class_weight[y];
        loss += cw * (log_norm - scores[y]);
        for (c, s) in scores.iter_mut().enumerate() {
            let p = (*s - log_norm).exp();
            *s = cw * (p - if c == y { 1.0 } else { 0.0 });
        }
        for c in 0..k {
            grad[bias_at + c] += scores[c];
        }
        for (&f, &v) in data.index[range.clone()].iter().zip(&data.value[range]) {
            let row = &mut grad[f as usize * k..f as usize * k + k];
            for (g, s) in row.iter_mut().zip(scores.iter()) {
                *g += s * v as f64;
            }
        }
    }
    let n = data.examples().max(1) as f64;
    loss /= n;
    let (weights, biases) = grad.split_at_mut(bias_at);
    for (g, &x) in weights.iter_mut().zip(&w[..bias_at]) {
        *g = *g / n + l2 * x;
    }
    for g in biases {
        *g /= n;
    }
    loss + 0.5 * l2 * dot(&w[..bias_at], &w[..bias_at])
}

/// Independent partial sums in `dot`: a single running sum waits on each addition's latency,
/// and the vectors span every (feature, class) weight; this alone took body's `tawasul train`
/// from 53–63 s to 39–42 s (2026-12-06).
const LANES: usize = 8;

/// The inner product, summed in `LANES` fixed interleaved partial sums: as deterministic as
/// one running sum, without its chain of dependent additions.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut lanes = [0f64; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for l in 0..LANES {
            lanes[l] += x[l] * y[l];
        }
    }
    lanes.iter().sum::<f64>() + tail
}

/// `target[j] = update(target[j], by[j])` for every j, then `dot(then, target)` with the same
/// bits as calling it after: the update and the inner product in one pass over memory.
fn update_then_dot(
    target: &mut [f64],
    by: &[f64],
    then: &[f64],
    update: impl Fn(f64, f64) -> f64,
) -> f64 {
    let n = target.len().min(by.len()).min(then.len());
    let (target, by, then) = (&mut target[..n], &by[..n], &then[..n]);
    let whole = n - n % LANES;
    let mut lanes = [0f64; LANES];
    for ((t, b), x) in target[..whole]
        .chunks_exact_mut(LANES)
        .zip(by[..whole].chunks_exact(LANES))
        .zip(then[..whole].chunks_exact(LANES))
    {
        for l in 0..LANES {
            t[l] = update(t[l], b[l]);
            lanes[l] += x[l] * t[l];
        }
    }
    for (t, &b) in target[whole..].iter_mut().zip(&by[whole..]) {
        *t = update(*t, b);
    }
    let tail: f64 = then[whole..]
        .iter()
        .zip(&target[whole..])
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f64>() + tail
}

/// `(dot(s, y), dot(y, y))` in one pass, with the same bits as the two calls.
fn dot_pair(s: &[f64], y: &[f64]) -> (f64, f64) {
    let n = s.len().min(y.len());
    let (s, y) = (&s[..n], &y[..n]);
    let (mut sy, mut yy) = ([0f64; LANES], [0f64; LANES]);
    let (s_chunks, y_chunks) = (s.chunks_exact(LANES), y.chunks_exact(LANES));
    let (s_tail, y_tail) = (s_chunks.remainder(), y_chunks.remainder());
    for (a, b) in s_chunks.zip(y_chunks) {
        for l in 0..LANES {
            sy[l] += a[l] * b[l];
            yy[l] += b[l] * b[l];
        }
    }
    let sy_tail: f64 = s_tail.iter().zip(y_tail).map(|(a, b)| a * b).sum();
    let yy_tail: f64 = y_tail.iter().zip(y_tail).map(|(a, b)| a * b).sum();
    (
        sy.iter().sum::<f64>() + sy_tail,
        yy.iter().sum::<f64>() + yy_tail,
    )
}

/// Fitted weights in the model's layout: `[hashed feature][class]` over `dim` features, and
/// `k` biases. `max_iterations` bounds the work; training stops earlier once the objective
/// stops falling.
pub(crate) fn train(
    dim: usize,
    k: usize,
    examples: &[(SparseVector, usize)],
    class_weight: &[f32],
    l2: f32,
    max_iterations: usize,
) -> (Vec<f32>, Vec<f32>) {
    let data = Compact::new(dim, examples);
    let class_weight: Vec<f64> = class_weight.iter().map(|&c| c as f64).collect();
    let l2 = l2 as f64;
    let size = data.features.len() * k + k;
    let mut scores = vec![0f64; k];
    let mut w = vec![0f64; size];
    let mut grad = vec![0f64; size];
    let mut loss = loss_and_gradient(&data, k, &class_weight, l2, &w, &mut grad, &mut scores);
    let mut history: Vec<Pair> = Vec::with_capacity(HISTORY);
    let mut direction = vec![0f64; size];
    let mut alpha = [0f64; HISTORY];
    let mut trial = vec![0f64; size];
    let mut trial_grad = vec![0f64; size];
    for iteration in 0..max_iterations {
        // Two-loop recursion: direction = -H · grad. Each update of `direction` also yields
        // the inner product the next step needs, in one pass over memory instead of two.
        let m = history.len();
        let mut next = match history.last() {
            Some(last) => update_then_dot(&mut direction, &grad, &last.s, |_, g| g),
            None => {
                direction.copy_from_slice(&grad);
                0.0
            }
        };
        for i in (0..m).rev() {
            alpha[i] = history[i].rho * next;
            let a = alpha[i];
            match i.checked_sub(1) {
                Some(before) => {
                    next = update_then_dot(
                        &mut direction,
                        &history[i].y,
                        &history[before].s,
                        |d, y| d - a * y,
                    )
                }
                None => {
                    for (d, y) in direction.iter_mut().zip(&history[i].y) {
                        *d -= a * y;
                    }
                }
            }
        }
        let gamma = match history.last() {
            Some(last) => last.sy / last.yy.max(f64::MIN_POSITIVE),
            None => 1.0 / dot(&grad, &grad).sqrt().max(f64::MIN_POSITIVE),
        };
        let mut slope = None;
        match history.first() {
            Some(first) => {
                next = update_then_dot(&mut direction, &first.y, &first.y, |d, _| d * gamma)
            }
            None => {
                for d in direction.iter_mut() {
                    *d *= gamma;
                }
            }
        }
        for i in 0..m {
            let coef = alpha[i] - history[i].rho * next;
            if i + 1 < m {
                next = update_then_dot(&mut direction, &history[i].s, &history[i + 1].y, |d, s| {
                    d + s * coef
                });
            } else {
                // The last update also negates, and its inner product is the slope.
                slope = Some(update_then_dot(
                    &mut direction,
                    &history[i].s,
                    &grad,
                    |d, s| -(d + s * coef),
                ));
            }
        }
        let mut slope =
            slope.unwrap_or_else(|| update_then_dot(&mut direction, &grad, &grad, |d, _| -d));
        if slope >= 0.0 {
            // Curvature pairs gone stale: start again from steepest descent.
            history.clear();
            let scale = 1.0 / dot(&grad, &grad).sqrt().max(f64::MIN_POSITIVE);
            for (d, g) in direction.iter_mut().zip(&grad) {
                *d = -g * scale;
            }
            slope = dot(&grad, &direction);
        }
        // Backtracking until the loss falls enough (Armijo).
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            for ((t, x), d) in trial.iter_mut().zip(&w).zip(&direction) {
                *t = x + step * d;
            }
            let next = loss_and_gradient(
                &data,
                k,
                &class_weight,
                l2,
                &trial,
                &mut trial_grad,
                &mut scores,
            );
            if next <= loss + 1e-4 * step * slope {
                accepted = Some(next);
                break;
            }
            step *= 0.5;
        }
        let Some(next) = accepted else {
            break;
        };
        let (mut s, mut y) = if history.len() == HISTORY {
            let oldest = history.remove(0);
            (oldest.s, oldest.y)
        } else {
            (vec![0f64; size], vec![0f64; size])
        };
        for (s, (t, x)) in s.iter_mut().zip(trial.iter().zip(&w)) {
            *s = t - x;
        }
        for (y, (t, g)) in y.iter_mut().zip(trial_grad.iter().zip(&grad)) {
            *y = t - g;
        }
        let (sy, yy) = dot_pair(&s, &y);
        std::mem::swap(&mut w, &mut trial);
        std::mem::swap(&mut grad, &mut trial_grad);
        let fell = loss - next;
        loss = next;
        if sy > 1e-12 {
            history.push(Pair {
                rho: 1.0 / sy,
                s,
                y,
                sy,
                yy,
            });
        }
        let largest = grad.iter().fold(0f64, |m, g| m.max(g.abs()));
        if iteration > 0 && (largest < 1e-6 || fell < 1e-10 * loss.abs().max(1.0)) {
            break;
        }
    }
    let mut weights = vec![0f32; dim * k];
    for (compact, &hashed) in data.features.iter().enumerate() {
        let (to, from) = (hashed as usize * k, compact * k);
        for c in 0..k {
            weights[to + c] = w[from + c] as f32;
        }
    }
    let bias_at = data.features.len() * k;
    let bias = w[bias_at..bias_at + k].iter().map(|&b| b as f32).collect();
    (weights, bias)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three classes on four features; feature 3 is noise shared by all.
    fn toy() -> Vec<(SparseVector, usize)> {
        let mut out = Vec::new();
        for i in 0..30u32 {
            let y = (i % 3) as usize;
            out.push((vec![(y as u32, 1.0), (3, 0.5 + (i % 5) as f32 * 0.1)], y));
        }
        out
    }

    /// A test vector of length `n` whose entries vary (the tests pick lengths around `LANES`).
    fn ramp(n: usize, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|i| scale * ((i * 37 % 101) as f64 - 50.0) / 7.0)
            .collect()
    }

    #[test]
    fn the_fused_passes_give_the_bits_of_the_separate_ones() {
        for n in [0, 1, 7, 8, 9, 64, 1003] {
            let (by, then) = (ramp(n, 0.3), ramp(n, -1.1));
            let mut fused = ramp(n, 2.0);
            let mut separate = fused.clone();
            let got = update_then_dot(&mut fused, &by, &then, |d, b| d - 0.7 * b);
            for (d, b) in separate.iter_mut().zip(&by) {
                *d -= 0.7 * b;
            }
            assert_eq!(fused, separate, "length {n}");
            assert_eq!(got.to_bits(), dot(&then, &separate).to_bits(), "length {n}");
            let (sy, yy) = dot_pair(&by, &then);
            assert_eq!(sy.to_bits(), dot(&by, &then).to_bits(), "length {n}");
            assert_eq!(yy.to_bits(), dot(&then, &then).to_bits(), "length {n}");
        }
    }

    #[test]
    fn the_laned_inner_product_is_the_inner_product() {
        for n in [0, 5, 8, 13, 1003] {
            let (a, b) = (ramp(n, 1.0), ramp(n, 0.5));
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(
                (dot(&a, &b) - plain).abs() <= 1e-9 * plain.abs().max(1.0),
                "length {n}"
            );
        }
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let examples = toy();
        let data = Compact::new(8, &examples);
        let k = 3;
        let size = data.features.len() * k + k;
        let w: Vec<f64> = (0..size)
            .map(|i| ((i * 7 % 11) as f64 - 5.0) / 10.0)
            .collect();
        let weights = [1.0, 2.0, 0.5];
        let mut grad = vec![0.0; size];
        let mut scores = vec![0.0; k];
        loss_and_gradient(&data, k, &weights, 0.1, &w, &mut grad, &mut scores);
        let mut probe = vec![0.0; size];
        for i in 0..size {
            let h = 1e-6;
            let (mut up, mut down) = (w.clone(), w.clone());
            up[i] += h;
            down[i] -= h;
            let numeric =
                (loss_and_gradient(&data, k, &weights, 0.1, &up, &mut probe, &mut scores)
                    - loss_and_gradient(&data, k, &weights, 0.1, &down, &mut probe, &mut scores))
                    / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-6,
                "parameter {i}: {numeric} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn reaches_the_stationary_point_and_separates_the_classes() {
        let examples = toy();
        let (weights, bias) = train(8, 3, &examples, &[1.0; 3], 1e-3, 500);
        // At the optimum the full gradient vanishes.
        let data = Compact::new(8, &examples);
        let mut w: Vec<f64> = Vec::new();
        for &f in &data.features {
            w.extend((0..3).map(|c| weights[f as usize * 3 + c] as f64));
        }
        w.extend(bias.iter().map(|&b| b as f64));
        let mut grad = vec![0.0; w.len()];
        let mut scores = vec![0.0; 3];
        loss_and_gradient(&data, 3, &[1.0; 3], 1e-3, &w, &mut grad, &mut scores);
        let largest = grad.iter().fold(0f64, |m, g| m.max(g.abs()));
        assert!(largest < 1e-4, "gradient {largest}");
        for (x, y) in &examples {
            let mut s = bias.clone();
            for &(f, v) in x {
                for c in 0..3 {
                    s[c] += weights[f as usize * 3 + c] * v;
                }
            }
            let best = (0..3).fold(0, |b, c| if s[c] > s[b] { c } else { b });
            assert_eq!(best, *y);
        }
        // Unused hashed slots stay zero.
        assert!(weights[4 * 3..].iter().all(|&x| x == 0.0));
    }
}
