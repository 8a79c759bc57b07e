//! Measuring a classifier: accuracy per SNR (and per class at each) and the confusion
//! matrix on the generator's fixed-seed test set (with the pooled embeddings, for
//! `--embeddings`), or on labelled recordings (`--recordings`).

use anyhow::{bail, Result};
use model::{Renderer, SnrSpec};

use super::embed::EmbeddingSet;
use super::subject::Subject;
use super::{EvalArgs, SnrAccuracy};
use crate::backend::{self, Backend};
use crate::data::{argmax_rows, predict, render_batch};

/// What measuring a classifier gives.
pub(super) struct Scores {
    /// Accuracy per SNR, ascending.
    pub(super) per_snr: Vec<SnrAccuracy>,
    /// Confusion matrix (rows: true class, columns: predicted).
    pub(super) confusion: Vec<Vec<u64>>,
    /// The embedded test examples (empty without `--embeddings`).
    pub(super) embedded: EmbeddingSet,
}

/// Measures `subject` on the recordings when `args` names some, else on the test set.
pub(super) fn scores(
    args: &EvalArgs,
    subject: &Subject,
    renderer: &Renderer,
    threads: usize,
    device: &backend::Device,
) -> Result<Scores> {
    if args.recordings.is_empty() {
        return synthetic_accuracy(args, subject, renderer, threads, device);
    }
    if args.embeddings {
        bail!("--embeddings is not implemented for --recordings");
    }
    let (per_snr, confusion) = recorded_accuracy(args, subject, renderer, threads, device)?;
    Ok(Scores {
        per_snr,
        confusion,
        embedded: EmbeddingSet::default(),
    })
}

/// Accuracy on the test set: `--per-class` examples per (class, SNR) at every SNR from
/// `--snr-min` to `--snr-max`, from the subject's generator with the test seed; test
/// examples at or above `--embeddings-min-snr` are embedded when asked.
fn synthetic_accuracy(
    args: &EvalArgs,
    ft: &Subject,
    renderer: &Renderer,
    threads: usize,
    device: &backend::Device,
) -> Result<Scores> {
    let model = &ft.model;
    let k = ft.classes.len();
    let per_snr_count = args.per_class * k as u64;
    let mut confusion = vec![vec![0u64; k]; k];
    let mut per_snr = Vec::new();
    let mut embedded = EmbeddingSet::default();
    for (s, snr) in args.snr.values().into_iter().enumerate() {
        let mut spec = ft.dataset.clone();
        spec.seed = args.seed;
        spec.snr = SnrSpec::Fixed { db: snr as f64 };
        let start = s as u64 * per_snr_count;
        let ids: Vec<u64> = (start..start + per_snr_count).collect();
        let (mut right, mut total) = (vec![0u64; k], vec![0u64; k]);
        let embed_here = args.embeddings && snr >= args.embeddings_min_snr;
        for chunk in ids.chunks(ft.batch_size.max(1)) {
            let batch = render_batch(&spec, renderer, chunk, &[ft.target], threads)?;
            let images = batch.images::<Backend>(device)?;
            let pred = if embed_here {
                let pooled = model.embed(images)?;
                let values = model::batch::read(pooled.clone())?;
                embedded.push(&values, &batch.labels, snr as f64)?;
                argmax_rows(&model::batch::read(model.head(pooled))?, k)
            } else {
                predict(model, images)?
            };
            for (p, l) in pred.iter().zip(&batch.labels) {
                confusion[*l][(*p).min(k - 1)] += 1;
                right[*l] += u64::from(p == l);
                total[*l] += 1;
            }
        }
        per_snr.push(SnrAccuracy::from_counts(snr as f64, &right, &total));
    }
    Ok(Scores {
        per_snr,
        confusion,
        embedded,
    })
}

/// Accuracy of `model` on every labelled window of `args.recordings`: per SNR (bursts that
/// carry one, in ascending order) and the confusion matrix over all windows.
fn recorded_accuracy(
    args: &EvalArgs,
    ft: &Subject,
    renderer: &Renderer,
    threads: usize,
    device: &backend::Device,
) -> Result<(Vec<SnrAccuracy>, Vec<Vec<u64>>)> {
    let classes = ft.classes.clone();
    let k = classes.len();
    let snr_field = match (&args.snr_field, &ft.recordings) {
        (Some(f), _) => f.clone(),
        (None, Some(r)) => r.snr_field.clone(),
        (None, None) => crate::data::recordings::DEFAULT_SNR_FIELD.to_string(),
    };
    let set = crate::data::recordings::RecordingSet::open(
        &args.recordings,
        ft.render.num_samples,
        Some(&classes),
        &snr_field,
    )?;
    if let Some(r) = &ft.recordings {
        // the run's own training files, scored again, flatter it: say so
        let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        let trained: std::collections::HashSet<_> =
            crate::data::recordings::files::find_files(&r.paths)
                .map(|files| files.iter().filter_map(|p| canonical(p)).collect())
                .unwrap_or_default();
        let again = set
            .names
            .iter()
            .filter(|n| canonical(n).is_some_and(|c| trained.contains(&c)))
            .count();
        if again > 0 {
            eprintln!(
                "note: {again} of these {} recordings are among those `{}` was fine-tuned on: \
                 its training windows are scored too",
                set.names.len(),
                args.model.display()
            );
        }
    }
    let ids: Vec<usize> = (0..set.windows.len())
        .filter(|&i| set.windows[i].label.is_some())
        .collect();
    if ids.is_empty() {
        bail!("the recordings hold no labelled burst (core:label) to evaluate on");
    }
    let mut confusion = vec![vec![0u64; k]; k];
    // SNR in tenths of a dB (so equal values group, in ascending order) → (the SNR,
    // correct and examples per class)
    let mut by_snr: std::collections::BTreeMap<i64, (f64, Vec<u64>, Vec<u64>)> = Default::default();
    for chunk in ids.chunks(ft.batch_size.max(1)) {
        let batch = set.render(renderer, chunk, &[ft.target], threads)?;
        let pred = predict(&ft.model, batch.images::<Backend>(device)?)?;
        for ((p, l), snr) in pred.iter().zip(&batch.labels).zip(&batch.snr_db) {
            confusion[*l][(*p).min(k - 1)] += 1;
            if snr.is_finite() {
                // ordered by value: tenths of a dB as the key, the exact value kept
                let e = by_snr
                    .entry((snr * 10.0).round() as i64)
                    .or_insert_with(|| (*snr, vec![0; k], vec![0; k]));
                e.1[*l] += u64::from(p == l);
                e.2[*l] += 1;
            }
        }
    }
    let per_snr = by_snr
        .into_values()
        .map(|(snr_db, right, total)| SnrAccuracy::from_counts(snr_db, &right, &total))
        .collect();
    Ok((per_snr, confusion))
}
