//! `fipmae classify`: modulation of every annotated burst (or of consecutive windows where a
//! recording has no annotations) in SigMF recordings, with a fine-tuned classifier.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::tensor::{Tensor, TensorData};
use clap::Args;
use model::sigmf::Recording;
use model::{Renderer, C32};
use serde::Serialize;

use crate::backend::{self, Backend};
use crate::fsutil::read;

/// Options of `fipmae classify`.
#[derive(Debug, Clone, Args)]
pub struct ClassifyArgs {
    /// Fine-tuning run folder (holds run.json and classifier.fipmae).
    #[arg(long)]
    pub model: PathBuf,
    /// Print one JSON object per segment instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Recordings: `.sigmf-meta` or `.sigmf-data` paths (the pair is found by name).
    #[arg(required = true)]
    pub recordings: Vec<PathBuf>,
}

/// The verdict on one segment.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// The recording's metadata file.
    pub recording: PathBuf,
    /// First sample of the segment.
    pub sample_start: u64,
    /// Samples in the segment.
    pub sample_count: u64,
    /// The annotation's `core:label`, if any.
    pub label: Option<String>,
    /// The most probable class.
    pub predicted: String,
    /// Class → probability (softmax of the logits, averaged over the segment's windows).
    pub probabilities: BTreeMap<String, f64>,
}

/// The `.sigmf-meta` path of a recording given by either of its files.
fn meta_path(p: &Path) -> PathBuf {
    match p.extension().and_then(|e| e.to_str()) {
        Some("sigmf-data") => p.with_extension("sigmf-meta"),
        _ => p.to_path_buf(),
    }
}

/// Runs `classify` and returns every segment's verdict (printing is the caller's).
pub fn run(args: &ClassifyArgs) -> Result<Vec<Segment>> {
    let device = backend::device()?;
    let (ft, model) = crate::finetune::load_run::<Backend>(&args.model, &device)?;
    let renderer = Renderer::new(ft.render.clone())?;
    let n = ft.render.num_samples;
    let target = ft.classifier.mae.target;
    let classes: Vec<String> = ft
        .dataset
        .classes
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let mut out = Vec::new();
    for given in &args.recordings {
        let meta = meta_path(given);
        let data = meta.with_extension("sigmf-data");
        let rec = Recording::from_bytes(&read(&meta)?, &read(&data)?).with_context(|| {
            format!(
                "invalid SigMF recording `{}` / `{}`",
                meta.display(),
                data.display()
            )
        })?;
        // (start, samples, label) of each segment to classify
        let segments: Vec<(u64, &[C32], Option<String>)> = if rec.meta.annotations.is_empty() {
            rec.samples
                .chunks_exact(n)
                .enumerate()
                .map(|(k, w)| ((k * n) as u64, w, None))
                .collect()
        } else {
            rec.meta
                .annotations
                .iter()
                .map(|a| (a.sample_start, rec.segment(a), a.label.clone()))
                .collect()
        };
        if segments.is_empty() {
            bail!(
                "`{}` holds {} samples, fewer than one {n}-sample window",
                meta.display(),
                rec.samples.len()
            );
        }
        for (start, samples, label) in segments {
            if samples.len() < n {
                bail!(
                    "`{}`: the segment at sample {start} has {} samples; the classifier needs {n}",
                    meta.display(),
                    samples.len()
                );
            }
            // average the class probabilities over the segment's consecutive windows
            let windows: Vec<_> = samples
                .chunks_exact(n)
                .map(|w| renderer.render(target, w))
                .collect::<Result<_, _>>()?;
            let (c, s) = (windows[0].channels, windows[0].size);
            let data: Vec<f32> = windows
                .iter()
                .flat_map(|i| i.data.iter().copied())
                .collect();
            let images = Tensor::<Backend, 4>::from_data(
                TensorData::new(data, [windows.len(), c, s, s]),
                &device,
            );
            let logits: Vec<f32> = model
                .forward(images)?
                .into_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("reading logits back: {e:?}"))?;
            let k = classes.len();
            let mut probs = vec![0.0f64; k];
            for row in logits.chunks(k) {
                let max = row.iter().cloned().fold(f32::MIN, f32::max);
                let exp: Vec<f64> = row.iter().map(|v| ((v - max) as f64).exp()).collect();
                let sum: f64 = exp.iter().sum();
                for (p, e) in probs.iter_mut().zip(exp) {
                    *p += e / sum / windows.len() as f64;
                }
            }
            let best = (0..k)
                .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
                .unwrap_or(0);
            out.push(Segment {
                recording: meta.clone(),
                sample_start: start,
                sample_count: samples.len() as u64,
                label,
                predicted: classes[best].clone(),
                probabilities: classes.iter().cloned().zip(probs).collect(),
            });
        }
    }
    Ok(out)
}

/// The verdicts as a text table.
pub fn table(segments: &[Segment]) -> String {
    let mut s =
        String::from("recording\tsample_start\tsample_count\tlabel\tpredicted\tprobability\n");
    for g in segments {
        let p = g.probabilities.get(&g.predicted).copied().unwrap_or(0.0);
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{:.3}\n",
            g.recording.display(),
            g.sample_start,
            g.sample_count,
            g.label.as_deref().unwrap_or("-"),
            g.predicted,
            p
        ));
    }
    s
}
