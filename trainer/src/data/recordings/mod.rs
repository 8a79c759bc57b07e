//! Recordings as training and evaluation data (`finetune --recordings`, `eval --recordings`):
//! SigMF pairs, `.sigmf` archives and raw `cf32` captures, given as files or folders, cut
//! into the classifier's `n`-sample windows.
//!
//! A *burst* is one annotation (or, in a recording without annotations, one window); a
//! *window* is one whole `n`-sample piece of a burst, one example. Labels come from
//! `core:label`, SNRs from `fipmae:snr_db` or a field the user names. The class set is the
//! sorted set of labels found, unless given. Train and validation windows are drawn per
//! class with the run's seed from **disjoint bursts** (the windows of one burst never
//! straddle the split). **SigMF pairs are streamed**: the index of windows is built once
//! from the metadata and the data file's size, and each window's samples are read from
//! the `.sigmf-data` file when it is rendered, so a dataset larger than memory trains
//! (RadioML 2018 imported is 20 GB). `.sigmf` archives and raw captures are decoded into
//! memory (at most [`MAX_SAMPLES`] samples of them). Every file is read by [`files`].

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use model::sigmf::Annotation;
use model::{Modality, Renderer, C32};

use crate::data::{render_with, shuffled, HostBatch, RenderedExample};

pub mod files;
mod labelled;
mod unlabelled;

use files::{find_files, open_pair, recordings_in_file, sigmf_pair, Samples};
pub use labelled::{Labelled, RecordingsSpec};
pub use unlabelled::{PretrainRecordings, Unlabelled};

/// The most samples a recording set holds in memory, from archives and raw captures
/// (2²⁹ complex samples, 4 GiB); SigMF pairs are streamed and do not count.
pub const MAX_SAMPLES: usize = 1 << 29;

/// Salt of the seeded train/validation split.
pub(crate) const SPLIT_SALT: u64 = 0x5B11_7000;

/// The default annotation field of a burst's SNR, dB (what `generate` and the importers
/// write).
pub const DEFAULT_SNR_FIELD: &str = "fipmae:snr_db";

/// One example: an `n`-sample window of a burst.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Index of its recording in [`RecordingSet::names`].
    pub recording: usize,
    /// First sample in the recording.
    pub start: usize,
    /// Index of its burst (unique over the set).
    pub burst: usize,
    /// Class index, `None` for an unlabelled burst.
    pub label: Option<usize>,
    /// The burst's SNR, dB, when annotated.
    pub snr_db: Option<f64>,
}

/// Recordings read into memory and cut into windows.
#[derive(Debug, Clone)]
pub struct RecordingSet {
    /// Each recording's name (file, or `archive.sigmf:member`).
    pub names: Vec<PathBuf>,
    samples: Vec<Samples>,
    /// Every window, in file order.
    pub windows: Vec<Window>,
    /// Class names; window labels index into them.
    pub classes: Vec<String>,
    /// Window length, samples.
    pub n: usize,
}

/// A burst's SNR from annotation `a`: `fipmae:snr_db`, or the named field.
fn snr_of(a: &model::sigmf::Annotation, field: &str) -> Option<f64> {
    if field == DEFAULT_SNR_FIELD {
        a.snr_db
    } else {
        a.extra.get(field).and_then(serde_json::Value::as_f64)
    }
}

impl RecordingSet {
    /// Reads every recording in `paths` and cuts each burst into whole `n`-sample windows.
    /// With `classes`, every label must be one of them (an error names the first that is
    /// not); without, the class set is the sorted set of labels found (at least two).
    pub fn open(
        paths: &[PathBuf],
        n: usize,
        classes: Option<&[String]>,
        snr_field: &str,
    ) -> Result<Self> {
        let n = n.max(1);
        let mut names = Vec::new();
        let mut samples = Vec::new();
        // (recording, start, burst length, label, snr) before the class set is known
        let mut bursts: Vec<Burst> = Vec::new();
        let mut held = 0usize;
        for file in find_files(paths)? {
            if let Some((meta, data)) = sigmf_pair(&file) {
                // streamed: the metadata and the data file's size are all we read now
                let (annotations, source, len) = open_pair(&meta, &data)?;
                let r = names.len();
                push_bursts(&annotations, len, r, n, snr_field, &meta, &mut bursts)?;
                names.push(meta);
                samples.push(source);
                continue;
            }
            for (name, rec) in recordings_in_file(&file)? {
                held = held.saturating_add(rec.samples.len());
                if held > MAX_SAMPLES {
                    bail!(
                        "the archives and raw captures hold more than {MAX_SAMPLES} samples \
                         (at `{}`), all decoded into memory: convert them to SigMF pairs \
                         (.sigmf-meta + .sigmf-data), which are read window by window",
                        name.display()
                    );
                }
                let r = names.len();
                let len = rec.samples.len();
                push_bursts(
                    &rec.meta.annotations,
                    len,
                    r,
                    n,
                    snr_field,
                    &name,
                    &mut bursts,
                )?;
                names.push(name);
                samples.push(Samples::Memory(rec.samples));
            }
        }
        let classes: Vec<String> = match classes {
            Some(c) => c.to_vec(),
            None => {
                let mut found: Vec<String> = bursts.iter().filter_map(|b| b.3.clone()).collect();
                found.sort();
                found.dedup();
                found
            }
        };
        let mut windows = Vec::new();
        for (burst, (recording, start, len, label, snr_db)) in bursts.into_iter().enumerate() {
            let label = match label {
                None => None,
                Some(l) => Some(classes.iter().position(|c| *c == l).with_context(|| {
                    format!(
                        "`{}`: the label {l:?} at sample {start} is not one of the classes {}",
                        names[recording].display(),
                        classes.join(", ")
                    )
                })?),
            };
            windows.extend((0..len / n).map(|k| Window {
                recording,
                start: start + k * n,
                burst,
                label,
                snr_db,
            }));
        }
        Ok(Self {
            names,
            samples,
            windows,
            classes,
            n,
        })
    }

    /// The samples of window `w` (read from its data file for a streamed recording).
    pub fn window(&self, w: &Window) -> Result<std::borrow::Cow<'_, [C32]>> {
        self.samples[w.recording].window(w.start, self.n)
    }

    /// Labelled windows.
    pub fn labelled(&self) -> usize {
        self.windows.iter().filter(|w| w.label.is_some()).count()
    }

    /// Training and validation windows (indices into `windows`): per class, its bursts in a
    /// seeded order; validation takes whole bursts until it has `val` windows, training
    /// takes `train` windows from the bursts after them. An error names a class with too
    /// few windows.
    pub fn split(&self, train: u64, val: u64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
        let (mut tr, mut va) = (Vec::new(), Vec::new());
        for (c, name) in self.classes.iter().enumerate() {
            // this class's bursts, each with its windows, in file order
            let mut bursts: Vec<Vec<usize>> = Vec::new();
            for (i, w) in self.windows.iter().enumerate() {
                if w.label != Some(c) {
                    continue;
                }
                match bursts.last_mut() {
                    Some(last) if self.windows[last[0]].burst == w.burst => last.push(i),
                    _ => bursts.push(vec![i]),
                }
            }
            let total: usize = bursts.iter().map(Vec::len).sum();
            // this class's bursts in a seeded order (the class index as the "epoch")
            let order = shuffled(bursts.len() as u64, seed, SPLIT_SALT, c as u64);
            let mut it = order
                .into_iter()
                .map(|k| std::mem::take(&mut bursts[k as usize]));
            let mut v = Vec::new();
            while (v.len() as u64) < val {
                match it.next() {
                    Some(b) => v.extend(b),
                    None => break,
                }
            }
            let t: Vec<usize> = it.flatten().take(train as usize).collect();
            if (v.len() as u64) < val || (t.len() as u64) < train {
                bail!(
                    "class {name:?} has {total} labelled windows in its bursts; {train} for \
                     training and {val} for validation (from other bursts) need more: lower \
                     --labels-per-class or --val-per-class"
                );
            }
            v.truncate(val as usize);
            tr.extend(t);
            va.extend(v);
        }
        Ok((tr, va))
    }

    /// Renders windows `ids` (indices into `windows`) for `modalities` on `threads`
    /// threads (the batch's indices are the window indices); see [`Self::render_one`].
    pub fn render(
        &self,
        renderer: &Renderer,
        ids: &[usize],
        modalities: &[Modality],
        threads: usize,
    ) -> Result<HostBatch> {
        let ids: Vec<u64> = ids.iter().map(|&i| i as u64).collect();
        render_with(renderer, &ids, modalities, threads, |i| {
            self.render_one(renderer, i as usize, modalities)
        })
    }

    /// Window `i` for `modalities`: a recording has no clean version, so each target is
    /// the input itself, and no noise image (zeros, marked absent by `recorded`). An
    /// unlabelled window gets label 0, one without an SNR gets NaN.
    pub fn render_one(
        &self,
        renderer: &Renderer,
        i: usize,
        modalities: &[Modality],
    ) -> Result<RenderedExample> {
        let w = self.windows.get(i).context("no such window")?;
        let samples = self.window(w)?;
        let config = renderer.config();
        let pairs = modalities
            .iter()
            .map(|&m| {
                if m == Modality::Noise {
                    let zeros = model::Image::zeros(m.channels(config), config.image_size);
                    return Ok((zeros.clone(), zeros));
                }
                let img = renderer.render(m, &samples).with_context(|| {
                    format!(
                        "rendering `{}` at sample {}",
                        self.names[w.recording].display(),
                        w.start
                    )
                })?;
                Ok((img.clone(), img))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RenderedExample {
            label: w.label.unwrap_or(0),
            snr_db: w.snr_db.unwrap_or(f64::NAN),
            pairs,
            recorded: true,
        })
    }
}

/// One burst before the class set is known: recording, first sample, length, label, SNR.
type Burst = (usize, usize, usize, Option<String>, Option<f64>);

/// Appends the bursts of a recording of `len` samples with `annotations` (recording
/// number `r`): every annotation, or, without any, every whole `n`-sample window as its
/// own unlabelled burst.
fn push_bursts(
    annotations: &[Annotation],
    len: usize,
    r: usize,
    n: usize,
    snr_field: &str,
    name: &Path,
    out: &mut Vec<Burst>,
) -> Result<()> {
    if annotations.is_empty() {
        out.extend((0..len / n).map(|k| (r, k * n, n, None, None)));
        return Ok(());
    }
    for a in annotations {
        let range = a.range(len);
        let (start, len) = (range.start, range.len());
        if len < n {
            bail!(
                "`{}`: the burst at sample {start} has {len} samples; the classifier reads \
                 {n}-sample windows",
                name.display()
            );
        }
        out.push((r, start, len, a.label.clone(), snr_of(a, snr_field)));
    }
    Ok(())
}
