//! The channel: one burst of a class through carrier phase, frequency offset, timing
//! offset and AWGN (the settings live in `settings`, re-exported here).
//!
//! # The channel ([`ChannelConfig`], each impairment switchable)
//!
//! Random carrier phase `U[0, 2π)`; carrier frequency offset `U[−max, max]` cycles/sample
//! (standard default max 0.05; 5·10⁻⁵ in the fixed setting); fractional timing offset
//! `U[0, T)` samples (where the symbol clock starts); AWGN with
//! `SNR = P_signal / P_noise` over the whole sampled band, `P_signal = 1`.
//! The *clean* burst is the channel output without noise; *noisy* = clean + noise.

use std::f64::consts::TAU;

use rustfft::num_complex::Complex;

use crate::classes::{burst_parameters, standard_baseband};
use crate::denomae::denomae_baseband;
use crate::rng::{Rng, Stream};
pub use crate::settings::{
    ChannelConfig, SignalConfig, DENOMAE_GMSK_SAMPLES_PER_BIT, STANDARD_MAX_FREQ_OFFSET,
};
use crate::vocab::{Modulation, Profile, C32, C64};

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
