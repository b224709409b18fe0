//! Linear models over sparse vectors: one weight per (feature, class) and a bias per class.
//! Trainers: L2-loss linear SVM one-vs-rest by dual coordinate descent (Hsieh et al. 2008,
//! as in LIBLINEAR), multinomial logistic regression by SGD, and (complement) naive Bayes.

use crate::rng::SplitMix64;
use crate::text::Sparse;

/// Training data: vectors, class indices and sample weights.
pub(crate) struct Problem<'a> {
    pub(crate) xs: &'a [&'a Sparse],
    pub(crate) ys: &'a [usize],
    pub(crate) weights: &'a [f32],
    pub(crate) n_features: usize,
    /// Features from this index on (latent ones, possibly negative) are not NB-scaled.
    pub(crate) n_text: usize,
    pub(crate) n_classes: usize,
}

/// Scores = Wᵀx + b; `w` is feature-major: the `k` weights of feature j are `w[j*k..j*k+k]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Linear {
    pub(crate) k: usize,
    pub(crate) w: Vec<f32>,
    pub(crate) b: Vec<f32>,
}

impl Linear {
    pub(crate) fn scores(&self, x: &Sparse, out: &mut [f32]) {
        out.copy_from_slice(&self.b);
        for &(j, v) in x {
            let row = &self.w[j as usize * self.k..(j as usize + 1) * self.k];
            for (o, w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn argmax(&self, x: &Sparse, buf: &mut [f32]) -> usize {
        self.scores(x, buf);
        argmax(buf)
    }
}

pub(crate) fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &s) in v.iter().enumerate() {
        if s > v[best] {
            best = i;
        }
    }
    best
}

/// softmax(scale · scores) in place.
pub(crate) fn softmax(v: &mut [f32], scale: f32) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = ((*x - m) * scale).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

fn class_costs(p: &Problem, c: f32, balanced: bool) -> Vec<f32> {
    let mut counts = vec![0.0f32; p.n_classes];
    for (&y, &w) in p.ys.iter().zip(p.weights) {
        counts[y] += w;
    }
    let total: f32 = counts.iter().sum();
    counts
        .iter()
        .map(|&n| {
            if balanced && n > 0.0 {
                c * total / (p.n_classes as f32 * n)
            } else {
                c
            }
        })
        .collect()
}

/// One-vs-rest L2-regularised L2-loss (squared hinge) SVM, dual coordinate descent.
/// The bias is an extra feature of value 1 (regularised, as in LIBLINEAR with -B 1).
///
/// With `nb_alpha` > 0 each class's features are first scaled by their naive Bayes log-count
/// ratio r = ln((a+Σ_{y=c} x / ‖·‖₁) / (a+Σ_{y≠c} x / ‖·‖₁)) (NBSVM, Wang & Manning 2012);
/// the scaled weights w⊙r are still one linear model over x.
pub(crate) fn svm(
    p: &Problem,
    c: f32,
    balanced: bool,
    max_iter: usize,
    seed: u64,
    nb_alpha: f32,
) -> Linear {
    let k = p.n_classes;
    let n = p.xs.len();
    let costs = class_costs(p, c, balanced);
    let mut out = Linear {
        k,
        w: vec![0.0; p.n_features * k],
        b: vec![0.0; k],
    };
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for class in 0..k {
        let r = if nb_alpha > 0.0 {
            Some(nb_ratio(p, class, nb_alpha))
        } else {
            None
        };
        let scaled: Vec<Sparse> = match &r {
            None => Vec::new(),
            Some(r) => {
                p.xs.iter()
                    .map(|x| x.iter().map(|&(j, v)| (j, v * r[j as usize])).collect())
                    .collect()
            }
        };
        let scaled_refs: Vec<&Sparse> = scaled.iter().collect();
        let xs: &[&Sparse] = if r.is_some() { &scaled_refs } else { p.xs };
        let sq: Vec<f32> = xs
            .iter()
            .map(|x| x.iter().map(|e| e.1 * e.1).sum::<f32>() + 1.0)
            .collect();
        let mut w = vec![0.0f32; p.n_features];
        let mut wb = 0.0f32;
        let mut alpha = vec![0.0f32; n];
        let diag: Vec<f32> = (0..n)
            .map(|i| 0.5 / (costs[p.ys[i]] * p.weights[i]).max(1e-12))
            .collect();
        for _ in 0..max_iter {
            rng.shuffle(&mut order);
            let (mut max_pg, mut min_pg) = (f32::NEG_INFINITY, f32::INFINITY);
            for &i in &order {
                let y = if p.ys[i] == class { 1.0 } else { -1.0 };
                let x = xs[i];
                let mut dot = wb;
                for &(j, v) in x {
                    dot += w[j as usize] * v;
                }
                let g = y * dot - 1.0 + diag[i] * alpha[i];
                let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
                max_pg = max_pg.max(pg);
                min_pg = min_pg.min(pg);
                if pg.abs() > 1e-12 {
                    let old = alpha[i];
                    alpha[i] = (old - g / (sq[i] + diag[i])).max(0.0);
                    let d = (alpha[i] - old) * y;
                    for &(j, v) in x {
                        w[j as usize] += d * v;
                    }
                    wb += d;
                }
            }
            if max_pg - min_pg < 0.01 {
                break;
            }
        }
        for (j, wj) in w.iter().enumerate() {
            out.w[j * k + class] = *wj * r.as_ref().map_or(1.0, |r| r[j]);
        }
        out.b[class] = wb;
    }
    out
}

/// The naive Bayes log-count ratio of every feature for `class` against the rest.
fn nb_ratio(p: &Problem, class: usize, alpha: f32) -> Vec<f32> {
    let mut pos = vec![alpha; p.n_features];
    let mut neg = vec![alpha; p.n_features];
    for ((x, &y), &sw) in p.xs.iter().zip(p.ys).zip(p.weights) {
        let t = if y == class { &mut pos } else { &mut neg };
        for &(j, v) in x.iter() {
            t[j as usize] += sw * v;
        }
    }
    let t = p.n_text.min(p.n_features);
    let (sp, sn): (f32, f32) = (pos[..t].iter().sum(), neg[..t].iter().sum());
    pos.iter()
        .zip(&neg)
        .enumerate()
        .map(|(j, (a, b))| {
            if j < t {
                ((a / sp) / (b / sn)).ln()
            } else {
                1.0
            }
        })
        .collect()
}

/// Multinomial logistic regression: mean weighted cross-entropy + λ/2‖W‖², plain SGD with
/// the rate η₀/(1+η₀λt) and the usual scale trick for the L2 shrinkage; bias not regularised.
pub(crate) fn logreg(p: &Problem, lambda: f32, epochs: usize, seed: u64) -> Linear {
    let k = p.n_classes;
    let n = p.xs.len();
    let mut w = vec![0.0f32; p.n_features * k];
    let mut b = vec![0.0f32; k];
    let mut scale = 1.0f32;
    let eta0 = 0.5f32;
    let mut t = 0.0f32;
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut s = vec![0.0f32; k];
    for _ in 0..epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let eta = eta0 / (1.0 + eta0 * lambda * t);
            t += 1.0;
            let x = p.xs[i];
            s.copy_from_slice(&b);
            for &(j, v) in x {
                let row = &w[j as usize * k..(j as usize + 1) * k];
                for (o, wv) in s.iter_mut().zip(row) {
                    *o += scale * v * wv;
                }
            }
            softmax(&mut s, 1.0);
            s[p.ys[i]] -= 1.0;
            scale *= 1.0 - eta * lambda;
            if scale < 1e-4 {
                for v in w.iter_mut() {
                    *v *= scale;
                }
                scale = 1.0;
            }
            let step = eta * p.weights[i] / scale;
            for &(j, v) in x {
                let row = &mut w[j as usize * k..(j as usize + 1) * k];
                for (wv, g) in row.iter_mut().zip(&s) {
                    *wv -= step * g * v;
                }
            }
            for (bv, g) in b.iter_mut().zip(&s) {
                *bv -= eta * p.weights[i] * g;
            }
        }
    }
    for v in w.iter_mut() {
        *v *= scale;
    }
    Linear { k, w, b }
}

/// Multinomial naive Bayes on the (TF-IDF) vectors, or complement naive Bayes
/// (Rennie et al. 2003, unnormalised as scikit-learn's default).
pub(crate) fn naive_bayes(p: &Problem, alpha: f32, complement: bool) -> Linear {
    let k = p.n_classes;
    let nf = p.n_features;
    let mut counts = vec![0.0f64; nf * k];
    let mut prior = vec![0.0f64; k];
    for ((x, &y), &sw) in p.xs.iter().zip(p.ys).zip(p.weights) {
        prior[y] += f64::from(sw);
        // Latent features (possibly negative) are no counts: left out.
        for &(j, v) in x.iter().filter(|e| (e.0 as usize) < p.n_text) {
            counts[j as usize * k + y] += f64::from(sw * v);
        }
    }
    if complement {
        for j in 0..nf {
            let row = &mut counts[j * k..(j + 1) * k];
            let total: f64 = row.iter().sum();
            for c in row.iter_mut() {
                *c = total - *c;
            }
        }
    }
    let mut class_total = vec![0.0f64; k];
    for j in 0..nf {
        for c in 0..k {
            class_total[c] += counts[j * k + c];
        }
    }
    let a = f64::from(alpha);
    let mut w = vec![0.0f32; nf * k];
    for j in 0..nf {
        for c in 0..k {
            let lp = ((counts[j * k + c] + a) / (class_total[c] + a * nf as f64)).ln();
            w[j * k + c] = if complement { -lp as f32 } else { lp as f32 };
        }
    }
    let n: f64 = prior.iter().sum();
    let b = if complement {
        vec![0.0; k]
    } else {
        prior
            .iter()
            .map(|&c| ((c + 1.0) / (n + k as f64)).ln() as f32)
            .collect()
    };
    Linear { k, w, b }
}

/// The softmax scale minimising the negative log-likelihood of held-out (scores, class) pairs.
pub(crate) fn fit_scale(held_out: &[(Vec<f32>, usize)]) -> f32 {
    let nll = |log_s: f32| -> f64 {
        let s = log_s.exp();
        let mut total = 0.0f64;
        for (scores, y) in held_out {
            let m = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let z: f64 = scores.iter().map(|&v| f64::from((v - m) * s).exp()).sum();
            total += z.ln() - f64::from((scores[*y] - m) * s);
        }
        total
    };
    // Golden-section search on ln(scale) in [-6, 8].
    let (mut lo, mut hi) = (-6.0f32, 8.0f32);
    let g = 0.618_034f32;
    let (mut a, mut b) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut fa, mut fb) = (nll(a), nll(b));
    for _ in 0..60 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - g * (hi - lo);
            fa = nll(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + g * (hi - lo);
            fb = nll(b);
        }
    }
    ((lo + hi) / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Sparse>, Vec<usize>) {
        // Three classes, each with its own feature, plus a shared noise feature 3.
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..30 {
            let c = i % 3;
            xs.push(vec![(c as u32, 0.9), (3, 0.43)]);
            ys.push(c);
        }
        (xs, ys)
    }

    fn check(lin: &Linear, xs: &[Sparse], ys: &[usize]) {
        let mut buf = vec![0.0; 3];
        for (x, &y) in xs.iter().zip(ys) {
            assert_eq!(lin.argmax(x, &mut buf), y);
        }
    }

    #[test]
    fn all_trainers_separate_a_separable_toy() {
        let (xs, ys) = toy();
        let refs: Vec<&Sparse> = xs.iter().collect();
        let weights = vec![1.0; xs.len()];
        let p = Problem {
            xs: &refs,
            ys: &ys,
            weights: &weights,
            n_features: 4,
            n_text: 4,
            n_classes: 3,
        };
        check(&svm(&p, 1.0, true, 100, 1, 0.0), &xs, &ys);
        check(&svm(&p, 1.0, true, 100, 1, 1.0), &xs, &ys);
        check(&logreg(&p, 1e-3, 50, 1), &xs, &ys);
        check(&naive_bayes(&p, 0.1, false), &xs, &ys);
        check(&naive_bayes(&p, 0.1, true), &xs, &ys);
    }

    #[test]
    fn softmax_sums_to_one_and_scale_fits() {
        let mut v = vec![1.0, 2.0, 3.0];
        softmax(&mut v, 1.0);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[2] > v[1] && v[1] > v[0]);
        // Perfectly separated held-out scores want a large scale; coin flips a small one.
        let sure: Vec<_> = (0..20)
            .map(|i| (vec![1.0, 0.0], if i < 20 { 0 } else { 1 }))
            .collect();
        let coin: Vec<_> = (0..20).map(|i| (vec![1.0, 0.0], i % 2)).collect();
        assert!(fit_scale(&sure) > 100.0);
        assert!(fit_scale(&coin) < 0.01);
    }
}
