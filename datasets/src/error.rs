//! [`DatasetsError`]: every failure of this crate, typed, each naming the file, key or
//! option it concerns.

use std::path::{Path, PathBuf};

/// Why a file operation or an import failed. Its `Display` is one clause; the cause (an
/// I/O, pickle or HDF5 error, or the problem inside a key) is its `source`, so
/// `anyhow`'s `{:#}` prints the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum DatasetsError {
    /// A file or folder could not be read, written, opened or created.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// What was being done: `read`, `write`, `open` or `create folder`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A temporary file could not be renamed over its destination.
    #[error("cannot move `{}` into place as `{}`", from.display(), to.display())]
    Rename {
        /// The temporary file.
        from: PathBuf,
        /// The destination.
        to: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A path to write to that names no file (`..`, `/`).
    #[error("`{}` has no file name", path.display())]
    NoFileName {
        /// The path.
        path: PathBuf,
    },
    /// A file to read that is a folder or a device.
    #[error("`{}` is not a regular file", path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
    },
    /// A file to read that is larger than allowed.
    #[error("`{}` has {len} bytes, more than the {cap} allowed", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, bytes.
        len: u64,
        /// The most allowed, bytes.
        cap: u64,
    },
    /// The input file of an import is missing or not a file.
    #[error("`{}` is not a file", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// A sample rate that is not finite and positive.
    #[error("--sample-rate must be a finite number > 0")]
    SampleRate,
    /// `--frames-per-recording 0`.
    #[error("--frames-per-recording must be at least 1")]
    FramesPerRecording,
    /// Too few or too many class names.
    #[error("--classes: {count} names, need 2 to 65535")]
    ClassCount {
        /// The number of names given.
        count: usize,
    },
    /// A class name that is empty or too long.
    #[error("--classes: the name {name:?} is empty or longer than {max} bytes")]
    ClassName {
        /// The name.
        name: String,
        /// The longest name accepted, bytes.
        max: usize,
    },
    /// `import radioml2018` in a build without the `hdf5` feature.
    #[error(
        "this fipmae was built without HDF5: install libhdf5-dev (Debian/Ubuntu) and \
         build with `cargo build --release -p trainer --features hdf5`"
    )]
    NoHdf5,
    /// A file that is not a RadioML 2016 pickle; the source says why.
    #[error("`{}` is not a RadioML 2016 pickle", path.display())]
    NotRadioMl2016 {
        /// The file.
        path: PathBuf,
        /// What is wrong inside it.
        #[source]
        source: Box<DatasetsError>,
    },
    /// Bytes that do not unpickle.
    #[error("not a readable pickle: {0}")]
    Unpickle(serde_pickle::Error),
    /// A pickle whose top-level value is not a dict.
    #[error("the pickle holds no dict (RadioML 2016 files are {{(modulation, snr): array}})")]
    NoDict,
    /// A dict without keys.
    #[error("the dict is empty")]
    EmptyDict,
    /// A dict key that is not a `(str, int)` tuple.
    #[error("a key that is not a (modulation, snr) tuple: {key}")]
    Key {
        /// The key, as the pickle reader shows it.
        key: String,
    },
    /// A modulation name that is empty, too long or not printable.
    #[error("a modulation name that is empty, over {max} bytes or not printable: {name:?}")]
    Label {
        /// The name.
        name: String,
        /// The longest name accepted, bytes.
        max: usize,
    },
    /// A key whose SNR is outside -100..100 dB.
    #[error("key ({label}, {snr_db}): an SNR outside -100..100 dB")]
    Snr {
        /// The key's modulation.
        label: String,
        /// The key's SNR, dB.
        snr_db: i64,
    },
    /// A key whose array is wrong; the source says how.
    #[error("key ({label}, {snr_db})")]
    InKey {
        /// The key's modulation.
        label: String,
        /// The key's SNR, dB.
        snr_db: i64,
        /// What is wrong with its array.
        #[source]
        source: Box<DatasetsError>,
    },
    /// A value that is not a pickled numpy array.
    #[error("the value is not a numpy array")]
    NotAnArray,
    /// An array whose data is not a byte string (a Python 3 `str`).
    #[error("the array's data is not a byte string")]
    ArrayDataNotBytes,
    /// A Fortran-ordered array.
    #[error("a Fortran-ordered array (not what RadioML files hold)")]
    FortranOrder,
    /// An array of another type than little-endian float32.
    #[error("an array whose dtype is not little-endian float32 ({dtype})")]
    Dtype {
        /// The dtype, as the pickle reader shows it.
        dtype: String,
    },
    /// An array shape with a negative or non-integer dimension.
    #[error("an array with a malformed shape")]
    MalformedShape,
    /// An array that is not three-dimensional `[N, 2, L]`.
    #[error("an array of shape {shape:?}, not [N, 2, L]")]
    ArrayShape {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// An array `[N, 2, L]` with a second dimension other than 2, or N or L zero.
    #[error("an array of shape {shape:?}, not [N, 2, L] with N, L ≥ 1")]
    ArrayDims {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// An array whose data does not hold as many bytes as its shape says.
    #[error("{bytes} bytes of data for a float32 array of shape {shape:?} (truncated?)")]
    ArrayBytes {
        /// Bytes of data present.
        bytes: usize,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// An array holding NaN or infinity.
    #[error("value {index} is not finite")]
    NonFinite {
        /// The value's position in the flat array.
        index: usize,
    },
    /// Two keys that would be written to the same file.
    #[error("two keys map to the same file name (modulation names differing only in punctuation)")]
    StemClash,
    /// A file that the HDF5 library cannot open.
    #[cfg(feature = "hdf5")]
    #[error("`{}` is not a readable HDF5 file", path.display())]
    Hdf5Open {
        /// The file.
        path: PathBuf,
        /// The HDF5 library's error.
        #[source]
        source: hdf5::Error,
    },
    /// An HDF5 file without one of `X`, `Y`, `Z`.
    #[cfg(feature = "hdf5")]
    #[error(
        "`{}` has no dataset {name:?} (RadioML 2018 files hold X, Y and Z)",
        path.display()
    )]
    Hdf5Dataset {
        /// The file.
        path: PathBuf,
        /// The missing dataset.
        name: &'static str,
        /// The HDF5 library's error.
        #[source]
        source: hdf5::Error,
    },
    /// Rows of a dataset that could not be read.
    #[cfg(feature = "hdf5")]
    #[error("reading {dataset} rows {}..{}", rows.start, rows.end)]
    Hdf5Read {
        /// `X`, `Y` or `Z`.
        dataset: &'static str,
        /// The rows.
        rows: std::ops::Range<usize>,
        /// The HDF5 library's error.
        #[source]
        source: hdf5::Error,
    },
    /// An `X` that is not `[N, L, 2]`.
    #[error("X has shape {shape:?}, not [N, L, 2]")]
    XShape {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// An `X` `[N, L, 2]` with no rows, frames under 16 samples, or a last axis other than 2.
    #[error("X has shape {shape:?}, not [N, L, 2] with N ≥ 1 and L ≥ 16")]
    XDims {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A `Y` that is not one row per frame and one column per class.
    #[error("Y has shape {shape:?}, expected [{rows}, {classes}] (one column per class name)")]
    YShape {
        /// Its shape.
        shape: Vec<usize>,
        /// Rows of `X`.
        rows: usize,
        /// Class names.
        classes: usize,
    },
    /// A `Z` that is not one SNR per frame.
    #[error("Z has shape {shape:?}, expected [{rows}, 1]")]
    ZShape {
        /// Its shape.
        shape: Vec<usize>,
        /// Rows of `X`.
        rows: usize,
    },
    /// A row of `Y` that is not one-hot.
    #[error("row {row} of Y is not one-hot (a single 1 among 0s): {values:?}")]
    NotOneHot {
        /// The row.
        row: usize,
        /// Its values.
        values: Vec<f64>,
    },
    /// A row of `Z` whose SNR is NaN or infinite.
    #[error("row {row} of Z holds the SNR {snr_db}, not a finite number")]
    NonFiniteSnr {
        /// The row.
        row: usize,
        /// The value.
        snr_db: f64,
    },
    /// A row of `X` holding NaN or infinity; the blocks before it were written.
    #[error("row {row} of X holds a non-finite sample{}", written_before(*.block_start, .out))]
    NonFiniteFrame {
        /// The row.
        row: usize,
        /// The first row of its block: rows before it are written and sound.
        block_start: usize,
        /// The output folder.
        out: PathBuf,
    },
}

/// What a refused `X` block leaves behind: nothing, or the sound recordings before it.
fn written_before(block_start: usize, out: &Path) -> String {
    if block_start > 0 {
        format!(
            "; rows before {block_start} were written to `{}` and are sound",
            out.display()
        )
    } else {
        String::new()
    }
}

impl DatasetsError {
    /// An [`DatasetsError::Io`] error for `path`.
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// This error inside the key `(label, snr_db)` of a RadioML 2016 dict.
    pub(crate) fn in_key(self, label: &str, snr_db: i64) -> Self {
        Self::InKey {
            label: label.to_string(),
            snr_db,
            source: Box::new(self),
        }
    }
}

/// This crate's results.
pub type Result<T, E = DatasetsError> = std::result::Result<T, E>;
