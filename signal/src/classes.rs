//! The modulation classes of the default class set and their baseband definitions.
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

use std::f64::consts::{PI, TAU};
use std::fmt;
use std::str::FromStr;

use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use crate::channel::SignalConfig;
use crate::pulse::{erf, pulse_train, rrc, symbol_span};
use crate::rng::Rng;

/// One complex baseband sample as stored and rendered (32-bit float I and Q).
pub type C32 = Complex<f32>;
/// Double-precision samples, used while synthesising.
pub(crate) type C64 = Complex<f64>;

/// Errors from signal configuration and class names.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
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

/// The standard profile's baseband of `class` (before power normalisation and channel).
pub(crate) fn standard_baseband(
    class: Modulation,
    c: &SignalConfig,
    tau: f64,
    rng: &mut Rng,
) -> Vec<C64> {
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
pub(crate) fn levels(m: usize, bipolar: bool) -> Vec<f64> {
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
}
