//! The channel and the generator settings: one burst of a class through carrier phase,
//! frequency offset, timing offset and AWGN.
//!
//! # The channel ([`ChannelConfig`], each impairment switchable)
//!
//! Random carrier phase `U[0, 2π)`; carrier frequency offset `U[−max, max]` cycles/sample
//! (default max 5·10⁻⁵: at most ±18° of drift over 1024 samples); fractional timing offset
//! `U[0, T)` samples (where the symbol clock starts); AWGN with
//! `SNR = P_signal / P_noise` over the whole sampled band, `P_signal = 1`.
//! The *clean* burst is the channel output without noise; *noisy* = clean + noise.

use std::f64::consts::TAU;

use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use crate::classes::{
    burst_parameters, standard_baseband, ClassParameters, Modulation, Profile, SignalError, C32,
    C64,
};
use crate::denomae::denomae_baseband;
use crate::rng::{Rng, Stream};

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
    /// Standard profile: each class at its one fixed point, or its parameters drawn per
    /// burst from ranges (default: ranges; `fixed` when reading files written before the
    /// setting existed).
    #[serde(default)]
    pub class_parameters: ClassParameters,
    /// The receiver removes each burst's carrier frequency offset before rendering it
    /// ([`crate::offset`], [`crate::RenderConfig::offset_correction`]); default: on for the
    /// standard profile, off when reading files written before it existed, so their models
    /// render as they were trained.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offset_correction: bool,
    /// `denomae` profile only: GMSK bursts of `num_samples` bits at 8 samples per bit,
    /// [`DENOMAE_GMSK_SAMPLES_PER_BIT`] × `num_samples` samples (8,192 for 1,024), as the
    /// reference generator makes them; the other classes stay `num_samples` long (default:
    /// true for `denomae`; false in runs written before it was reproduced).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub long_gmsk: bool,
}

/// Samples per bit of the `denomae` profile's GMSK (the reference's `sps = 8`).
pub const DENOMAE_GMSK_SAMPLES_PER_BIT: usize = 8;

impl Default for SignalConfig {
    fn default() -> Self {
        Self::standard()
    }
}

/// Largest carrier frequency offset of the standard generator, cycles/sample (5 % of the
/// sample rate: cheap SDRs at several ppm; the renderer removes most of it, training
/// learns the rest).
pub const STANDARD_MAX_FREQ_OFFSET: f64 = 0.05;

impl SignalConfig {
    /// The default generator: 1024 samples, 8 samples/symbol, each class's parameters drawn
    /// per burst from ranges, carrier offsets up to ±[`STANDARD_MAX_FREQ_OFFSET`], full
    /// channel (matched-filter roll-off 0.35, the middle of the linear classes' range).
    pub fn standard() -> Self {
        Self {
            channel: ChannelConfig {
                max_freq_offset: STANDARD_MAX_FREQ_OFFSET,
                ..ChannelConfig::default()
            },
            class_parameters: ClassParameters::Ranges,
            offset_correction: true,
            ..Self::standard_fixed()
        }
    }

    /// The standard generator before issue 25, by name: one parameter point per class
    /// (RRC 0.35; CPFSK h 1.0; GFSK h 0.35, BT 0.5; GMSK BT 0.3), carrier offsets up to
    /// ±5·10⁻⁵ cycles/sample and no offset correction. Bursts are bit for bit those of that
    /// generator.
    pub fn standard_fixed() -> Self {
        Self {
            profile: Profile::Standard,
            num_samples: 1024,
            samples_per_symbol: 8,
            rolloff: 0.35,
            filter_span: 8,
            channel: ChannelConfig::default(),
            class_parameters: ClassParameters::Fixed,
            offset_correction: false,
            long_gmsk: false,
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
            class_parameters: ClassParameters::Fixed,
            offset_correction: false,
            long_gmsk: true,
        }
    }

    /// The preset of a profile.
    pub fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::Standard => Self::standard(),
            Profile::Denomae => Self::denomae(),
        }
    }

    /// Samples per burst of `class`: `num_samples`, or 8 × that for the `denomae` profile's
    /// GMSK with [`SignalConfig::long_gmsk`].
    pub fn burst_samples(&self, class: Modulation) -> usize {
        if self.long_gmsk && self.profile == Profile::Denomae && class == Modulation::Gmsk {
            DENOMAE_GMSK_SAMPLES_PER_BIT * self.num_samples
        } else {
            self.num_samples
        }
    }

    /// The longest burst any class gets, samples, if longer than `num_samples`.
    pub fn long_samples(&self) -> Option<usize> {
        let n = self.burst_samples(Modulation::Gmsk);
        (n != self.num_samples).then_some(n)
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
        if self.class_parameters == ClassParameters::Ranges && self.profile != Profile::Standard {
            return bad(
                "class_parameters",
                "ranges belong to the standard profile only",
            );
        }
        if self.long_gmsk && self.profile != Profile::Denomae {
            return bad("long_gmsk", "belongs to the denomae profile only");
        }
        if self.burst_samples(Modulation::Gmsk) > (1 << 24) {
            return bad(
                "num_samples",
                "the denomae profile's GMSK (8 samples per sample of the others) must stay within 16777216",
            );
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
    let n = config.burst_samples(class);
    let clean: Vec<C64> = match config.profile {
        Profile::Standard => {
            let params = burst_parameters(class, config, seed, index);
            standard_channel(config, seed, index, |tau, rng| {
                standard_baseband(class, config, &params, tau, rng)
            })
        }
        Profile::Denomae => {
            let mut sym_rng = Rng::for_example(seed, index, Stream::Symbols);
            let mut ch_rng = Rng::for_example(seed, index, Stream::Channel);
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
    add_noise(clean, config, signal_power, seed, index, snr_db)
}

/// The standard channel around a baseband: draws the carrier phase, carrier offset and
/// timing offset `τ` of example `(seed, index)` (in that order, from its channel stream, so
/// the draws do not depend on the class), asks `make(τ, symbol stream)` for the baseband,
/// scales it to unit power and turns it by the phase and offset.
pub(crate) fn standard_channel(
    config: &SignalConfig,
    seed: u64,
    index: u64,
    make: impl FnOnce(f64, &mut Rng) -> Vec<C64>,
) -> Vec<C64> {
    let mut sym_rng = Rng::for_example(seed, index, Stream::Symbols);
    let mut ch_rng = Rng::for_example(seed, index, Stream::Channel);
    let t = config.samples_per_symbol;
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
    let mut s = make(tau, &mut sym_rng);
    normalize_power(&mut s);
    for (k, x) in s.iter_mut().enumerate() {
        *x *= C64::from_polar(1.0, phase + TAU * freq * k as f64);
    }
    s
}

/// `clean` plus white Gaussian noise at `snr_db` relative to `signal_power` (from example
/// `(seed, index)`'s noise stream; none when the channel's AWGN is off).
pub(crate) fn add_noise(
    clean: Vec<C64>,
    config: &SignalConfig,
    signal_power: f64,
    seed: u64,
    index: u64,
    snr_db: f64,
) -> Burst {
    let mut noise_rng = Rng::for_example(seed, index, Stream::Noise);
    let n = clean.len();
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
