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
//! memory (at most [`MAX_SAMPLES`] samples of them).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use model::sigmf::{
    check_annotations, decode_samples, parse_metadata, Annotation, DataType, FileKind,
};
use model::{Modality, Renderer, C32};
use serde::{Deserialize, Serialize};

use crate::data::{render_with, shuffled, HostBatch, RenderedExample};

/// The most samples a recording set holds in memory, from archives and raw captures
/// (2²⁹ complex samples, 4 GiB); SigMF pairs are streamed and do not count.
pub const MAX_SAMPLES: usize = 1 << 29;

/// Salt of the seeded train/validation split.
const SPLIT_SALT: u64 = 0x5B11_7000;

/// The default annotation field of a burst's SNR, dB (what `generate` and the importers
/// write).
pub const DEFAULT_SNR_FIELD: &str = "fipmae:snr_db";

/// Labelled recordings in a run description (`run.json`): enough to rebuild the same
/// windows and split on `--resume`, `eval` and `export`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingsSpec {
    /// Files or folders, as given (folders are searched recursively).
    pub paths: Vec<PathBuf>,
    /// Class names in the classifier's output order.
    pub classes: Vec<String>,
    /// Annotation field holding each burst's SNR, dB.
    pub snr_field: String,
    /// Labelled windows found when the run was made (a changed dataset is refused).
    pub windows: u64,
    /// Training windows per class.
    pub train_per_class: u64,
    /// Validation windows per class (from bursts no training window comes from).
    pub val_per_class: u64,
}

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

/// The recording files in `paths`: files as given, folders searched recursively for
/// `.sigmf-meta` files, `.sigmf` archives and raw captures (sorted by path, so the order,
/// and with it every seeded draw, does not depend on the file system).
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("listing `{}`", dir.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing `{}`", dir.display()))?
                .path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                use model::sigmf::FileKind;
                match FileKind::of(&path.to_string_lossy()) {
                    // a pair is named by its metadata half
                    Some(FileKind::Data) | None => {}
                    Some(_) => out.push(path),
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("`{}` does not exist", p.display());
        }
    }
    // a file given twice (a pair by both halves, a folder and a file in it) counts once:
    // its copies would be separate bursts, on both sides of the train/validation split
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| {
        let named = sigmf_pair(p).map_or_else(|| p.clone(), |(meta, _)| meta);
        seen.insert(std::fs::canonicalize(&named).unwrap_or(named))
    });
    if out.is_empty() {
        bail!(
            "no recordings (.sigmf-meta, .sigmf, .cf32) in {}",
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(out)
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
            for (name, rec) in crate::classify::recordings(&file)? {
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
        let range = w.start..w.start + self.n;
        match &self.samples[w.recording] {
            Samples::Memory(s) => s
                .get(range)
                .map(std::borrow::Cow::Borrowed)
                .context("a window past its recording's end"),
            Samples::File { path, datatype } => {
                use std::io::{Read, Seek, SeekFrom};
                let sb = datatype.sample_bytes();
                let mut bytes = vec![0u8; self.n * sb];
                let mut read = || -> std::io::Result<()> {
                    let mut f = std::fs::File::open(path)?;
                    f.seek(SeekFrom::Start((w.start * sb) as u64))?;
                    f.read_exact(&mut bytes)
                };
                read().with_context(|| {
                    format!(
                        "reading samples {}..{} of `{}` (did it change since it was indexed?)",
                        w.start,
                        w.start + self.n,
                        path.display()
                    )
                })?;
                Ok(std::borrow::Cow::Owned(decode_samples(*datatype, &bytes)?))
            }
        }
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

/// Where a recording's samples are.
#[derive(Debug, Clone)]
enum Samples {
    /// Decoded into memory (`.sigmf` archives, raw captures).
    Memory(Vec<C32>),
    /// A `.sigmf-data` file, read window by window.
    File {
        /// The data file.
        path: PathBuf,
        /// Its sample format.
        datatype: DataType,
    },
}

/// The `(metadata, data)` files of a SigMF pair named by either half.
fn sigmf_pair(file: &Path) -> Option<(PathBuf, PathBuf)> {
    match FileKind::of(&file.to_string_lossy()) {
        Some(FileKind::Meta) => Some((file.to_path_buf(), file.with_extension("sigmf-data"))),
        Some(FileKind::Data) => Some((file.with_extension("sigmf-meta"), file.to_path_buf())),
        _ => None,
    }
}

/// A SigMF pair opened for streaming: its annotations, where its samples are, and how
/// many there are. Checked as `Recording::from_bytes` checks (a whole number of samples,
/// annotations inside the data and covering it at most `MAX_COVERAGE` times), except for
/// non-finite samples, which are not scanned for (rendering zeroes them).
fn open_pair(meta: &Path, data: &Path) -> Result<(Vec<Annotation>, Samples, usize)> {
    let parsed = parse_metadata(&crate::fsutil::read_capped(
        meta,
        crate::fsutil::MAX_NAMED_FILE,
    )?)
    .with_context(|| format!("invalid SigMF metadata `{}`", meta.display()))?;
    let bytes = std::fs::metadata(data)
        .with_context(|| format!("`{}` (the data of `{}`)", data.display(), meta.display()))?
        .len();
    let sb = parsed.datatype.sample_bytes() as u64;
    if bytes % sb != 0 {
        bail!(
            "`{}`: {bytes} bytes is not a whole number of {}-byte {} samples",
            data.display(),
            sb,
            parsed.datatype.name()
        );
    }
    let len = (bytes / sb) as usize;
    check_annotations(&parsed.annotations, len).with_context(|| {
        format!(
            "`{}` does not fit its data `{}`",
            meta.display(),
            data.display()
        )
    })?;
    let source = Samples::File {
        path: data.to_path_buf(),
        datatype: parsed.datatype,
    };
    Ok((parsed.annotations, source, len))
}

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

/// Labelled examples for fine-tuning: the generator's, or recorded windows. Example ids
/// `0..train` are the training set, `train..train + val` the validation set.
pub enum Labelled {
    /// The generator (`run.dataset`).
    Synthetic(model::DatasetSpec),
    /// Recorded windows: the set and, per example id, its window.
    Recorded {
        /// The recordings.
        set: RecordingSet,
        /// Window of each example id (training ids first).
        order: Vec<usize>,
    },
}

impl Labelled {
    /// Renders examples `ids` as `modality` (the classifier's input).
    pub fn render(
        &self,
        renderer: &Renderer,
        ids: &[u64],
        modality: Modality,
        threads: usize,
    ) -> Result<HostBatch> {
        match self {
            Self::Synthetic(spec) => {
                crate::data::render_batch(spec, renderer, ids, &[modality], threads)
            }
            Self::Recorded { set, order } => {
                let windows = ids
                    .iter()
                    .map(|&i| order.get(i as usize).copied())
                    .collect::<Option<Vec<usize>>>()
                    .context("an example id past the recorded examples")?;
                set.render(renderer, &windows, &[modality], threads)
            }
        }
    }
}

impl RecordingsSpec {
    /// Reads the recordings again and rebuilds the run's split; refuses a dataset whose
    /// labelled window count changed since the run was made.
    pub fn open(&self, n: usize, seed: u64) -> Result<Labelled> {
        let set = RecordingSet::open(&self.paths, n, Some(&self.classes), &self.snr_field)?;
        if set.labelled() as u64 != self.windows {
            bail!(
                "the recordings now hold {} labelled windows, the run was made with {}: \
                 they changed since",
                set.labelled(),
                self.windows
            );
        }
        let (mut order, val) = set.split(self.train_per_class, self.val_per_class, seed)?;
        order.extend(val);
        Ok(Labelled::Recorded { set, order })
    }
}

/// Recordings in a pretraining run description: every window, labels ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainRecordings {
    /// Files or folders, as given (folders are searched recursively).
    pub paths: Vec<PathBuf>,
    /// Windows found when the run was made (a changed dataset is refused).
    pub windows: u64,
    /// Fraction of the examples drawn from the generator, in `[0, 1]`, spread evenly
    /// over the example ids (0: recordings only).
    pub synthetic_fraction: f64,
}

/// Pretraining examples: the generator's, recorded windows, or both. Example id `i` is
/// generated when `⌊(i + 1)·f⌋ > ⌊i·f⌋` (`f` the synthetic fraction), else the next
/// recorded one: training ids `0..examples` cycle through the training windows, the
/// validation ids after them through the validation windows (a seeded fifth of the
/// windows, at most as many as validation needs, never used for training).
pub struct Unlabelled {
    spec: model::DatasetSpec,
    recorded: Option<RecordedPart>,
}

/// The recorded side of [`Unlabelled`].
struct RecordedPart {
    set: RecordingSet,
    fraction: f64,
    examples: u64,
    train: Vec<usize>,
    val: Vec<usize>,
}

impl RecordedPart {
    /// Recorded ids before id `i`.
    fn rank(&self, i: u64) -> u64 {
        i - (i as f64 * self.fraction).floor() as u64
    }

    fn synthetic(&self, i: u64) -> bool {
        ((i + 1) as f64 * self.fraction).floor() > (i as f64 * self.fraction).floor()
    }

    /// The window of recorded example id `i`.
    fn window(&self, i: u64) -> usize {
        if i < self.examples {
            self.train[(self.rank(i) % self.train.len() as u64) as usize]
        } else {
            let r = self.rank(i) - self.rank(self.examples);
            self.val[(r % self.val.len().max(1) as u64) as usize]
        }
    }
}

impl Unlabelled {
    /// The generator only.
    pub fn synthetic(spec: model::DatasetSpec) -> Self {
        Self {
            spec,
            recorded: None,
        }
    }

    /// The generator (`spec`) mixed with the windows of `rec` as described; checks that
    /// the recordings still hold the windows the run was made with.
    pub fn open(
        spec: model::DatasetSpec,
        rec: &PretrainRecordings,
        n: usize,
        examples: u64,
        val_examples: u64,
        seed: u64,
    ) -> Result<Self> {
        let set = RecordingSet::open(&rec.paths, n, None, DEFAULT_SNR_FIELD)?;
        if set.windows.len() as u64 != rec.windows {
            bail!(
                "the recordings now hold {} windows, the run was made with {}: they changed since",
                set.windows.len(),
                rec.windows
            );
        }
        Self::from_set(
            spec,
            set,
            rec.synthetic_fraction,
            examples,
            val_examples,
            seed,
        )
    }

    /// The generator (`spec`) mixed with the windows of an opened `set`, a `fraction` of
    /// the examples generated; refuses too few windows to hold some out for validation.
    pub fn from_set(
        spec: model::DatasetSpec,
        set: RecordingSet,
        fraction: f64,
        examples: u64,
        val_examples: u64,
        seed: u64,
    ) -> Result<Self> {
        let (w, n) = (set.windows.len(), set.n);
        let mut part = RecordedPart {
            set,
            fraction,
            examples,
            train: Vec::new(),
            val: Vec::new(),
        };
        let end = examples
            .checked_add(val_examples)
            .context("too many examples: their count overflows")?;
        let need_val = part.rank(end) - part.rank(examples);
        let need_train = part.rank(examples);
        let n_val = (need_val as usize)
            .min(w / 5)
            .max(usize::from(need_val > 0));
        if (need_train > 0 && w <= n_val) || w == 0 {
            bail!(
                "the recordings hold {w} {n}-sample windows: too few to hold some out for \
                 validation and train on the rest"
            );
        }
        let order: Vec<usize> = shuffled(w as u64, seed, SPLIT_SALT, u64::MAX)
            .into_iter()
            .map(|i| i as usize)
            .collect();
        part.val = order[..n_val].to_vec();
        part.train = order[n_val..].to_vec();
        Ok(Self {
            spec,
            recorded: Some(part),
        })
    }

    /// Renders examples `ids` for `modalities` on `threads` threads (generated and
    /// recorded examples mixed in one batch).
    pub fn render(
        &self,
        renderer: &Renderer,
        ids: &[u64],
        modalities: &[Modality],
        threads: usize,
    ) -> Result<HostBatch> {
        let Some(part) = &self.recorded else {
            return crate::data::render_batch(&self.spec, renderer, ids, modalities, threads);
        };
        render_with(renderer, ids, modalities, threads, |i| {
            if part.synthetic(i) {
                crate::data::render_generated(&self.spec, renderer, i, modalities)
            } else {
                part.set.render_one(renderer, part.window(i), modalities)
            }
        })
    }
}
