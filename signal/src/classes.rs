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
//!
//! The table's values are the [`ClassParameters::Fixed`] setting. With
//! [`ClassParameters::Ranges`] (the standard profile's default since issue 25) each burst
//! draws its parameters from its own stream ([`Stream::Parameters`]):
//!
//! | class | parameter, drawn uniformly per burst |
//! |---|---|
//! | OOK, 4ASK, 8ASK, 4PAM, 16PAM, OQPSK, DQPSK | RRC roll-off in [0.2, 0.5] |
//! | CPFSK | h in [0.7, 1.0] (rectangular frequency pulse) |
//! | GFSK | h in [0.1, 0.4], BT in [0.1, 0.5] |
//! | GMSK | h = 0.5, BT in [0.1, 0.5] |
//!
//! Where two classes' ranges meet the labels stay apart by definition: GMSK *is* GFSK at
//! h = 0.5, so GFSK stops at h = 0.4, a margin of 0.1; CPFSK (h ≥ 0.7) has a rectangular
//! frequency pulse (no Gaussian filter, BT = ∞), so a GFSK burst at large BT differs from
//! it in h by at least 0.3, and from GMSK by 0.2.

use std::f64::consts::{PI, TAU};

use crate::pulse::{erf, pulse_train, rrc, symbol_span};
use crate::rng::{Rng, Stream};
use crate::settings::SignalConfig;
use crate::vocab::{levels, C64};
pub use crate::vocab::{ClassParameters, Modulation, Profile, SignalError, C32};

/// The per-burst ranges of [`ClassParameters::Ranges`], `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterRanges {
    /// RRC roll-off of the linear classes.
    pub rolloff: (f64, f64),
    /// CPFSK modulation index h.
    pub cpfsk_h: (f64, f64),
    /// GFSK modulation index h.
    pub gfsk_h: (f64, f64),
    /// GFSK Gaussian filter bandwidth-time product.
    pub gfsk_bt: (f64, f64),
    /// GMSK Gaussian filter bandwidth-time product (h is 0.5).
    pub gmsk_bt: (f64, f64),
}

/// The ranges of the module docs' table.
pub const RANGES: ParameterRanges = ParameterRanges {
    rolloff: (0.2, 0.5),
    cpfsk_h: (0.7, 1.0),
    gfsk_h: (0.1, 0.4),
    gfsk_bt: (0.1, 0.5),
    gmsk_bt: (0.1, 0.5),
};

/// One burst's class parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstParameters {
    /// RRC roll-off (linear classes).
    pub rolloff: f64,
    /// Modulation index (FSK family; 0 for the linear classes).
    pub h: f64,
    /// Gaussian BT (GFSK, GMSK); `None` for a rectangular frequency pulse or no FSK.
    pub bt: Option<f64>,
}

/// The parameters of example `(seed, index)` of `class` under `c` (a pure function of
/// them; [`ClassParameters::Fixed`] draws nothing).
pub fn burst_parameters(
    class: Modulation,
    c: &SignalConfig,
    seed: u64,
    index: u64,
) -> BurstParameters {
    let fixed = match class {
        Modulation::Cpfsk => (1.0, None),
        Modulation::Gfsk => (0.35, Some(0.5)),
        Modulation::Gmsk => (0.5, Some(0.3)),
        _ => (0.0, None),
    };
    match c.class_parameters {
        ClassParameters::Fixed => BurstParameters {
            rolloff: c.rolloff,
            h: fixed.0,
            bt: fixed.1,
        },
        ClassParameters::Ranges => {
            let mut r = Rng::for_example(seed, index, Stream::Parameters);
            let mut draw = |(lo, hi): (f64, f64)| r.uniform_in(lo, hi);
            let (rolloff, h, bt) = match class {
                Modulation::Cpfsk => (c.rolloff, draw(RANGES.cpfsk_h), None),
                Modulation::Gfsk => {
                    let h = draw(RANGES.gfsk_h);
                    (c.rolloff, h, Some(draw(RANGES.gfsk_bt)))
                }
                Modulation::Gmsk => (c.rolloff, 0.5, Some(draw(RANGES.gmsk_bt))),
                _ => (draw(RANGES.rolloff), 0.0, None),
            };
            BurstParameters { rolloff, h, bt }
        }
    }
}

/// Standard deviation of the Gaussian frequency pulse at `bt`, samples (`t` per symbol).
fn gaussian_sigma(t: f64, bt: f64) -> f64 {
    t * (2f64.ln()).sqrt() / (TAU * bt)
}

/// The standard profile's baseband of `class` with parameters `p` (before power
/// normalisation and channel).
pub(crate) fn standard_baseband(
    class: Modulation,
    c: &SignalConfig,
    p: &BurstParameters,
    tau: f64,
    rng: &mut Rng,
) -> Vec<C64> {
    let (n, t) = (c.num_samples, c.samples_per_symbol);
    let tf = t as f64;
    let beta = p.rolloff;
    let reach = c.filter_span as f64 * tf / 2.0;
    let rrc_pulse = |x: f64| rrc(x / tf, beta);
    // a Gaussian frequency pulse at small BT reaches further than the RRC
    let gauss_reach = p.bt.map_or(0.0, |bt| tf + 5.0 * gaussian_sigma(tf, bt));
    let (k0, count) = symbol_span(n, t, reach.max(4.0 * tf).max(gauss_reach) + tf);
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
            let (h, bt) = (p.h, p.bt);
            let bits = real_levels(&[-1.0, 1.0], rng);
            let freq = match bt {
                None => {
                    let rect = move |x: f64| if (0.0..tf).contains(&x) { 1.0 } else { 0.0 };
                    pulse_train(&bits, k0, n, t, tau, tf + 1.0, rect)
                }
                Some(bt) => {
                    let sigma = gaussian_sigma(tf, bt);
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
    fn the_fixed_setting_reproduces_the_generator_before_ranges_bit_for_bit() {
        // FNV-1a of the noisy and clean bursts of seed 42, examples 0..3 of every class at
        // 5 dB, recorded with the generator of commit 6b79988 (before parameter ranges)
        let config = SignalConfig::standard_fixed();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for class in Modulation::ALL {
            for i in 0..3u64 {
                let b = crate::channel::synthesize(class, &config, 42, i, 5.0);
                for z in b.noisy.iter().chain(&b.clean) {
                    for v in [z.re.to_bits(), z.im.to_bits()] {
                        for byte in v.to_le_bytes() {
                            h ^= u64::from(byte);
                            h = h.wrapping_mul(0x100_0000_01b3);
                        }
                    }
                }
            }
        }
        assert_eq!(h, 0xfa61_7b85_283d_48f8);
    }

    #[test]
    fn each_draw_lies_in_its_range_and_depends_on_the_burst_only() {
        let config = SignalConfig::standard();
        assert_eq!(config.class_parameters, ClassParameters::Ranges);
        let inside = |v: f64, (lo, hi): (f64, f64)| (lo..=hi).contains(&v);
        for class in Modulation::ALL {
            let mut seen = Vec::new();
            for i in 0..200u64 {
                let p = burst_parameters(class, &config, 9, i);
                assert_eq!(p, burst_parameters(class, &config, 9, i));
                match class {
                    Modulation::Cpfsk => {
                        assert!(inside(p.h, RANGES.cpfsk_h) && p.bt.is_none(), "{p:?}");
                        seen.push(p.h);
                    }
                    Modulation::Gfsk => {
                        let bt = p.bt.unwrap();
                        assert!(inside(p.h, RANGES.gfsk_h) && inside(bt, RANGES.gfsk_bt));
                        seen.push(bt);
                    }
                    Modulation::Gmsk => {
                        let bt = p.bt.unwrap();
                        assert!(p.h == 0.5 && inside(bt, RANGES.gmsk_bt), "{p:?}");
                        seen.push(bt);
                    }
                    _ => {
                        assert!(inside(p.rolloff, RANGES.rolloff) && p.bt.is_none());
                        seen.push(p.rolloff);
                    }
                }
            }
            // the draws spread over the range (not one point)
            let (lo, hi) = seen
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            assert!(hi - lo > 0.2, "{class:?}: {lo}..{hi}");
            // and the bursts render from them: every class synthesises at the range's ends
            let b = crate::channel::synthesize(class, &config, 9, 0, 10.0);
            assert!(b.noisy.iter().all(|z| z.re.is_finite() && z.im.is_finite()));
        }
        // the fixed setting draws nothing and gives the module table's values
        let fixed = SignalConfig::standard_fixed();
        let g = burst_parameters(Modulation::Gfsk, &fixed, 9, 3);
        assert_eq!((g.rolloff, g.h, g.bt), (0.35, 0.35, Some(0.5)));
        assert_eq!(
            burst_parameters(Modulation::Gmsk, &fixed, 1, 2).bt,
            Some(0.3)
        );
        assert_eq!(burst_parameters(Modulation::Cpfsk, &fixed, 1, 2).h, 1.0);
        // ranges are the standard profile's only
        let mut bad = SignalConfig::denomae();
        bad.class_parameters = ClassParameters::Ranges;
        assert!(bad.validate().is_err());
        assert_eq!("Ranges".parse(), Ok(ClassParameters::Ranges));
        assert!("wide".parse::<ClassParameters>().is_err());
    }
}
