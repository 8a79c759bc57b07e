//! Accuracy against SNR as an SVG line plot: one drawing for `fipmae eval` (one curve),
//! `fipmae compare` (one curve per method or knob value) and the page's results panel.

use std::fmt::Write as _;

use crate::report::Report;

/// One line of the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve<'a> {
    /// Legend text (empty: no legend entry).
    pub label: &'a str,
    /// SNRs, dB, ascending.
    pub snr_db: &'a [f64],
    /// Accuracy in `[0, 1]` at each SNR.
    pub accuracy: &'a [f64],
}

/// Line colours, in curve order (repeating).
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e",
];

/// A standalone SVG of `curves`, `width × height` pixels: accuracy grid lines every 25 %,
/// SNR ticks every 5 dB, and a legend when curves are labelled. The curves share the
/// x-axis from the lowest to the highest SNR of any curve.
pub fn accuracy_svg(curves: &[Curve<'_>], width: f64, height: f64) -> String {
    let (w, h, m) = (width, height, 40.0);
    let lo = curves
        .iter()
        .filter_map(|c| c.snr_db.first())
        .copied()
        .fold(f64::INFINITY, f64::min);
    let hi = curves
        .iter()
        .filter_map(|c| c.snr_db.last())
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (-10.0, 10.0)
    };
    let span = (hi - lo).max(1.0);
    let x = |snr: f64| m + (snr - lo) / span * (w - 2.0 * m);
    let y = |acc: f64| h - m - acc.clamp(0.0, 1.0) * (h - 2.0 * m);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let (x2, yy, ty, pct) = (w - m, y(t), y(t) + 4.0, 100.0 * t);
        let _ = writeln!(
            s,
            "<line x1=\"{m}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/><text x=\"4\" y=\"{ty:.1}\">{pct:.0}%</text>"
        );
    }
    let mut tick = (lo / 5.0).ceil() * 5.0;
    while tick <= hi {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{tick}</text>",
            x(tick),
            h - m + 16.0
        );
        tick += 5.0;
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">SNR (dB)</text>",
        w / 2.0,
        h - 6.0
    );
    for (k, c) in curves.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let points: Vec<String> = c
            .snr_db
            .iter()
            .zip(c.accuracy)
            .map(|(snr, acc)| format!("{:.1},{:.1}", x(*snr), y(*acc)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        if !c.label.is_empty() {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
                m + 10.0,
                m + 14.0 * k as f64,
                escape(c.label)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The accuracy curve of an evaluation report, `width × height` pixels.
pub fn report_svg(report: &Report, width: f64, height: f64) -> String {
    let snr: Vec<f64> = report.per_snr.iter().map(|a| a.snr_db).collect();
    let acc: Vec<f64> = report.per_snr.iter().map(|a| a.accuracy).collect();
    accuracy_svg(
        &[Curve {
            label: "",
            snr_db: &snr,
            accuracy: &acc,
        }],
        width,
        height,
    )
}

/// Escapes text for SVG.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_map_onto_the_axes_and_labels_are_escaped() {
        let snr = [-10.0, 0.0, 10.0];
        let acc = [0.0, 0.5, 1.0];
        let s = accuracy_svg(
            &[Curve {
                label: "a<b",
                snr_db: &snr,
                accuracy: &acc,
            }],
            480.0,
            300.0,
        );
        // x: 40 .. 440, y: 260 (0 %) .. 40 (100 %)
        assert!(
            s.contains("points=\"40.0,260.0 240.0,150.0 440.0,40.0\""),
            "{s}"
        );
        assert!(s.contains(">-10</text>") && s.contains(">10</text>"));
        assert!(s.contains("a&lt;b"));
        assert_eq!(s.matches("<polyline").count(), 1);
    }
}
