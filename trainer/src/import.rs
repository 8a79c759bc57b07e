//! `fipmae import radioml2016` and `radioml2018`: the flags and the summary line over
//! `datasets::import`, which parses, checks and writes (see its module docs).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
pub use datasets::import::{ImportSummary, CLASSES_2018};
use datasets::import::{RadioMl2016Options, RadioMl2018Options};

/// Options of `fipmae import radioml2016`.
#[derive(Debug, Clone, Args)]
pub struct RadioMl2016Args {
    /// The pickle (`RML2016.10a_dict.pkl` or a file in its format).
    pub file: PathBuf,
    /// Output folder (created; existing recordings of the same names are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Sample rate written into the recordings, Hz (RML2016.10a: 200 kHz nominal).
    #[arg(long, default_value_t = 200e3)]
    pub sample_rate: f64,
}

impl RadioMl2016Args {
    /// The importer's options these flags give.
    pub fn options(&self) -> RadioMl2016Options {
        RadioMl2016Options {
            file: self.file.clone(),
            out: self.out.clone(),
            sample_rate: self.sample_rate,
        }
    }
}

/// Runs `fipmae import radioml2016`: parses and checks the whole file, then writes the
/// recordings.
pub fn radioml2016(args: &RadioMl2016Args) -> Result<ImportSummary> {
    Ok(datasets::import::radioml2016(&args.options())?)
}

/// Runs `fipmae import radioml2016` and prints a summary.
pub fn radioml2016_main(args: &RadioMl2016Args) -> Result<()> {
    print_summary(&radioml2016(args)?);
    Ok(())
}

/// Options of `fipmae import radioml2018`.
#[derive(Debug, Clone, Args)]
pub struct RadioMl2018Args {
    /// The HDF5 file (`GOLD_XYZ_OSC.0001_1024.hdf5` or a file in its format: X float32
    /// [N, L, 2], Y one-hot [N, classes], Z SNR [N, 1]).
    pub file: PathBuf,
    /// Output folder (created; existing recordings of the same names are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Names of Y's columns, comma-separated (default: RadioML 2018.01a's 24 classes in
    /// the corrected order, [`CLASSES_2018`]).
    #[arg(long, value_delimiter = ',')]
    pub classes: Option<Vec<String>>,
    /// Frames per written recording (the file is streamed in blocks of this many rows).
    #[arg(long, default_value_t = 4096)]
    pub frames_per_recording: usize,
    /// Import only the first N frames (a quick look at the 20 GB file).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Sample rate written into the recordings, Hz (RadioML 2018 states none; 1 MHz is a
    /// placeholder).
    #[arg(long, default_value_t = 1e6)]
    pub sample_rate: f64,
}

impl RadioMl2018Args {
    /// The importer's options these flags give.
    pub fn options(&self) -> RadioMl2018Options {
        RadioMl2018Options {
            file: self.file.clone(),
            out: self.out.clone(),
            classes: self.classes.clone(),
            frames_per_recording: self.frames_per_recording,
            limit: self.limit,
            sample_rate: self.sample_rate,
        }
    }
}

/// Runs `fipmae import radioml2018`: checks the whole file's labels and SNRs, then
/// streams its frames into recordings of `--frames-per-recording` frames. Without the
/// `hdf5` feature it says how to build with it.
pub fn radioml2018(args: &RadioMl2018Args) -> Result<ImportSummary> {
    Ok(datasets::import::radioml2018(&args.options())?)
}

/// Runs `fipmae import radioml2018` and prints a summary.
pub fn radioml2018_main(args: &RadioMl2018Args) -> Result<()> {
    print_summary(&radioml2018(args)?);
    Ok(())
}

/// The line both imports end with.
fn print_summary(s: &ImportSummary) {
    println!("{} recordings in {}", s.recordings.len(), s.out.display());
}
