//! Bursts of modulations outside the class set, to measure how a classifier meets the
//! unexpected (open-set detection). Never trained on.
//!
//! They go through the standard channel (random carrier phase, carrier offset, fractional
//! timing, unit power, AWGN at the example's SNR) with the signal settings' burst length,
//! samples per symbol `T` and RRC roll-off:
//!
//! | kind | definition |
//! |---|---|
//! | BPSK | {±1}, RRC |
//! | QPSK | (±1 ± j)/√2, RRC (not offset, not differential: unlike OQPSK and π/4-DQPSK) |
//! | 8PSK | e^{j2πk/8}, RRC |
//! | 16QAM, 64QAM | square grids, RRC |
//! | OFDM | 64 subcarriers (48 QPSK-loaded, DC and the band edges empty), 16-sample cyclic prefix |
//! | AM | DSB with carrier, `1 + μ·m(t)`, μ ∈ [0.3, 0.9], m three tones in [0.002, 0.02] cycles/sample |
//! | FM | phase `2π·Δf·Σ m`, Δf ∈ [0.01, 0.05] cycles/sample, m as for AM |
//! | noise | the channel's noise alone (nothing transmitted) |

use std::f64::consts::{PI, TAU};
use std::fmt;
use std::str::FromStr;

use crate::channel::{add_noise, standard_channel, Burst};
use crate::pulse::{pulse_train, rrc, symbol_span};
use crate::rng::{Rng, Stream};
use crate::settings::SignalConfig;
use crate::vocab::{levels, SignalError, C64};

/// A modulation outside the class set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Foreign {
    /// Binary phase-shift keying.
    Bpsk,
    /// Quadrature phase-shift keying.
    Qpsk,
    /// 8-phase PSK.
    Psk8,
    /// 16-point square QAM.
    Qam16,
    /// 64-point square QAM.
    Qam64,
    /// Multicarrier, OFDM-like.
    Ofdm,
    /// Analogue amplitude modulation.
    Am,
    /// Analogue frequency modulation.
    Fm,
    /// Receiver noise alone.
    Noise,
}

impl Foreign {
    /// Every kind, in report order.
    pub const ALL: [Foreign; 9] = [
        Foreign::Bpsk,
        Foreign::Qpsk,
        Foreign::Psk8,
        Foreign::Qam16,
        Foreign::Qam64,
        Foreign::Ofdm,
        Foreign::Am,
        Foreign::Fm,
        Foreign::Noise,
    ];

    /// Display name (`BPSK`, …, `noise`).
    pub fn name(self) -> &'static str {
        match self {
            Foreign::Bpsk => "BPSK",
            Foreign::Qpsk => "QPSK",
            Foreign::Psk8 => "8PSK",
            Foreign::Qam16 => "16QAM",
            Foreign::Qam64 => "64QAM",
            Foreign::Ofdm => "OFDM",
            Foreign::Am => "AM",
            Foreign::Fm => "FM",
            Foreign::Noise => "noise",
        }
    }

    /// Parses a comma-separated list of names (case-insensitive), or `all`.
    pub fn parse_list(s: &str) -> Result<Vec<Foreign>, SignalError> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Foreign::ALL.to_vec());
        }
        s.split(',').map(str::parse).collect()
    }
}

impl fmt::Display for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Foreign {
    type Err = SignalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Foreign::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SignalError::Invalid {
                field: "out-of-set kind",
                reason: format!(
                    "`{s}` (known: BPSK, QPSK, 8PSK, 16QAM, 64QAM, OFDM, AM, FM, noise)"
                ),
            })
    }
}

/// Stream salt that keeps out-of-set examples apart from the class set's of the same
/// `(seed, index)`.
const SALT: u64 = 0xF0_4E16_7E5E;

/// Synthesises one out-of-set burst of `kind` for example `(seed, index)` at `snr_db`,
/// through the standard channel of `config` (its profile is ignored).
pub fn synthesize_foreign(
    kind: Foreign,
    config: &SignalConfig,
    seed: u64,
    index: u64,
    snr_db: f64,
) -> Burst {
    let seed = seed ^ SALT;
    let n = config.num_samples;
    let mut msg_rng = Rng::for_example(seed, index, Stream::Parameters);
    let clean = if kind == Foreign::Noise {
        vec![C64::new(0.0, 0.0); n]
    } else {
        standard_channel(config, seed, index, |tau, rng| {
            baseband(kind, config, tau, rng, &mut msg_rng)
        })
    };
    add_noise(clean, config, 1.0, seed, index, snr_db)
}

/// The baseband of `kind` (before power normalisation and channel).
fn baseband(kind: Foreign, c: &SignalConfig, tau: f64, rng: &mut Rng, msg: &mut Rng) -> Vec<C64> {
    let (n, t) = (c.num_samples, c.samples_per_symbol);
    let tf = t as f64;
    let reach = c.filter_span as f64 * tf / 2.0;
    let beta = c.rolloff;
    let (k0, count) = symbol_span(n, t, reach.max(4.0 * tf) + tf);
    let from = |alphabet: &[C64], rng: &mut Rng| -> Vec<C64> {
        (0..count)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect()
    };
    let linear = |syms: &[C64]| pulse_train(syms, k0, n, t, tau, reach, |x| rrc(x / tf, beta));
    let psk = |m: usize| -> Vec<C64> {
        (0..m)
            .map(|k| C64::from_polar(1.0, TAU * k as f64 / m as f64))
            .collect()
    };
    let qam = |m: usize| -> Vec<C64> {
        let side = levels((m as f64).sqrt() as usize, true);
        side.iter()
            .flat_map(|&i| side.iter().map(move |&q| C64::new(i, q)))
            .collect()
    };
    match kind {
        Foreign::Bpsk => linear(&from(&psk(2), rng)),
        Foreign::Qpsk => {
            let a: Vec<C64> = psk(4)
                .into_iter()
                .map(|z| z * C64::from_polar(1.0, PI / 4.0))
                .collect();
            linear(&from(&a, rng))
        }
        Foreign::Psk8 => linear(&from(&psk(8), rng)),
        Foreign::Qam16 => linear(&from(&qam(16), rng)),
        Foreign::Qam64 => linear(&from(&qam(64), rng)),
        Foreign::Ofdm => ofdm(n, rng),
        Foreign::Am | Foreign::Fm => {
            let m = message(n, msg);
            if kind == Foreign::Am {
                let mu = msg.uniform_in(0.3, 0.9);
                m.iter().map(|v| C64::new(1.0 + mu * v, 0.0)).collect()
            } else {
                let dev = msg.uniform_in(0.01, 0.05);
                let mut phase = 0.0;
                m.iter()
                    .map(|v| {
                        phase += TAU * dev * v;
                        C64::from_polar(1.0, phase)
                    })
                    .collect()
            }
        }
        Foreign::Noise => vec![C64::new(0.0, 0.0); n],
    }
}

/// An analogue message of `n` samples: three tones in [0.002, 0.02] cycles/sample with
/// random amplitudes and phases, scaled to peak 1.
fn message(n: usize, rng: &mut Rng) -> Vec<f64> {
    let tones: Vec<(f64, f64, f64)> = (0..3)
        .map(|_| {
            (
                rng.uniform_in(0.002, 0.02),
                rng.uniform_in(0.3, 1.0),
                rng.uniform_in(0.0, TAU),
            )
        })
        .collect();
    let m: Vec<f64> = (0..n)
        .map(|k| {
            tones
                .iter()
                .map(|(f, a, p)| a * (TAU * f * k as f64 + p).cos())
                .sum()
        })
        .collect();
    let peak = m.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-12);
    m.iter().map(|v| v / peak).collect()
}

/// OFDM symbols of 64 subcarriers (48 loaded with QPSK: DC and the 15 edge carriers
/// empty) and a 16-sample cyclic prefix, from a random point of the first symbol.
fn ofdm(n: usize, rng: &mut Rng) -> Vec<C64> {
    const FFT: usize = 64;
    const CP: usize = 16;
    let used: Vec<usize> = (1..=24).chain(FFT - 24..FFT).collect();
    let start = rng.below(FFT + CP);
    let mut out = Vec::with_capacity(n + start + FFT + CP);
    while out.len() < n + start {
        let mut bins = vec![C64::new(0.0, 0.0); FFT];
        for &k in &used {
            let (i, q) = (
                rng.below(2) as f64 * 2.0 - 1.0,
                rng.below(2) as f64 * 2.0 - 1.0,
            );
            bins[k] = C64::new(i, q);
        }
        // inverse DFT (64 points; a table-free direct sum is plenty here)
        let symbol: Vec<C64> = (0..FFT)
            .map(|s| {
                bins.iter()
                    .enumerate()
                    .map(|(k, b)| b * C64::from_polar(1.0, TAU * (k * s) as f64 / FFT as f64))
                    .sum::<C64>()
            })
            .collect();
        out.extend_from_slice(&symbol[FFT - CP..]);
        out.extend_from_slice(&symbol);
    }
    out[start..start + n].to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::channel::mean_power;

    #[test]
    fn every_kind_is_finite_unit_power_and_reproducible() {
        let mut c = SignalConfig::standard();
        c.channel.awgn = false;
        for kind in Foreign::ALL {
            let b = synthesize_foreign(kind, &c, 3, 5, 10.0);
            assert_eq!(b.noisy.len(), c.num_samples);
            assert!(b.noisy.iter().all(|z| z.re.is_finite() && z.im.is_finite()));
            assert_eq!(b, synthesize_foreign(kind, &c, 3, 5, 10.0));
            let p = mean_power(&b.clean);
            if kind == Foreign::Noise {
                assert_eq!(p, 0.0);
            } else {
                assert!((p - 1.0).abs() < 1e-3, "{kind}: power {p}");
            }
        }
        // noise alone carries the channel's noise at the example's SNR
        let mut c = SignalConfig::standard();
        c.channel.awgn = true;
        let b = synthesize_foreign(Foreign::Noise, &c, 3, 5, 0.0);
        assert!((mean_power(&b.noisy) - 1.0).abs() < 0.15);
        assert_eq!(
            Foreign::parse_list("qpsk, 64qam").unwrap(),
            vec![Foreign::Qpsk, Foreign::Qam64]
        );
        assert_eq!(Foreign::parse_list("all").unwrap().len(), 9);
        assert!("QAM256".parse::<Foreign>().is_err());
    }
}
