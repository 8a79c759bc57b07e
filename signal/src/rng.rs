//! A small, portable, seedable random number generator.
//!
//! Every example of a dataset is generated from its own generator, seeded by
//! `(dataset seed, example index, stream)` alone, so any example can be regenerated
//! anywhere (trainer, browser, tests) with bit-identical results. Separate *streams*
//! (symbols, channel, noise) keep one impairment's draws independent of whether another
//! impairment is switched on.
//!
//! The generator is xoshiro256++ seeded through SplitMix64; it is implemented here (a few
//! lines) rather than taken from a crate so that its output can never change under us with
//! a dependency upgrade.

/// Independent random streams of one example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Class choice and symbols (the message).
    Symbols = 1,
    /// Channel impairments: carrier phase, frequency and timing offsets, SNR draw.
    Channel = 2,
    /// Additive noise samples.
    Noise = 3,
    /// Masking noise and other model-side randomness.
    Masking = 4,
    /// Per-burst class parameters (roll-off, modulation index, BT) of the ranges setting.
    Parameters = 5,
}

/// xoshiro256++ generator with Box-Muller normals.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A run's seed mixed with an epoch number: the one per-epoch seed rule (data order and
/// masking noise both use it, so a resumed run redraws exactly what it would have).
pub fn epoch_seed(seed: u64, epoch: u64) -> u64 {
    seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Rng {
    /// A generator seeded from one 64-bit value.
    pub fn from_seed(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self {
            s,
            spare_normal: None,
        }
    }

    /// The generator of `stream` for example `index` of the dataset with seed `seed`.
    pub fn for_example(seed: u64, index: u64, stream: Stream) -> Self {
        let mut sm = seed;
        let a = splitmix64(&mut sm);
        let mut sm = a ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let b = splitmix64(&mut sm);
        let mut sm = b ^ (stream as u64).wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
        Self::from_seed(splitmix64(&mut sm))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = (self.s[0].wrapping_add(self.s[3]))
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform draw in `[0, 1)` with 53 bits of precision.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw in `[lo, hi)`.
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// A uniform integer in `0..n` (`n > 0`; returns 0 for `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift; the bias is below 2^-32 for any n we use.
        ((self.next_u64() >> 32).wrapping_mul(n as u64) >> 32) as usize
    }

    /// A standard normal draw (mean 0, variance 1), Box-Muller.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln is finite
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare_normal = Some(r * s);
        r * c
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_indices_are_independent_and_reproducible() {
        let a = Rng::for_example(7, 3, Stream::Noise).next_u64();
        let b = Rng::for_example(7, 3, Stream::Noise).next_u64();
        let c = Rng::for_example(7, 4, Stream::Noise).next_u64();
        let d = Rng::for_example(7, 3, Stream::Symbols).next_u64();
        let e = Rng::for_example(8, 3, Stream::Noise).next_u64();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(a, e);
    }

    #[test]
    fn moments_of_uniform_and_normal() {
        let mut r = Rng::from_seed(1);
        let n = 200_000;
        let (mut su, mut sn, mut sn2) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            su += u;
            let z = r.normal();
            sn += z;
            sn2 += z * z;
        }
        let n = n as f64;
        assert!((su / n - 0.5).abs() < 0.005);
        assert!((sn / n).abs() < 0.01);
        assert!((sn2 / n - 1.0).abs() < 0.01);
        let mut counts = [0usize; 10];
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }
}
