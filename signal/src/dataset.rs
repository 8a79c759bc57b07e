//! Seeded, regenerable datasets: example `i` of seed `s` is a pure function of `(s, i)`
//! and the [`DatasetSpec`]: its class is `classes[i % classes.len()]` (balanced by
//! construction) and every random draw comes from [`Rng::for_example`]`(s, i, stream)`.

use serde::{Deserialize, Serialize};

use crate::channel::synthesize;
use crate::rng::{Rng, Stream};
use crate::settings::SignalConfig;
use crate::vocab::{Modulation, SignalError, C32};

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

    /// The SNR of example `index`, dB: the fixed one, or its own draw from the range.
    pub fn snr_of(&self, index: u64) -> f64 {
        match self.snr {
            SnrSpec::Fixed { db } => db,
            SnrSpec::Uniform { min_db, max_db } => {
                // A stream of its own so the SNR draw never shifts the impairments.
                let mut r = Rng::for_example(self.seed, index, Stream::Channel);
                let mut r = Rng::from_seed(r.next_u64() ^ 0x5EED_5A12);
                r.uniform_in(min_db, max_db)
            }
        }
    }

    /// Example `index`: a pure function of `(self, index)`.
    pub fn example(&self, index: u64) -> Example {
        let label = self.label_of(index);
        let class = self.classes[label];
        let snr_db = self.snr_of(index);
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
    /// Channel output without noise, `num_samples` long ([`SignalConfig::burst_samples`]: 8× for the `denomae` profile's GMSK).
    pub clean: Vec<C32>,
    /// The added noise, as long as `clean` (zeros without AWGN).
    pub noise: Vec<C32>,
    /// `clean + noise`: what a receiver sees.
    pub noisy: Vec<C32>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
