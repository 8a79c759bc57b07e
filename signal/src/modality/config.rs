//! `RenderConfig`: everything that decides how bursts become images, derived from the
//! generator's settings (`for_signal`) and checked (`validate`).

use serde::{Deserialize, Serialize};

use super::{ConstellationConfig, ModalityError, ScalogramConfig, WindowScale};
use crate::settings::SignalConfig;
use crate::vocab::Profile;

/// Everything that decides how bursts become images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderConfig {
    /// Output height and width, pixels (32, 64, 224, …).
    pub image_size: usize,
    /// Burst length `N` the renderer is built for, samples (default: 1024).
    pub num_samples: usize,
    /// Samples per symbol `T` of the bursts (for the matched filter; default 8).
    pub samples_per_symbol: usize,
    /// RRC roll-off of the matched filter (default: 0.35).
    pub rolloff: f64,
    /// Matched-filter length, symbols (default: 8).
    pub filter_span: usize,
    /// Constellation settings.
    pub constellation: ConstellationConfig,
    /// Scalogram settings.
    pub scalogram: ScalogramConfig,
    /// A second burst length the renderer takes, samples: the `denomae` profile's GMSK
    /// (8 × `num_samples`, [`SignalConfig::long_gmsk`]); images keep their size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_samples: Option<usize>,
    /// Remove each burst's carrier frequency offset before drawing it
    /// ([`crate::offset`]; estimated on the noisy burst, the same turn applied to its clean
    /// version and noise); [`SignalConfig::offset_correction`]'s, off when reading files
    /// written before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offset_correction: bool,
}

impl RenderConfig {
    /// Settings that match a signal generator, at `image_size²`.
    pub fn for_signal(signal: &SignalConfig, image_size: usize) -> Self {
        let denomae = signal.profile == Profile::Denomae;
        Self {
            image_size,
            num_samples: signal.num_samples,
            samples_per_symbol: signal.samples_per_symbol,
            rolloff: signal.rolloff,
            filter_span: signal.filter_span,
            constellation: ConstellationConfig {
                widths: vec![0.01, 0.03, 0.06],
                window: if denomae {
                    WindowScale::Fixed(2.5)
                } else {
                    WindowScale::Rms(2.5)
                },
                symbol_rate: signal.samples_per_symbol > 1,
            },
            scalogram: ScalogramConfig::default(),
            long_samples: signal.long_samples(),
            offset_correction: signal.offset_correction,
        }
    }

    /// Checks the settings; returns the first problem found.
    pub fn validate(&self) -> Result<(), ModalityError> {
        let bad = |field, reason: &str| {
            Err(ModalityError::Invalid {
                field,
                reason: reason.to_string(),
            })
        };
        if !(4..=1024).contains(&self.image_size) {
            return bad("image_size", "must be in 4..=1024 pixels");
        }
        if !(16..=(1 << 24)).contains(&self.num_samples) {
            return bad("num_samples", "must be in 16..=16777216");
        }
        if self
            .long_samples
            .is_some_and(|m| !(16..=(1 << 24)).contains(&m))
        {
            return bad("long_samples", "must be in 16..=16777216");
        }
        if self.samples_per_symbol == 0 || self.filter_span == 0 {
            return bad(
                "samples_per_symbol",
                "samples per symbol and filter span must be ≥ 1",
            );
        }
        let c = &self.constellation;
        if c.widths.is_empty() || c.widths.iter().any(|w| !(*w > 0.0 && *w <= 1.0)) {
            return bad("constellation.widths", "need at least one width in (0, 1]");
        }
        let w = match c.window {
            WindowScale::Rms(w) | WindowScale::Fixed(w) => w,
        };
        if !(w > 0.0 && w.is_finite()) {
            return bad(
                "constellation.window",
                "half-width must be positive and finite",
            );
        }
        let s = &self.scalogram;
        if s.num_scales < 2 || !s.num_scales.is_multiple_of(2) || s.num_scales > 4096 {
            return bad("scalogram.num_scales", "must be even and in 2..=4096");
        }
        if !(s.min_freq > 0.0 && s.min_freq < s.max_freq && s.max_freq <= 0.5) {
            return bad(
                "scalogram.min_freq",
                "need 0 < min_freq < max_freq ≤ 0.5 cycles/sample",
            );
        }
        if !(s.omega0 >= 3.0 && s.omega0.is_finite()) {
            return bad("scalogram.omega0", "must be ≥ 3 (admissibility)");
        }
        if !(s.dynamic_range_db > 0.0 && s.dynamic_range_db.is_finite()) {
            return bad("scalogram.dynamic_range_db", "must be positive");
        }
        Ok(())
    }
}
