//! The vocabulary every part of the signal side shares: sample types, the error type,
//! the classes (`Modulation`), the generator profiles and the class-parameter settings.
//! Nothing here generates a burst (that is `classes`, `denomae` and `channel`).

use std::fmt;
use std::str::FromStr;

use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

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

/// How the standard profile sets each class's parameters (roll-off, h, BT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassParameters {
    /// One point per class, the module table's (and the generator's before issue 25; the
    /// value of files written before the setting existed, so old runs reproduce).
    #[default]
    Fixed,
    /// Drawn per burst from the ranges of the module docs ([`RANGES`]).
    Ranges,
}

impl FromStr for ClassParameters {
    type Err = SignalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fixed" => Ok(ClassParameters::Fixed),
            "ranges" => Ok(ClassParameters::Ranges),
            _ => Err(SignalError::Invalid {
                field: "class_parameters",
                reason: format!("`{s}`: expected fixed or ranges"),
            }),
        }
    }
}

impl fmt::Display for ClassParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClassParameters::Fixed => "fixed",
            ClassParameters::Ranges => "ranges",
        })
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
