//! Page components, one per file.

pub mod backend_line;
pub mod image_canvas;
pub mod load_status;
pub mod probability_bars;
pub mod results;
pub mod studio;
pub mod upload_panel;
