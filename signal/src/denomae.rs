//! The `denomae` profile (a comparison aid only).
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

use crate::rng::Rng;
use crate::vocab::{levels, Modulation, C32, C64};

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

/// The denomae profile's baseband of `class`, `n` samples.
pub(crate) fn denomae_baseband(class: Modulation, n: usize, rng: &mut Rng) -> Vec<C64> {
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
    use crate::channel::{synthesize, SignalConfig, DENOMAE_GMSK_SAMPLES_PER_BIT};
    use crate::classes::Modulation;
    use crate::modality::{Modality, RenderConfig, Renderer};

    #[test]
    fn gmsk_is_1024_bits_at_8_samples_and_renders_like_the_other_classes() {
        let config = SignalConfig::denomae();
        let renderer = Renderer::new(RenderConfig::for_signal(&config, 32)).unwrap();
        for class in Modulation::ALL {
            let burst = synthesize(class, &config, 7, 3, 0.0);
            let want = if class == Modulation::Gmsk {
                8192
            } else {
                1024
            };
            assert_eq!(
                (burst.clean.len(), burst.noise.len(), burst.noisy.len()),
                (want, want, want),
                "{class:?}"
            );
            for m in Modality::ALL {
                let img = renderer.render(m, &burst.noisy).unwrap();
                assert_eq!(img.size, 32);
                assert!(img.data.iter().all(|v| v.is_finite()), "{class:?} {m:?}");
            }
        }
        // the long renderer is not a second copy of the short one: a GMSK burst of 8,192
        // samples and its first 1,024 give different images
        let g = synthesize(Modulation::Gmsk, &config, 7, 3, 20.0).noisy;
        let long = renderer.render(Modality::Scalogram, &g).unwrap();
        let short = renderer.render(Modality::Scalogram, &g[..1024]).unwrap();
        assert_ne!(long, short);
        // a length that is neither is refused
        assert!(renderer.render(Modality::Signal, &g[..2048]).is_err());
        // runs written before it was reproduced keep 1,024-sample GMSK
        let old = SignalConfig {
            long_gmsk: false,
            ..SignalConfig::denomae()
        };
        assert_eq!(
            synthesize(Modulation::Gmsk, &old, 7, 3, 0.0).clean.len(),
            1024
        );
        assert_eq!(RenderConfig::for_signal(&old, 32).long_samples, None);
        assert_eq!(DENOMAE_GMSK_SAMPLES_PER_BIT * 1024, 8192);
        // and the standard profile may not ask for it
        let bad = SignalConfig {
            long_gmsk: true,
            ..SignalConfig::standard()
        };
        assert!(bad.validate().is_err());
    }
}
