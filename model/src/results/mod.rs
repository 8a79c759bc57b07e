//! What the trainer and the page share about results: rendered images as tensors,
//! reconstruction metrics, one burst through the whole model (the studio), and the
//! `report.json` / `bundle.json` formats, a recording's segments down to a verdict, and the
//! calibration and open-set arithmetic behind an "unknown" verdict.

pub mod batch;
pub mod bundle;
pub mod calibration;
pub mod metrics;
pub mod openset;
pub mod plot;
pub mod report;
pub mod studio;
pub mod verdict;
