//! `fipmae classify`: modulation of every annotated burst (or of consecutive windows where a
//! recording has no annotations) in SigMF recordings (`.sigmf-meta` + `.sigmf-data` pairs or
//! `.sigmf` archives) and raw `cf32_le` captures, with a fine-tuned classifier or an exported
//! bundle.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use model::bundle::Bundle;
use model::classifier::AmcClassifier;
use model::openset::OpenSetRule;
use model::segment::segments;
use model::verdict::{mean_offset, segment_batches, window_facts, Votes};
use model::{Modality, RenderConfig, Renderer};
use serde::Serialize;

use crate::backend::{self, Backend};
use crate::data::recordings::files::recordings_in_file;
use crate::fsutil::read;
use crate::training::run_folder::{CALIBRATION_JSON, RUN_JSON};

/// Options of `fipmae classify`.
#[derive(Debug, Clone, Args)]
pub struct ClassifyArgs {
    /// Fine-tuning run folder (run.json + classifier.fipmae) or exported bundle folder
    /// (bundle.json + its weight files).
    #[arg(long)]
    pub model: PathBuf,
    /// Print one JSON object per segment instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Samples per symbol of the recordings, when they differ from the classifier's
    /// training data (`bundle.json`'s `render.samples_per_symbol`, 8 for the shipped
    /// model): the matched filter and the symbol-rate constellation are rendered at this
    /// rate, so the images look like the ones it was trained on.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub samples_per_symbol: Option<u32>,
    /// Recordings: `.sigmf-meta` or `.sigmf-data` (the pair is found by name), `.sigmf`
    /// archives, or raw `cf32_le` captures (`.cf32`, `.cfile`, `.iq`, `.raw`; classified in
    /// windows).
    #[arg(required = true)]
    pub recordings: Vec<PathBuf>,
}

/// The verdict on one segment.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// The recording: its metadata file, raw capture, or `archive.sigmf:member`.
    pub recording: PathBuf,
    /// First sample of the segment.
    pub sample_start: u64,
    /// Samples in the segment.
    pub sample_count: u64,
    /// The annotation's `core:label`, if any.
    pub label: Option<String>,
    /// The most probable class, or `unknown` when the classifier's open-set rule says the
    /// burst is unlike every class it knows.
    pub predicted: String,
    /// The most probable class (the closest one when `predicted` is `unknown`).
    pub best_class: String,
    /// With an open-set rule (`calibration.json`): the windows' mean familiarity minus
    /// their thresholds; below 0 the segment is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Class → probability (softmax of the logits, calibrated when the classifier has an
    /// open-set rule, averaged over the segment's windows).
    pub probabilities: BTreeMap<String, f64>,
    /// The carrier offset removed before the windows were rendered, cycles/sample (their
    /// mean; multiply by the sample rate for Hz), when the classifier corrects offsets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_offset: Option<f64>,
}

/// What `predicted` says of a segment the open-set rule rejects.
pub const UNKNOWN: &str = "unknown";

/// A classifier with what it needs to judge recordings.
pub struct Loaded {
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// Rendering settings the classifier expects.
    pub render: RenderConfig,
    /// The modality it reads.
    pub target: Modality,
    /// The network.
    pub model: AmcClassifier<Backend>,
    /// Its open-set rule (`calibration.json`), if it has one.
    pub rule: Option<OpenSetRule>,
}

/// Reads the open-set rule `dir/name`; the error names the file.
pub(crate) fn read_rule(dir: &Path, name: &str, classes: usize) -> Result<OpenSetRule> {
    let path = dir.join(name);
    let rule: OpenSetRule = serde_json::from_slice(&read(&path)?)
        .with_context(|| format!("`{}` is not an open-set rule", path.display()))?;
    if rule
        .gaussian
        .as_ref()
        .is_some_and(|g| g.means.len() != classes)
    {
        anyhow::bail!(
            "`{}` was fitted for another class count than the classifier's {classes}: run \
             `fipmae calibrate --model {}` again",
            path.display(),
            dir.display()
        );
    }
    Ok(rule)
}

/// Loads a fine-tuning run folder or an exported bundle folder, with its open-set rule
/// when `with_rule` (`calibrate` replaces the rule, so it does not read the old one);
/// errors name the file.
pub fn load(dir: &Path, device: &burn::tensor::Device<Backend>, with_rule: bool) -> Result<Loaded> {
    if dir.join(RUN_JSON).is_file() {
        let (ft, model) = crate::finetune::load_run::<Backend>(dir, device)?;
        let classes = ft.class_names();
        let rule = match with_rule && dir.join(CALIBRATION_JSON).is_file() {
            true => Some(read_rule(dir, CALIBRATION_JSON, classes.len())?),
            false => None,
        };
        return Ok(Loaded {
            classes,
            render: ft.render,
            target: ft.classifier.mae.target,
            model,
            rule,
        });
    }
    let index = dir.join("bundle.json");
    if !index.is_file() {
        anyhow::bail!(
            "`{}` is neither a fine-tuning run (no run.json) nor an exported bundle (no bundle.json)",
            dir.display()
        );
    }
    let bundle = Bundle::from_json(&read(&index)?)
        .with_context(|| format!("`{}` is not a bundle index", index.display()))?;
    let w = dir.join(&bundle.classifier);
    let bytes = crate::fsutil::read_capped(&w, crate::fsutil::MAX_NAMED_FILE)?;
    let model = model::weights::classifier_from_bytes::<Backend>(&bytes, None, device)
        .with_context(|| format!("loading `{}`", w.display()))?;
    bundle
        .check(&model.config)
        .with_context(|| format!("`{}` does not fit `{}`", w.display(), index.display()))?;
    let rule = match &bundle.calibration {
        Some(name) if with_rule => Some(read_rule(dir, name, bundle.classes.len())?),
        _ => None,
    };
    Ok(Loaded {
        classes: bundle.classes,
        render: bundle.render,
        target: model.config.mae.target,
        model,
        rule,
    })
}

/// Runs `classify` and returns every segment's verdict (printing is the caller's).
pub fn run(args: &ClassifyArgs) -> Result<Vec<Segment>> {
    let device = backend::device()?;
    let mut loaded = load(&args.model, &device, true)?;
    if let Some(t) = args.samples_per_symbol {
        loaded.render.samples_per_symbol = t as usize;
    }
    let renderer = Renderer::new(loaded.render.clone())
        .context("the rendering settings (with --samples-per-symbol) are not usable")?;
    let k = loaded.classes.len();
    let mut out = Vec::new();
    for given in &args.recordings {
        for (name, rec) in recordings_in_file(given)? {
            let segs = segments(&rec, loaded.render.num_samples)
                .with_context(|| format!("`{}`", name.display()))?;
            for seg in segs {
                // fixed-size batches of windows: memory does not grow with a burst's length
                let facts = match &loaded.rule {
                    Some(rule) => window_facts(&renderer, &seg, rule)
                        .with_context(|| format!("`{}`", name.display()))?,
                    None => Vec::new(),
                };
                let mut votes = Votes::with_rule(k, loaded.rule.clone(), facts);
                let features = loaded.rule.as_ref().is_some_and(|r| r.needs_features());
                let mut offsets = Vec::new();
                for batch in segment_batches::<Backend>(&renderer, loaded.target, &seg, &device)? {
                    let batch = batch?;
                    offsets.extend(batch.offsets);
                    let pooled = loaded.model.embed(batch.images)?;
                    let logits = model::batch::read(loaded.model.head(pooled.clone()))?;
                    let f = if features {
                        Some(model::batch::read(pooled)?)
                    } else {
                        None
                    };
                    votes.add_windows(&logits, f.as_deref());
                }
                let v = votes.verdict(&seg);
                let best = loaded.classes[v.predicted].clone();
                out.push(Segment {
                    recording: name.clone(),
                    sample_start: v.sample_start,
                    sample_count: v.sample_count,
                    predicted: if v.unknown {
                        UNKNOWN.to_string()
                    } else {
                        best.clone()
                    },
                    best_class: best,
                    score: v.familiarity,
                    probabilities: loaded
                        .classes
                        .iter()
                        .cloned()
                        .zip(v.probabilities)
                        .collect(),
                    carrier_offset: mean_offset(&offsets),
                    label: v.label,
                });
            }
        }
    }
    Ok(out)
}

/// The verdicts as a text table.
pub fn table(segments: &[Segment]) -> String {
    let mut s = String::from(
        "recording\tsample_start\tsample_count\tlabel\tpredicted\tprobability\tscore\n",
    );
    for g in segments {
        // an unknown segment shows its closest class and that class's probability
        let shown = if g.predicted == UNKNOWN {
            format!("unknown (closest {})", g.best_class)
        } else {
            g.predicted.clone()
        };
        let p = g.probabilities.get(&g.best_class).copied().unwrap_or(0.0);
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{:.3}\t{}\n",
            g.recording.display(),
            g.sample_start,
            g.sample_count,
            g.label.as_deref().unwrap_or("-"),
            shown,
            p,
            g.score.map_or("-".to_string(), |v| format!("{v:+.3}"))
        ));
    }
    s
}

/// Runs `fipmae classify` and prints one verdict per segment (a table or JSON lines).
pub fn main(args: &ClassifyArgs) -> Result<()> {
    let segments = run(args)?;
    if args.json {
        for s in &segments {
            println!("{}", serde_json::to_string(s)?);
        }
    } else {
        print!("{}", table(&segments));
    }
    Ok(())
}
