//! Latent features learnt from unlabelled messages (LSA): an orthonormal basis V of the
//! dominant subspace of the TF-IDF rows of all the training texts, labelled or not, found by a
//! randomised range finder with power iterations (Halko, Martinsson & Tropp 2011). A message's
//! vector x gains the features γ·Vᵀx; a linear model over [x, γ·Vᵀx] is again a linear model
//! over x alone (w + γ·V·w_latent), so the model file and prediction do not change. The gain:
//! n-grams seen only in unlabelled messages still get weights through the latent dimensions.

use crate::rng::SplitMix64;
use crate::text::Sparse;

/// An m × l matrix, row-major: the l latent coordinates of each of the m features.
pub(crate) struct Basis {
    pub(crate) l: usize,
    pub(crate) v: Vec<f32>,
}

/// Orthonormalises the columns of a row-major `rows × l` matrix in place (Cholesky QR, twice).
fn orthonormalise(m: &mut [f32], l: usize) {
    for _ in 0..2 {
        let mut g = vec![0.0f64; l * l];
        for row in m.chunks(l) {
            for s in 0..l {
                let a = f64::from(row[s]);
                if a == 0.0 {
                    continue;
                }
                for t in s..l {
                    g[s * l + t] += a * f64::from(row[t]);
                }
            }
        }
        let trace: f64 = (0..l).map(|s| g[s * l + s]).sum();
        let ridge = 1e-10 * trace.max(1e-30);
        // Cholesky: G = RᵀR, R upper triangular.
        let mut r = vec![0.0f64; l * l];
        for s in 0..l {
            let mut d = g[s * l + s] + ridge;
            for p in 0..s {
                d -= r[p * l + s] * r[p * l + s];
            }
            let d = d.max(ridge).sqrt();
            r[s * l + s] = d;
            for t in s + 1..l {
                let mut x = g[s * l + t];
                for p in 0..s {
                    x -= r[p * l + s] * r[p * l + t];
                }
                r[s * l + t] = x / d;
            }
        }
        // Each row y solves y·R = row.
        let mut y = vec![0.0f64; l];
        for row in m.chunks_mut(l) {
            for t in 0..l {
                let mut x = f64::from(row[t]);
                for s in 0..t {
                    x -= y[s] * r[s * l + t];
                }
                y[t] = x / r[t * l + t];
            }
            for (o, v) in row.iter_mut().zip(&y) {
                *o = *v as f32;
            }
        }
    }
}

/// Y = A·M: row i of Y is Σ x_ij M[j,:].
fn times(xs: &[&Sparse], m: &[f32], l: usize) -> Vec<f32> {
    let mut y = vec![0.0f32; xs.len() * l];
    for (x, out) in xs.iter().zip(y.chunks_mut(l)) {
        for &(j, v) in x.iter() {
            let row = &m[j as usize * l..(j as usize + 1) * l];
            for (o, w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
    }
    y
}

/// Z = Aᵀ·Y (n_features × l).
fn times_t(xs: &[&Sparse], y: &[f32], n_features: usize, l: usize) -> Vec<f32> {
    let mut z = vec![0.0f32; n_features * l];
    for (x, yrow) in xs.iter().zip(y.chunks(l)) {
        for &(j, v) in x.iter() {
            let out = &mut z[j as usize * l..(j as usize + 1) * l];
            for (o, w) in out.iter_mut().zip(yrow) {
                *o += v * w;
            }
        }
    }
    z
}

impl Basis {
    /// An orthonormal basis of the top-`l` right singular subspace of the rows `xs`.
    pub(crate) fn fit(
        xs: &[&Sparse],
        n_features: usize,
        l: usize,
        power: usize,
        seed: u64,
    ) -> Self {
        let l = l.min(n_features).min(xs.len()).max(1);
        let mut rng = SplitMix64::new(seed ^ 0x15a);
        let mut omega: Vec<f32> = (0..n_features * l)
            .map(|_| if rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 })
            .collect();
        orthonormalise(&mut omega, l);
        let mut y = times(xs, &omega, l);
        orthonormalise(&mut y, l);
        for _ in 0..power {
            let mut z = times_t(xs, &y, n_features, l);
            orthonormalise(&mut z, l);
            y = times(xs, &z, l);
            orthonormalise(&mut y, l);
        }
        let mut v = times_t(xs, &y, n_features, l);
        orthonormalise(&mut v, l);
        Basis { l, v }
    }

    /// x followed by the latent features γ·Vᵀx, numbered from `n_features`.
    pub(crate) fn augment(&self, x: &Sparse, n_features: usize, gamma: f32) -> Sparse {
        let mut z = vec![0.0f32; self.l];
        for &(j, v) in x {
            let row = &self.v[j as usize * self.l..(j as usize + 1) * self.l];
            for (o, w) in z.iter_mut().zip(row) {
                *o += v * w;
            }
        }
        let mut out = x.clone();
        out.extend(
            z.iter()
                .enumerate()
                .map(|(t, &v)| ((n_features + t) as u32, gamma * v)),
        );
        out
    }

    /// Folds the latent weights (rows `n_features..`) of a feature-major k-class weight matrix
    /// back onto the text features: w_j += γ·Σ_t V[j,t]·w_latent[t]; returns the n_features rows.
    pub(crate) fn fold(&self, w: &[f32], k: usize, n_features: usize, gamma: f32) -> Vec<f32> {
        let (text, lat) = w.split_at(n_features * k);
        let mut out = text.to_vec();
        for (j, row) in out.chunks_mut(k).enumerate() {
            let vj = &self.v[j * self.l..(j + 1) * self.l];
            for (t, &vt) in vj.iter().enumerate() {
                let lw = &lat[t * k..(t + 1) * k];
                for (o, w) in row.iter_mut().zip(lw) {
                    *o += gamma * vt * w;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_is_orthonormal_and_folding_keeps_the_scores() {
        let docs: Vec<Sparse> = (0..40u32)
            .map(|i| vec![(i % 7, 0.6), ((i * 3) % 11 + 7, 0.8)])
            .collect();
        let refs: Vec<&Sparse> = docs.iter().collect();
        let b = Basis::fit(&refs, 18, 5, 2, 1);
        for s in 0..5 {
            for t in 0..5 {
                let d: f32 = (0..18).map(|j| b.v[j * 5 + s] * b.v[j * 5 + t]).sum();
                assert!(
                    (d - if s == t { 1.0 } else { 0.0 }).abs() < 1e-3,
                    "{s} {t} {d}"
                );
            }
        }
        // A weight matrix over [x, γ·Vᵀx] scores like its folded version over x.
        let k = 2;
        let w: Vec<f32> = (0..(18 + 5) * k)
            .map(|i| ((i * 7) % 5) as f32 - 2.0)
            .collect();
        let folded = b.fold(&w, k, 18, 0.5);
        for x in &docs {
            let ax = b.augment(x, 18, 0.5);
            for c in 0..k {
                let s1: f32 = ax.iter().map(|&(j, v)| v * w[j as usize * k + c]).sum();
                let s2: f32 = x.iter().map(|&(j, v)| v * folded[j as usize * k + c]).sum();
                assert!((s1 - s2).abs() < 1e-4);
            }
        }
    }
}
