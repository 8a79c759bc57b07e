//! What a fine-tuned encoder's embeddings look like: `eval --embeddings`.
//!
//! The pooled encoder features ([`model::classifier::AmcClassifier::embed`]) of the test
//! examples are written to `embeddings.csv`, laid out in 2-D by t-SNE (the `bhtsne` crate,
//! Barnes-Hut, θ = 0.5) and drawn as `tsne.svg` (the `plotters` crate), one colour per
//! class; the figure behind the picture is a leave-one-out k-nearest-neighbour accuracy
//! on the embeddings (cosine distance, k = [`KNN_K`]). The k-NN is a dozen lines over a
//! distance matrix, so it is written here rather than pulled from a crate.

use std::fmt::Write as _;

use anyhow::{anyhow, Result};
use model::report::EmbeddingReport;
use model::rng::{Rng, Stream};
use plotters::prelude::*;

/// Neighbours that vote in [`knn_accuracy`].
pub const KNN_K: usize = 5;
/// t-SNE perplexity (lowered for small sets, which need `n > 3 · perplexity`).
pub const PERPLEXITY: f32 = 30.0;
/// t-SNE iterations.
pub const TSNE_EPOCHS: usize = 1000;

/// Embeddings of labelled examples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbeddingSet {
    /// Features per example.
    pub dim: usize,
    /// Class of each example.
    pub labels: Vec<usize>,
    /// SNR of each example, dB.
    pub snr_db: Vec<f64>,
    /// `[examples, dim]`, row-major.
    pub vectors: Vec<f32>,
}

impl EmbeddingSet {
    /// Examples held.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether no example is held.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Adds a batch: `vectors` is `[labels.len(), dim]`, row-major.
    pub fn push(&mut self, vectors: &[f32], labels: &[usize], snr_db: f64) -> Result<()> {
        if self.dim == 0 && !labels.is_empty() {
            self.dim = vectors.len() / labels.len();
        }
        if self.dim == 0 || vectors.len() != labels.len() * self.dim {
            return Err(anyhow!(
                "{} embedding values for {} examples of {} features",
                vectors.len(),
                labels.len(),
                self.dim
            ));
        }
        self.vectors.extend_from_slice(vectors);
        self.labels.extend_from_slice(labels);
        self.snr_db
            .extend(std::iter::repeat_n(snr_db, labels.len()));
        Ok(())
    }

    /// The rows scaled to unit length (a zero row stays zero).
    fn normalised(&self) -> Vec<Vec<f32>> {
        self.vectors
            .chunks(self.dim.max(1))
            .map(|r| {
                let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
                r.iter()
                    .map(|x| if n > 0.0 { x / n } else { 0.0 })
                    .collect()
            })
            .collect()
    }
}

/// Leave-one-out k-NN accuracy (cosine distance, majority of the `k` nearest; a tie goes
/// to the class whose tied neighbours are nearer in sum). 0 for fewer than two examples.
pub fn knn_accuracy(set: &EmbeddingSet, k: usize) -> f64 {
    let rows = set.normalised();
    let n = rows.len();
    if n < 2 || k == 0 {
        return 0.0;
    }
    let classes = set.labels.iter().max().map_or(0, |m| m + 1);
    let mut right = 0usize;
    for i in 0..n {
        let mut d: Vec<(f32, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| {
                let dot: f32 = rows[i].iter().zip(&rows[j]).map(|(a, b)| a * b).sum();
                (1.0 - dot, set.labels[j])
            })
            .collect();
        let k = k.min(d.len());
        d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        let mut votes = vec![(0usize, 0.0f32); classes];
        for &(dist, l) in &d[..k] {
            votes[l].0 += 1;
            votes[l].1 += dist;
        }
        let best = (0..classes)
            .max_by(|&a, &b| {
                votes[a]
                    .0
                    .cmp(&votes[b].0)
                    .then(votes[b].1.total_cmp(&votes[a].1))
            })
            .unwrap_or(0);
        right += usize::from(best == set.labels[i]);
    }
    right as f64 / n as f64
}

/// 2-D t-SNE layout of the embeddings, `[examples]` points. The initial layout is drawn
/// from `seed` (so a rerun gives the same picture up to rayon's summation order); sets of
/// fewer than 8 examples are returned at their initial positions.
pub fn tsne(set: &EmbeddingSet, seed: u64) -> Vec<(f32, f32)> {
    let rows = set.normalised();
    let n = rows.len();
    let mut rng = Rng::for_example(seed, 0, Stream::Noise);
    let init: Vec<f32> = (0..2 * n).map(|_| 1e-4 * rng.normal() as f32).collect();
    if n < 8 {
        return init.chunks(2).map(|p| (p[0], p[1])).collect();
    }
    let perplexity = PERPLEXITY.min(((n - 1) / 3) as f32).max(1.0);
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    let mut t = bhtsne::tSNE::new(&refs);
    t.embedding_dim(2)
        .perplexity(perplexity)
        .epochs(TSNE_EPOCHS)
        .initial_embedding(init)
        .barnes_hut(0.5, |a, b| {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f32>()
                .sqrt()
        });
    t.embedding().chunks(2).map(|p| (p[0], p[1])).collect()
}

/// The t-SNE layout as an SVG scatter plot, one colour per class, with a legend.
pub fn tsne_svg(
    points: &[(f32, f32)],
    labels: &[usize],
    classes: &[String],
    title: &str,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 520)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow!("drawing the t-SNE plot: {e}"))?;
        let (lo_x, hi_x) = bounds(points.iter().map(|p| p.0));
        // room on the right for the legend
        let hi_x = hi_x + 0.3 * (hi_x - lo_x);
        let (lo_y, hi_y) = bounds(points.iter().map(|p| p.1));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .build_cartesian_2d(lo_x..hi_x, lo_y..hi_y)
            .map_err(|e| anyhow!("drawing the t-SNE plot: {e}"))?;
        for (c, name) in classes.iter().enumerate() {
            let colour = Palette99::pick(c).to_rgba();
            chart
                .draw_series(
                    points
                        .iter()
                        .zip(labels)
                        .filter(|(_, &l)| l == c)
                        .map(|(&(x, y), _)| Circle::new((x, y), 2, colour.filled())),
                )
                .map_err(|e| anyhow!("drawing the t-SNE plot: {e}"))?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow!("drawing the t-SNE legend: {e}"))?;
        root.present()
            .map_err(|e| anyhow!("drawing the t-SNE plot: {e}"))?;
    }
    Ok(svg)
}

/// A padded range holding every value (a unit range around 0 when there is none).
fn bounds(values: impl Iterator<Item = f32>) -> (f32, f32) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

/// `embeddings.csv`: `label,class,snr_db,e0,…`, one row per example.
pub fn csv(set: &EmbeddingSet, classes: &[String]) -> String {
    let mut s = String::from("label,class,snr_db");
    for i in 0..set.dim {
        let _ = write!(s, ",e{i}");
    }
    s.push('\n');
    for (r, row) in set.vectors.chunks(set.dim.max(1)).enumerate() {
        let l = set.labels[r];
        let _ = write!(
            s,
            "{l},{},{}",
            classes.get(l).map_or("?", String::as_str),
            set.snr_db[r]
        );
        for v in row {
            let _ = write!(s, ",{v}");
        }
        s.push('\n');
    }
    s
}

/// The report's summary of an embedding set.
pub fn summary(set: &EmbeddingSet, min_snr_db: f64) -> EmbeddingReport {
    EmbeddingReport {
        min_snr_db,
        examples: set.len() as u64,
        dim: set.dim as u64,
        knn_k: KNN_K as u64,
        knn_accuracy: knn_accuracy(set, KNN_K),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Two well-separated clusters in 3-D and a point set of 3 classes.
    fn clusters() -> EmbeddingSet {
        let mut set = EmbeddingSet::default();
        let mut rng = Rng::for_example(1, 0, Stream::Noise);
        for i in 0..60 {
            let c = i % 3;
            let mut v = [
                0.05 * rng.normal() as f32,
                0.05 * rng.normal() as f32,
                0.05 * rng.normal() as f32,
            ];
            v[c] += 1.0;
            set.push(&v, &[c], 0.0).unwrap();
        }
        set
    }

    #[test]
    fn knn_separates_clusters_and_not_noise() {
        let set = clusters();
        assert_eq!(knn_accuracy(&set, KNN_K), 1.0);
        // labels unrelated to position: near chance (1/3)
        let mut shuffled = set.clone();
        shuffled.labels = (0..set.len()).map(|i| (i * 7 / 3) % 3).collect();
        assert!(knn_accuracy(&shuffled, KNN_K) < 0.6);
        assert_eq!(knn_accuracy(&EmbeddingSet::default(), KNN_K), 0.0);
    }

    #[test]
    fn tsne_keeps_clusters_apart_and_draws_them() {
        let set = clusters();
        let p = tsne(&set, 3);
        assert_eq!(p.len(), set.len());
        assert!(p.iter().all(|q| q.0.is_finite() && q.1.is_finite()));
        // the 2-D layout keeps the classes apart: points are nearer their own class
        let dist =
            |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let (mut within, mut across) = ((0.0, 0), (0.0, 0));
        for i in 0..p.len() {
            for j in 0..i {
                let d = dist(p[i], p[j]);
                if set.labels[i] == set.labels[j] {
                    within = (within.0 + d, within.1 + 1);
                } else {
                    across = (across.0 + d, across.1 + 1);
                }
            }
        }
        assert!(within.0 / within.1 as f32 * 2.0 < across.0 / across.1 as f32);
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let svg = tsne_svg(&p, &set.labels, &names, "test").unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("circle"),
            "{}",
            &svg[..200.min(svg.len())]
        );
        assert_eq!(csv(&set, &names).lines().count(), set.len() + 1);
    }

    #[test]
    fn push_refuses_ragged_batches() {
        let mut set = EmbeddingSet::default();
        set.push(&[1.0, 2.0], &[0], 0.0).unwrap();
        assert!(set.push(&[1.0, 2.0, 3.0], &[0], 0.0).is_err());
    }
}
