//! Class-conditional Gaussians with one shared covariance: the Mahalanobis scores of the
//! open-set rule (on the encoder's features, and per band on the burst's statistics).

use serde::{Deserialize, Serialize};

/// Class-conditional Gaussians with one shared covariance on feature vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gaussian {
    /// Class means, `[classes][dim]`.
    pub means: Vec<Vec<f64>>,
    /// Lower Cholesky factor of the shared covariance, row-major `[dim * dim]`.
    pub cholesky: Vec<f64>,
}

/// Ridge added to the covariance's diagonal, relative to its mean variance.
const RIDGE: f64 = 1e-3;

impl Gaussian {
    /// Fits the means and the shared covariance (plus a small ridge) of `features` labelled
    /// `labels` over `classes` classes; `None` without features, with rows of unequal
    /// length, or with a class that has no burst.
    pub fn fit(features: &[Vec<f64>], labels: &[usize], classes: usize) -> Option<Self> {
        let d = features.first()?.len();
        if d == 0 || features.iter().any(|f| f.len() != d) {
            return None;
        }
        let mut means = vec![vec![0.0; d]; classes];
        let mut counts = vec![0usize; classes];
        for (f, &l) in features.iter().zip(labels) {
            let m = means.get_mut(l)?;
            for (a, b) in m.iter_mut().zip(f) {
                *a += b;
            }
            counts[l] += 1;
        }
        if counts.contains(&0) {
            return None;
        }
        for (m, &c) in means.iter_mut().zip(&counts) {
            m.iter_mut().for_each(|v| *v /= c as f64);
        }
        let mut cov = vec![0.0; d * d];
        for (f, &l) in features.iter().zip(labels) {
            let x: Vec<f64> = f.iter().zip(&means[l]).map(|(a, b)| a - b).collect();
            for i in 0..d {
                for j in 0..=i {
                    cov[i * d + j] += x[i] * x[j];
                }
            }
        }
        let n = features.len() as f64;
        let mean_var = (0..d).map(|i| cov[i * d + i]).sum::<f64>() / n / d as f64;
        for i in 0..d {
            for j in 0..=i {
                cov[i * d + j] /= n;
            }
            cov[i * d + i] += RIDGE * mean_var.max(1e-12);
        }
        Some(Self {
            means,
            cholesky: cholesky(&cov, d)?,
        })
    }

    /// The smallest squared Mahalanobis distance of `f` to a class mean, negated (0 for a
    /// burst on a mean, more negative further away); `-inf` for a wrong-sized `f`.
    pub fn score(&self, f: &[f64]) -> f64 {
        let d = self.means.first().map_or(0, Vec::len);
        if f.len() != d || self.cholesky.len() != d * d {
            return f64::NEG_INFINITY;
        }
        let best = self
            .means
            .iter()
            .map(|m| {
                // solve L y = f − m by forward substitution; distance² = ‖y‖²
                let mut y = vec![0.0; d];
                for i in 0..d {
                    let row = &self.cholesky[i * d..i * d + i];
                    let s: f64 = row.iter().zip(&y).map(|(l, v)| l * v).sum();
                    y[i] = (f[i] - m[i] - s) / self.cholesky[i * d + i];
                }
                y.iter().map(|v| v * v).sum::<f64>()
            })
            .fold(f64::INFINITY, f64::min);
        -best
    }
}

/// The lower Cholesky factor of the symmetric positive-definite `a` (`[d * d]`, lower
/// triangle read), or `None` if it is not positive definite. Hand-written: 20 lines for
/// one factorisation of a matrix of at most a few hundred rows, where a linear-algebra
/// crate would add its build to the browser's.
fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                let v = a[i * d + i] - s;
                if v <= 0.0 || !v.is_finite() {
                    return None;
                }
                l[i * d + i] = v.sqrt();
            } else {
                l[i * d + j] = (a[i * d + j] - s) / l[j * d + j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mahalanobis_is_zero_on_a_mean_and_grows_away_from_it() {
        let f = vec![
            vec![0.0, 0.0],
            vec![0.2, -0.1],
            vec![-0.2, 0.1],
            vec![5.0, 5.0],
            vec![5.1, 4.8],
            vec![4.9, 5.2],
        ];
        let g = Gaussian::fit(&f, &[0, 0, 0, 1, 1, 1], 2).unwrap();
        assert!(g.score(&[0.0, 0.0]).abs() < 1e-9);
        assert!(g.score(&[5.0, 5.0]).abs() < 1e-9);
        assert!(g.score(&[2.5, 2.5]) < g.score(&[0.3, 0.3]));
        assert_eq!(g.score(&[1.0]), f64::NEG_INFINITY);
        // a class without bursts cannot be fitted
        assert!(Gaussian::fit(&f, &[0, 0, 0, 0, 0, 0], 2).is_none());
    }
}
