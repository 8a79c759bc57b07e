//! Signal synthesis: the modulation classes, the channel, and seeded datasets.
//!
//! Example `i` of a dataset with seed `s` is a pure function of `(s, i)` and the
//! [`DatasetSpec`]: its class is `classes[i % classes.len()]` (balanced by construction)
//! and every random draw comes from [`Rng::for_example`]`(s, i, stream)`.
//!
//! # The `standard` profile (default)
//!
//! `T` = samples per symbol (default 8), RRC = root-raised-cosine pulse with roll-off
//! `rolloff` (default 0.35) truncated to `filter_span` symbols (default 8). Every burst is
//! scaled to unit average power over its `num_samples` samples *before* the channel.
//!
//! | class | alphabet / rule | pulse | notes |
//! |---|---|---|---|
//! | OOK   | unipolar {0, 1}                  | RRC | |
//! | 4ASK  | unipolar {0, 1, 2, 3}            | RRC | |
//! | 8ASK  | unipolar {0, …, 7}               | RRC | |
//! | 4PAM  | bipolar {±1, ±3}                 | RRC | |
//! | 16PAM | bipolar {±1, ±3, …, ±15}         | RRC | |
//! | OQPSK | QPSK (±1 ± j)/√2, Q delayed T/2  | RRC | |
//! | DQPSK | π/4-DQPSK: phase steps {±π/4, ±3π/4} | RRC | 8 visible phases |
//! | CPFSK | binary ±1, continuous phase      | rectangular frequency pulse, 1 symbol | h = 1.0 |
//! | GFSK  | binary ±1, continuous phase      | Gaussian-filtered rectangle, BT = 0.5 | h = 0.35 |
//! | GMSK  | binary ±1, continuous phase      | Gaussian-filtered rectangle, BT = 0.3 | h = 0.5 |
//!
//! Frequency-shift classes advance the phase by `π·h·f(n)/T` per sample, where `f` is the
//! symbol stream convolved with the frequency pulse (area `T`), so each symbol turns the
//! phase by `±π·h`.
//!
//! # The channel ([`ChannelConfig`], each impairment switchable)
//!
//! Random carrier phase `U[0, 2π)`; carrier frequency offset `U[−max, max]` cycles/sample
//! (default max 5·10⁻⁵: at most ±18° of drift over 1024 samples); fractional timing offset
//! `U[0, T)` samples (where the symbol clock starts); AWGN with
//! `SNR = P_signal / P_noise` over the whole sampled band, `P_signal = 1`.
//! The *clean* burst is the channel output without noise; *noisy* = clean + noise.
//!
//! # The `denomae` profile (comparison aid only)
//!
//! Reproduces the public DenoMAE generator's definitions so results can be set beside the
//! published numbers: one sample per symbol, no pulse shaping, no power normalisation,
//! the reference alphabets (OOK {0,1}; 4ASK and 4PAM both {±1, ±3}; 8ASK {±1, …, ±7};
//! 16PAM {±1, …, ±15}; OQPSK e^{π/4}·e^{jπk/2} (the reference adds π/4 outside the
//! imaginary unit, so this is QPSK at phases 0, π/2, π, 3π/2 scaled by e^{π/4} ≈ 2.19);
//! DQPSK e^{jπk/2}; CPFSK and GFSK both {j, −j}; GMSK: 0/1 bits at 8 samples per bit
//! through a Hamming-windowed sinc frequency filter, h = 0.5), a tiny random phase
//! (per-sample N(0, 10⁻⁴) rad plus a ramp of N(0, 10⁻⁴) rad/sample), and AWGN scaled
//! to the example's own power. **Its duplicate classes (4ASK ≡ 4PAM, CPFSK ≡ GFSK) cap any
//! classifier near 80 % accuracy.**

use std::f64::consts::{PI, TAU};
use std::fmt;
use std::str::FromStr;

use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use crate::rng::{Rng, Stream};

/// One complex baseband sample as stored and rendered (32-bit float I and Q).
pub type C32 = Complex<f32>;
type C64 = Complex<f64>;

/// Errors from signal configuration and class names.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SignalError {
    /// A class name that is not one of [`Modulation::ALL`].
    #[error("unknown modulation class `{0}` (known: OOK, 4ASK, 8ASK, 4PAM, 16PAM, OQPSK, DQPSK, CPFSK, GFSK, GMSK)")]
    UnknownClass(String),
    /// A profile name that is not `standard` or `denomae`.
    #[error("unknown signal profile `{0}` (known: standard, denomae)")]
    UnknownProfile(String),
    /// A configuration value outside its valid range.
    #[error("invalid signal setting `{field}`: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
}

/// The modulation classes of the default class set (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Modulation {
    /// On-off keying.
    #[serde(rename = "OOK")]
    Ook,
    /// 4-level unipolar amplitude-shift keying.
    #[serde(rename = "4ASK")]
    Ask4,
    /// 8-level unipolar amplitude-shift keying.
    #[serde(rename = "8ASK")]
    Ask8,
    /// 4-level bipolar pulse-amplitude modulation.
    #[serde(rename = "4PAM")]
    Pam4,
    /// 16-level bipolar pulse-amplitude modulation.
    #[serde(rename = "16PAM")]
    Pam16,
    /// Offset QPSK.
    #[serde(rename = "OQPSK")]
    Oqpsk,
    /// π/4 differential QPSK.
    #[serde(rename = "DQPSK")]
    Dqpsk,
    /// Binary continuous-phase FSK, h = 1.
    #[serde(rename = "CPFSK")]
    Cpfsk,
    /// Gaussian FSK, BT = 0.5, h = 0.35.
    #[serde(rename = "GFSK")]
    Gfsk,
    /// Gaussian minimum-shift keying, BT = 0.3, h = 0.5.
    #[serde(rename = "GMSK")]
    Gmsk,
}

impl Modulation {
    /// The default class set, in label order.
    pub const ALL: [Modulation; 10] = [
        Modulation::Ook,
        Modulation::Ask4,
        Modulation::Ask8,
        Modulation::Pam4,
        Modulation::Pam16,
        Modulation::Oqpsk,
        Modulation::Dqpsk,
        Modulation::Cpfsk,
        Modulation::Gfsk,
        Modulation::Gmsk,
    ];

    /// The class name used in files and reports (`"4ASK"`, `"GMSK"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Modulation::Ook => "OOK",
            Modulation::Ask4 => "4ASK",
            Modulation::Ask8 => "8ASK",
            Modulation::Pam4 => "4PAM",
            Modulation::Pam16 => "16PAM",
            Modulation::Oqpsk => "OQPSK",
            Modulation::Dqpsk => "DQPSK",
            Modulation::Cpfsk => "CPFSK",
            Modulation::Gfsk => "GFSK",
            Modulation::Gmsk => "GMSK",
        }
    }

    /// Parses a comma-separated class list (`"OOK,4ASK"`; `"all"` for [`Modulation::ALL`]).
    pub fn parse_list(list: &str) -> Result<Vec<Modulation>, SignalError> {
        if list.trim().eq_ignore_ascii_case("all") {
            return Ok(Modulation::ALL.to_vec());
        }
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Modulation::from_str)
            .collect()
    }
}

impl fmt::Display for Modulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Modulation {
    type Err = SignalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Modulation::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SignalError::UnknownClass(s.to_string()))
    }
}

/// Which generator definitions to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Pulse-shaped, distinguishable classes with a realistic channel (the default).
    #[default]
    Standard,
    /// The public DenoMAE generator's definitions (a comparison aid; see module docs).
    Denomae,
}

impl FromStr for Profile {
    type Err = SignalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Profile::Standard),
            "denomae" => Ok(Profile::Denomae),
            _ => Err(SignalError::UnknownProfile(s.to_string())),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Standard => "standard",
            Profile::Denomae => "denomae",
        })
    }
}

/// Channel impairments, each seeded from the example's channel stream and switchable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelConfig {
    /// Rotate the burst by a random carrier phase `U[0, 2π)` (default: true).
    pub carrier_phase: bool,
    /// Largest carrier frequency offset, cycles/sample; drawn `U[−max, max]`; 0 disables
    /// (default: 5e-5).
    pub max_freq_offset: f64,
    /// Start the symbol clock at a random fractional offset `U[0, T)` samples (default: true).
    pub timing_offset: bool,
    /// Add white Gaussian noise at the example's SNR (default: true).
    pub awgn: bool,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            carrier_phase: true,
            max_freq_offset: 5e-5,
            timing_offset: true,
            awgn: true,
        }
    }
}

/// How bursts are synthesised (shared by every example of a dataset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalConfig {
    /// Generator definitions (default: standard).
    pub profile: Profile,
    /// Samples per burst (default: 1024).
    pub num_samples: usize,
    /// Samples per symbol `T` of the standard profile (default: 8; the denomae profile
    /// uses 1, and 8 for its GMSK).
    pub samples_per_symbol: usize,
    /// Root-raised-cosine roll-off of the standard profile (default: 0.35).
    pub rolloff: f64,
    /// RRC length in symbols (default: 8).
    pub filter_span: usize,
    /// Channel impairments.
    pub channel: ChannelConfig,
}

impl Default for SignalConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl SignalConfig {
    /// The default generator: 1024 samples, 8 samples/symbol, RRC 0.35, full channel.
    pub fn standard() -> Self {
        Self {
            profile: Profile::Standard,
            num_samples: 1024,
            samples_per_symbol: 8,
            rolloff: 0.35,
            filter_span: 8,
            channel: ChannelConfig::default(),
        }
    }

    /// The DenoMAE reference generator (1 sample/symbol, no shaping, AWGN only).
    pub fn denomae() -> Self {
        Self {
            profile: Profile::Denomae,
            num_samples: 1024,
            samples_per_symbol: 1,
            rolloff: 0.35,
            filter_span: 8,
            channel: ChannelConfig {
                carrier_phase: false,
                max_freq_offset: 0.0,
                timing_offset: false,
                awgn: true,
            },
        }
    }

    /// The preset of a profile.
    pub fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::Standard => Self::standard(),
            Profile::Denomae => Self::denomae(),
        }
    }

    /// Checks the settings; returns the first problem found.
    pub fn validate(&self) -> Result<(), SignalError> {
        let bad = |field, reason: &str| {
            Err(SignalError::Invalid {
                field,
                reason: reason.to_string(),
            })
        };
        if self.num_samples < 16 || self.num_samples > (1 << 24) {
            return bad("num_samples", "must be in 16..=16777216");
        }
        if self.samples_per_symbol == 0 || self.samples_per_symbol > 64 {
            return bad("samples_per_symbol", "must be in 1..=64");
        }
        if !(0.0..=1.0).contains(&self.rolloff) || self.rolloff.is_nan() {
            return bad("rolloff", "must be in [0, 1]");
        }
        if self.filter_span == 0 || self.filter_span > 64 {
            return bad("filter_span", "must be in 1..=64 symbols");
        }
        let f = self.channel.max_freq_offset;
        if !(0.0..0.5).contains(&f) {
            return bad(
                "channel.max_freq_offset",
                "must be in [0, 0.5) cycles/sample",
            );
        }
        Ok(())
    }
}

/// How each example's SNR is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SnrSpec {
    /// Every example at this SNR, dB.
    Fixed {
        /// SNR in dB.
        db: f64,
    },
    /// Each example draws its SNR uniformly from `[min_db, max_db]` dB.
    Uniform {
        /// Lower bound, dB.
        min_db: f64,
        /// Upper bound, dB.
        max_db: f64,
    },
}

impl Default for SnrSpec {
    /// The pretraining default: `U[−10, 10]` dB.
    fn default() -> Self {
        SnrSpec::Uniform {
            min_db: -10.0,
            max_db: 10.0,
        }
    }
}

/// A seeded, regenerable dataset: everything needed to rebuild example `i` anywhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSpec {
    /// Dataset seed `s`.
    pub seed: u64,
    /// The classes, in label order; example `i` has class `classes[i % len]`.
    pub classes: Vec<Modulation>,
    /// SNR of each example.
    pub snr: SnrSpec,
    /// Generator settings.
    pub signal: SignalConfig,
}

impl DatasetSpec {
    /// A dataset over the default classes with the standard generator.
    pub fn new(seed: u64, snr: SnrSpec) -> Self {
        Self {
            seed,
            classes: Modulation::ALL.to_vec(),
            snr,
            signal: SignalConfig::standard(),
        }
    }

    /// The class names, in label order.
    pub fn class_names(&self) -> Vec<String> {
        self.classes.iter().map(|c| c.name().to_string()).collect()
    }

    /// Checks the class list, SNR range and generator settings.
    pub fn validate(&self) -> Result<(), SignalError> {
        if self.classes.is_empty() {
            return Err(SignalError::Invalid {
                field: "classes",
                reason: "at least one class is needed".into(),
            });
        }
        let ok = |x: f64| x.is_finite() && (-100.0..=100.0).contains(&x);
        let snr_ok = match self.snr {
            SnrSpec::Fixed { db } => ok(db),
            SnrSpec::Uniform { min_db, max_db } => ok(min_db) && ok(max_db) && min_db <= max_db,
        };
        if !snr_ok {
            return Err(SignalError::Invalid {
                field: "snr",
                reason: "SNRs must be finite, within ±100 dB, and min ≤ max".into(),
            });
        }
        self.signal.validate()
    }

    /// The label (index into `classes`) of example `index`.
    pub fn label_of(&self, index: u64) -> usize {
        (index % self.classes.len().max(1) as u64) as usize
    }

    /// Example `index`: a pure function of `(self, index)`.
    pub fn example(&self, index: u64) -> Example {
        let label = self.label_of(index);
        let class = self.classes[label];
        let snr_db = match self.snr {
            SnrSpec::Fixed { db } => db,
            SnrSpec::Uniform { min_db, max_db } => {
                // A stream of its own so the SNR draw never shifts the impairments.
                let mut r = Rng::for_example(self.seed, index, Stream::Channel);
                let mut r = Rng::from_seed(r.next_u64() ^ 0x5EED_5A12);
                r.uniform_in(min_db, max_db)
            }
        };
        let burst = synthesize(class, &self.signal, self.seed, index, snr_db);
        Example {
            index,
            class,
            label,
            snr_db,
            clean: burst.clean,
            noise: burst.noise,
            noisy: burst.noisy,
        }
    }
}

/// One generated example: the clean burst, the noise, and their sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Index `i` within its dataset.
    pub index: u64,
    /// Its modulation class.
    pub class: Modulation,
    /// Its label: the index of `class` in the dataset's class list.
    pub label: usize,
    /// The SNR it was generated at, dB (no noise was added if the channel's AWGN is off).
    pub snr_db: f64,
    /// Channel output without noise, `num_samples` long.
    pub clean: Vec<C32>,
    /// The added noise, `num_samples` long (zeros without AWGN).
    pub noise: Vec<C32>,
    /// `clean + noise`: what a receiver sees.
    pub noisy: Vec<C32>,
}

/// The three versions of one synthesised burst.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// Channel output without noise.
    pub clean: Vec<C32>,
    /// The added noise.
    pub noise: Vec<C32>,
    /// `clean + noise`.
    pub noisy: Vec<C32>,
}

/// Synthesises one burst of `class` for example `(seed, index)` at `snr_db`.
///
/// Assumes a valid `config` (see [`SignalConfig::validate`]).
pub fn synthesize(
    class: Modulation,
    config: &SignalConfig,
    seed: u64,
    index: u64,
    snr_db: f64,
) -> Burst {
    let mut sym_rng = Rng::for_example(seed, index, Stream::Symbols);
    let mut ch_rng = Rng::for_example(seed, index, Stream::Channel);
    let mut noise_rng = Rng::for_example(seed, index, Stream::Noise);
    let n = config.num_samples;

    let clean: Vec<C64> = match config.profile {
        Profile::Standard => {
            let t = config.samples_per_symbol;
            // Draw the channel first so the draws do not depend on the class.
            let phase = if config.channel.carrier_phase {
                ch_rng.uniform_in(0.0, TAU)
            } else {
                0.0
            };
            let fo = config.channel.max_freq_offset;
            let freq = if fo > 0.0 {
                ch_rng.uniform_in(-fo, fo)
            } else {
                0.0
            };
            let tau = if config.channel.timing_offset {
                ch_rng.uniform_in(0.0, t as f64)
            } else {
                0.0
            };
            let mut s = standard_baseband(class, config, tau, &mut sym_rng);
            normalize_power(&mut s);
            for (k, x) in s.iter_mut().enumerate() {
                *x *= C64::from_polar(1.0, phase + TAU * freq * k as f64);
            }
            s
        }
        Profile::Denomae => {
            let mut s = denomae_baseband(class, n, &mut sym_rng);
            let ramp = ch_rng.normal() * 1e-4;
            for (k, x) in s.iter_mut().enumerate() {
                let jitter = ch_rng.normal() * 1e-4;
                *x *= C64::from_polar(1.0, jitter + ramp * k as f64);
            }
            s
        }
    };

    let signal_power = match config.profile {
        Profile::Standard => 1.0,
        Profile::Denomae => mean_power(&clean),
    };
    let noise: Vec<C64> = if config.channel.awgn {
        let noise_power = signal_power / 10f64.powf(snr_db / 10.0);
        let sigma = (noise_power / 2.0).sqrt();
        (0..n)
            .map(|_| {
                let re = noise_rng.normal();
                let im = noise_rng.normal();
                C64::new(re, im) * sigma
            })
            .collect()
    } else {
        vec![C64::new(0.0, 0.0); n]
    };
    let to32 = |z: &C64| C32::new(z.re as f32, z.im as f32);
    let noisy = clean
        .iter()
        .zip(&noise)
        .map(|(c, w)| to32(&(c + w)))
        .collect();
    Burst {
        clean: clean.iter().map(to32).collect(),
        noise: noise.iter().map(to32).collect(),
        noisy,
    }
}

/// Mean of `|x|²` (0 for an empty slice).
pub fn mean_power<T: Into<f64> + Copy>(x: &[Complex<T>]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter()
        .map(|z| {
            let (re, im): (f64, f64) = (z.re.into(), z.im.into());
            re * re + im * im
        })
        .sum::<f64>()
        / x.len() as f64
}

fn normalize_power(s: &mut [C64]) {
    let p = mean_power(s);
    if p > 0.0 {
        let g = 1.0 / p.sqrt();
        s.iter_mut().for_each(|x| *x *= g);
    }
}

/// Root-raised-cosine pulse at `t` symbol periods, roll-off `beta` (peak `1 − β + 4β/π`).
pub fn rrc(t: f64, beta: f64) -> f64 {
    let eps = 1e-9;
    if t.abs() < eps {
        return 1.0 - beta + 4.0 * beta / PI;
    }
    if beta > 0.0 && (t.abs() - 1.0 / (4.0 * beta)).abs() < eps {
        let a = PI / (4.0 * beta);
        return beta / 2f64.sqrt() * ((1.0 + 2.0 / PI) * a.sin() + (1.0 - 2.0 / PI) * a.cos());
    }
    let num = (PI * t * (1.0 - beta)).sin() + 4.0 * beta * t * (PI * t * (1.0 + beta)).cos();
    let den = PI * t * (1.0 - (4.0 * beta * t).powi(2));
    num / den
}

/// The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
pub fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    sign * y
}

/// `out[n] = Σ_k symbols[k] · pulse(n + phi − (k + k0)·t)` for `n in 0..len`, where
/// `pulse` (argument in samples) vanishes outside `[−reach, reach]`.
///
/// The pulse is tabulated once per sample phase (`n mod t`), so the cost is
/// `len × (2·reach/t + 3)` multiply-adds.
fn pulse_train(
    symbols: &[C64],
    k0: i64,
    len: usize,
    t: usize,
    phi: f64,
    reach: f64,
    pulse: impl Fn(f64) -> f64,
) -> Vec<C64> {
    let m_max = (reach / t as f64).ceil() as i64 + 2;
    let width = (2 * m_max + 1) as usize;
    // table[r][m + m_max] = pulse(m·t + r + phi)
    let mut table = vec![0.0; t * width];
    for r in 0..t {
        for m in -m_max..=m_max {
            let x = (m * t as i64 + r as i64) as f64 + phi;
            table[r * width + (m + m_max) as usize] = if x.abs() <= reach { pulse(x) } else { 0.0 };
        }
    }
    let mut out = vec![C64::new(0.0, 0.0); len];
    for (n, o) in out.iter_mut().enumerate() {
        let (q, r) = ((n / t) as i64, n % t);
        let row = &table[r * width..(r + 1) * width];
        let mut acc = C64::new(0.0, 0.0);
        for (j, &w) in row.iter().enumerate() {
            let k = q - (j as i64 - m_max) - k0;
            if w != 0.0 && k >= 0 && (k as usize) < symbols.len() {
                acc += symbols[k as usize] * w;
            }
        }
        *o = acc;
    }
    out
}

/// Symbol indices `k0..k0+count` that can reach samples `0..len` of a pulse train.
fn symbol_span(len: usize, t: usize, reach: f64) -> (i64, usize) {
    let m_max = (reach / t as f64).ceil() as i64 + 2;
    let k0 = -m_max;
    let k1 = (len / t) as i64 + m_max + 1;
    (k0, (k1 - k0 + 1) as usize)
}

fn standard_baseband(class: Modulation, c: &SignalConfig, tau: f64, rng: &mut Rng) -> Vec<C64> {
    let (n, t) = (c.num_samples, c.samples_per_symbol);
    let tf = t as f64;
    let beta = c.rolloff;
    let reach = c.filter_span as f64 * tf / 2.0;
    let rrc_pulse = |x: f64| rrc(x / tf, beta);
    let (k0, count) = symbol_span(n, t, reach.max(4.0 * tf) + tf);
    let real_levels = |levels: &[f64], rng: &mut Rng| -> Vec<C64> {
        (0..count)
            .map(|_| C64::new(levels[rng.below(levels.len())], 0.0))
            .collect()
    };
    let linear = |syms: &[C64]| pulse_train(syms, k0, n, t, tau, reach, rrc_pulse);
    match class {
        Modulation::Ook => linear(&real_levels(&[0.0, 1.0], rng)),
        Modulation::Ask4 => linear(&real_levels(&[0.0, 1.0, 2.0, 3.0], rng)),
        Modulation::Ask8 => linear(&real_levels(&levels(8, false), rng)),
        Modulation::Pam4 => linear(&real_levels(&levels(4, true), rng)),
        Modulation::Pam16 => linear(&real_levels(&levels(16, true), rng)),
        Modulation::Oqpsk => {
            let pm = [-1.0, 1.0];
            let i_syms = real_levels(&pm, rng);
            let q_syms = real_levels(&pm, rng);
            let i = pulse_train(&i_syms, k0, n, t, tau, reach, rrc_pulse);
            let q = pulse_train(&q_syms, k0, n, t, tau - tf / 2.0, reach, rrc_pulse);
            i.iter()
                .zip(&q)
                .map(|(a, b)| C64::new(a.re, b.re))
                .collect()
        }
        Modulation::Dqpsk => {
            let steps = [PI / 4.0, 3.0 * PI / 4.0, -PI / 4.0, -3.0 * PI / 4.0];
            let mut theta = 0.0;
            let syms: Vec<C64> = (0..count)
                .map(|_| {
                    theta = (theta + steps[rng.below(4)]) % TAU;
                    C64::from_polar(1.0, theta)
                })
                .collect();
            linear(&syms)
        }
        Modulation::Cpfsk | Modulation::Gfsk | Modulation::Gmsk => {
            let (h, bt) = match class {
                Modulation::Cpfsk => (1.0, None),
                Modulation::Gfsk => (0.35, Some(0.5)),
                _ => (0.5, Some(0.3)),
            };
            let bits = real_levels(&[-1.0, 1.0], rng);
            let freq = match bt {
                None => {
                    let rect = move |x: f64| if (0.0..tf).contains(&x) { 1.0 } else { 0.0 };
                    pulse_train(&bits, k0, n, t, tau, tf + 1.0, rect)
                }
                Some(bt) => {
                    let sigma = tf * (2f64.ln()).sqrt() / (TAU * bt);
                    let s2 = sigma * std::f64::consts::SQRT_2;
                    let gauss = move |x: f64| 0.5 * (erf(x / s2) - erf((x - tf) / s2));
                    pulse_train(&bits, k0, n, t, tau, tf + 5.0 * sigma, gauss)
                }
            };
            let mut phase = 0.0;
            freq.iter()
                .map(|f| {
                    phase += PI * h * f.re / tf;
                    C64::from_polar(1.0, phase)
                })
                .collect()
        }
    }
}

/// Amplitude levels: bipolar `{±1, ±3, …, ±(M−1)}` or unipolar `{0, 1, …, M−1}`.
fn levels(m: usize, bipolar: bool) -> Vec<f64> {
    (0..m)
        .map(|k| {
            if bipolar {
                2.0 * k as f64 - (m as f64 - 1.0)
            } else {
                k as f64
            }
        })
        .collect()
}

/// The reference alphabets; see the module docs.
fn denomae_alphabet(class: Modulation) -> Vec<C64> {
    let real = |v: Vec<f64>| v.into_iter().map(|x| C64::new(x, 0.0)).collect();
    match class {
        Modulation::Ook => real(vec![0.0, 1.0]),
        Modulation::Ask4 | Modulation::Pam4 => real(levels(4, true)),
        Modulation::Ask8 => real(levels(8, true)),
        Modulation::Pam16 => real(levels(16, true)),
        Modulation::Oqpsk => (0..4)
            .map(|k| C64::from_polar((PI / 4.0).exp(), TAU * k as f64 / 4.0))
            .collect(),
        Modulation::Dqpsk => (0..4)
            .map(|k| C64::from_polar(1.0, PI / 2.0 * k as f64))
            .collect(),
        Modulation::Cpfsk | Modulation::Gfsk => {
            vec![
                C64::from_polar(1.0, TAU * 0.25),
                C64::from_polar(1.0, TAU * 0.75),
            ]
        }
        Modulation::Gmsk => real(vec![0.0, 1.0]),
    }
}

/// The denomae profile's alphabet of `class` (its GMSK entry is the 0/1 bit alphabet).
pub fn reference_alphabet(class: Modulation) -> Vec<C32> {
    denomae_alphabet(class)
        .iter()
        .map(|z| C32::new(z.re as f32, z.im as f32))
        .collect()
}

fn denomae_baseband(class: Modulation, n: usize, rng: &mut Rng) -> Vec<C64> {
    if class == Modulation::Gmsk {
        // 0/1 bits at 8 samples/bit, a Hamming-windowed sinc over ±4 bits (65 taps,
        // unit sum) as frequency filter ("same" convolution), phase = cumsum(π·h·f).
        let sps = 8usize;
        let taps = 8 * sps + 1;
        let mut g: Vec<f64> = (0..taps)
            .map(|i| {
                let x = -4.0 + i as f64 / sps as f64;
                let sinc = if x == 0.0 {
                    1.0
                } else {
                    (PI * x).sin() / (PI * x)
                };
                let w = 0.54 - 0.46 * (TAU * i as f64 / (taps - 1) as f64).cos();
                sinc * w
            })
            .collect();
        let sum: f64 = g.iter().sum();
        g.iter_mut().for_each(|v| *v /= sum);
        let bits: Vec<f64> = (0..n.div_ceil(sps)).map(|_| rng.below(2) as f64).collect();
        let nrz: Vec<f64> = (0..n).map(|i| bits[i / sps]).collect();
        let half = (taps / 2) as i64;
        let mut phase = 0.0;
        return (0..n as i64)
            .map(|i| {
                let mut f = 0.0;
                for (j, gj) in g.iter().enumerate() {
                    let src = i + half - j as i64;
                    if src >= 0 && (src as usize) < n {
                        f += nrz[src as usize] * gj;
                    }
                }
                phase += f * PI * 0.5;
                C64::from_polar(1.0, phase)
            })
            .collect();
    }
    let alphabet = denomae_alphabet(class);
    (0..n)
        .map(|_| alphabet[rng.below(alphabet.len())])
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn class_names_round_trip() {
        for m in Modulation::ALL {
            assert_eq!(m.name().parse::<Modulation>(), Ok(m));
        }
        assert!(matches!(
            "QAM256".parse::<Modulation>(),
            Err(SignalError::UnknownClass(_))
        ));
        assert_eq!(Modulation::parse_list("all").map(|v| v.len()), Ok(10));
        assert_eq!(
            Modulation::parse_list("ook, gmsk"),
            Ok(vec![Modulation::Ook, Modulation::Gmsk])
        );
    }

    #[test]
    fn rrc_matches_its_special_points() {
        let beta = 0.35;
        // Continuity across the singular points.
        let a = rrc(1.0 / (4.0 * beta), beta);
        let b = rrc(1.0 / (4.0 * beta) + 1e-6, beta);
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        assert!((rrc(0.0, beta) - rrc(1e-7, beta)).abs() < 1e-6);
        // RRC convolved with itself is a Nyquist pulse: zero at non-zero integer symbols.
        let sps: i64 = 32;
        let taps: Vec<f64> = (-8 * sps..=8 * sps)
            .map(|i| rrc(i as f64 / sps as f64, beta))
            .collect();
        let rc = |shift: usize| -> f64 {
            taps.iter()
                .enumerate()
                .map(|(i, a)| {
                    if i + shift < taps.len() {
                        a * taps[i + shift]
                    } else {
                        0.0
                    }
                })
                .sum()
        };
        let peak = rc(0);
        for k in 1..4 {
            let isi = rc(k * sps as usize) / peak;
            assert!(isi.abs() < 0.01, "ISI at {k}: {isi}");
        }
    }

    #[test]
    fn erf_is_accurate() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (-2.0, -0.995_322_265),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x})");
        }
    }

    #[test]
    fn invalid_configs_are_named() {
        let mut c = SignalConfig::standard();
        c.samples_per_symbol = 0;
        assert!(matches!(
            c.validate(),
            Err(SignalError::Invalid {
                field: "samples_per_symbol",
                ..
            })
        ));
        let mut d = DatasetSpec::new(
            1,
            SnrSpec::Uniform {
                min_db: 5.0,
                max_db: -5.0,
            },
        );
        assert!(d.validate().is_err());
        d.snr = SnrSpec::Fixed { db: f64::NAN };
        assert!(d.validate().is_err());
        d.snr = SnrSpec::Fixed { db: 0.0 };
        d.classes.clear();
        assert!(d.validate().is_err());
    }
}
