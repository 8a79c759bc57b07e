//! `fipmae generate`: writes a seeded dataset as SigMF recordings (+ optional PNG previews).
//!
//! One recording per example: `example_NNNNNN.sigmf-meta` and `.sigmf-data` (`cf32_le`,
//! one annotation covering the burst with its class as `core:label` and its SNR as
//! `fipmae:snr_db`), plus `dataset.json` with the full [`DatasetSpec`] so that anyone can
//! regenerate any example bit for bit.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use model::modality::render_example;
use model::sigmf::{encode_cf32_le, write_metadata, BurstAnnotation};
use model::signal::{synthesize_foreign, Foreign};
use model::{DatasetSpec, Modulation, Profile, RenderConfig, Renderer, SignalConfig, SnrSpec};

use crate::data::preview::png_bytes;
use crate::fsutil::{create_dir, write_atomic};

/// Options of `fipmae generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of examples to write.
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Dataset seed: example i depends on (seed, i) only.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Index of the first example written (to extend or shard a dataset).
    #[arg(long, default_value_t = 0)]
    pub start: u64,
    /// Fixed SNR for every example, dB (overrides --snr-min/--snr-max).
    #[arg(long, value_parser = crate::flags::parse_snr_db, allow_hyphen_values = true)]
    pub snr_db: Option<f64>,
    /// The uniform SNR range (without --snr-db).
    #[command(flatten)]
    pub snr: crate::flags::SnrRange,
    /// Generator profile: `standard` (default) or `denomae` (the reference's definitions).
    #[arg(long, default_value = "standard")]
    pub profile: Profile,
    /// Classes, comma-separated (e.g. `OOK,4ASK,GMSK`), or `all`.
    #[arg(long, default_value = "all")]
    pub classes: String,
    /// Write bursts of modulations outside the class set instead (never trained on, for
    /// trying the "unknown" verdict): comma-separated BPSK, QPSK, 8PSK, 16QAM, 64QAM,
    /// OFDM, AM, FM, noise, or `all`; example i is the (i mod count)-th kind, through the
    /// same channel.
    #[arg(long, value_name = "KINDS", conflicts_with_all = ["classes", "previews"])]
    pub out_of_set: Option<String>,
    /// Samples per burst (default: the profile's, 1024).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Samples per symbol of the standard profile (default 8).
    #[arg(long)]
    pub sps: Option<usize>,
    /// Standard profile: `ranges` (default) draws each class's parameters per burst,
    /// `fixed` keeps one point per class (the generator before ranges).
    #[arg(long, value_parser = crate::flags::parse_class_parameters)]
    pub class_parameters: Option<model::signal::ClassParameters>,
    /// Largest carrier frequency offset, cycles/sample, drawn U[−max, max] (default: the
    /// profile's, 0.05 for `standard`; 5e-5 was the standard generator's before ranges).
    #[arg(long, value_parser = crate::flags::parse_non_negative)]
    pub max_freq_offset: Option<f64>,
    /// Nominal sample rate written as `core:sample_rate`, Hz (synthetic data has none).
    #[arg(long, default_value_t = 1e6)]
    pub sample_rate: f64,
    /// Also write PNG previews of every modality (input and target) under `previews/`.
    #[arg(long)]
    pub previews: bool,
    /// Image size of the previews, pixels.
    #[arg(long, default_value_t = 64)]
    pub image_size: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl GenerateArgs {
    /// The dataset these options describe, validated.
    pub fn dataset(&self) -> Result<DatasetSpec> {
        let mut signal = SignalConfig::for_profile(self.profile);
        if let Some(n) = self.samples {
            signal.num_samples = n;
        }
        if let Some(t) = self.sps {
            if self.profile == Profile::Denomae {
                bail!("--sps applies to the standard profile only (denomae uses 1 sample/symbol)");
            }
            signal.samples_per_symbol = t;
        }
        if let Some(p) = self.class_parameters {
            signal.class_parameters = p;
        }
        if let Some(f) = self.max_freq_offset {
            signal.channel.max_freq_offset = f;
        }
        let snr = match self.snr_db {
            Some(db) => SnrSpec::Fixed { db },
            None => self.snr.spec(),
        };
        let spec = DatasetSpec {
            seed: self.seed,
            classes: Modulation::parse_list(&self.classes)?,
            snr,
            signal,
        };
        spec.validate()?;
        if !(self.sample_rate.is_finite() && self.sample_rate > 0.0) {
            bail!("--sample-rate must be a positive number of Hz");
        }
        Ok(spec)
    }
}

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Recordings written.
    pub recordings: u64,
    /// PNG previews written.
    pub previews: u64,
}

/// The file stem of example `index`.
pub fn stem(index: u64) -> String {
    format!("example_{index:06}")
}

fn write_one(
    spec: &DatasetSpec,
    args: &GenerateArgs,
    renderer: Option<&Renderer>,
    out_of_set: &[Foreign],
    index: u64,
) -> Result<u64> {
    let stem = stem(index);
    let (label, snr_db, noisy, ex) = if out_of_set.is_empty() {
        let ex = spec.example(index);
        (
            ex.class.name().to_string(),
            ex.snr_db,
            ex.noisy.clone(),
            Some(ex),
        )
    } else {
        let kind = out_of_set[(index % out_of_set.len() as u64) as usize];
        let snr_db = spec.snr_of(index);
        let b = synthesize_foreign(kind, &spec.signal, spec.seed, index, snr_db);
        (kind.name().to_string(), snr_db, b.noisy, None)
    };
    let bursts = [BurstAnnotation {
        sample_start: 0,
        sample_count: noisy.len() as u64,
        label: label.clone(),
        snr_db: spec.signal.channel.awgn.then_some(snr_db),
        seed: spec.seed,
        index,
    }];
    let description = format!(
        "fipmae synthetic burst: {} at {:.2} dB SNR, profile {}, seed {}, index {}{}",
        label,
        snr_db,
        spec.signal.profile,
        spec.seed,
        index,
        if out_of_set.is_empty() {
            ""
        } else {
            " (out of the class set)"
        }
    );
    let meta = write_metadata(
        args.sample_rate,
        &description,
        &spec.signal.profile.to_string(),
        &bursts,
    );
    // Data first, then metadata: a reader never finds metadata without its data.
    write_atomic(
        &args.out.join(format!("{stem}.sigmf-data")),
        &encode_cf32_le(&noisy),
    )?;
    write_atomic(&args.out.join(format!("{stem}.sigmf-meta")), &meta)?;
    let mut pngs = 0;
    if let (Some(r), Some(ex)) = (renderer, ex) {
        let dir = args.out.join("previews");
        for pair in render_example(r, &ex)? {
            for (kind, img) in [("input", &pair.input), ("target", &pair.target)] {
                let name = format!("{stem}_{}_{kind}.png", pair.modality.name());
                write_atomic(&dir.join(name), &png_bytes(img, pair.modality)?)?;
                pngs += 1;
            }
        }
    }
    Ok(pngs)
}

/// Runs `generate`: writes `count` recordings from index `start` on, in parallel.
pub fn run(args: &GenerateArgs) -> Result<Summary> {
    let spec = args.dataset()?;
    let out_of_set = match &args.out_of_set {
        Some(s) => Foreign::parse_list(s).context("--out-of-set")?,
        None => Vec::new(),
    };
    create_dir(&args.out)?;
    let renderer = if args.previews {
        create_dir(&args.out.join("previews"))?;
        Some(Renderer::new(RenderConfig::for_signal(
            &spec.signal,
            args.image_size,
        ))?)
    } else {
        None
    };
    let manifest = serde_json::json!({
        "dataset": spec,
        "start": args.start,
        "count": args.count,
        "sample_rate": args.sample_rate,
        "out_of_set": out_of_set.iter().map(|k| k.name()).collect::<Vec<_>>(),
        "files": "example_NNNNNN.sigmf-meta / .sigmf-data, one burst each",
    });
    write_atomic(
        &args.out.join("dataset.json"),
        &serde_json::to_vec_pretty(&manifest).context("dataset manifest")?,
    )?;
    let threads = crate::data::threads(args.threads) as u64;
    let end = args
        .start
        .checked_add(args.count)
        .context("--start + --count overflows")?;
    let results: Vec<Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (spec, renderer, out_of_set) = (&spec, renderer.as_ref(), &out_of_set);
                s.spawn(move || -> Result<u64> {
                    let mut pngs = 0;
                    let mut i = args.start + t;
                    while i < end {
                        pngs += write_one(spec, args, renderer, out_of_set, i)
                            .with_context(|| format!("example {i}"))?;
                        i += threads;
                    }
                    Ok(pngs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked")))
            })
            .collect()
    });
    let mut previews = 0;
    for r in results {
        previews += r?;
    }
    Ok(Summary {
        recordings: args.count,
        previews,
    })
}

/// Writes the recordings and prints what was written.
pub fn main(args: &GenerateArgs) -> Result<()> {
    let t = std::time::Instant::now();
    let s = run(args)?;
    println!(
        "wrote {} SigMF recordings{} to {} in {:.2} s",
        s.recordings,
        if s.previews > 0 {
            format!(" and {} PNG previews", s.previews)
        } else {
            String::new()
        },
        args.out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
