//! How bursts are made: the generator's settings (`SignalConfig`, `ChannelConfig`), their
//! presets and their checks.

use serde::{Deserialize, Serialize};

use crate::vocab::{ClassParameters, Modulation, Profile, SignalError};

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
