//! Page components, one per file.

pub mod burst_probe;
