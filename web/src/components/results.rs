//! The shipped evaluation report: accuracy against SNR as a line chart, and the
//! reconstruction quality when the report has it.

use leptos::prelude::*;
use model::report::Report;

use crate::error::WebError;

/// `(x, y)` pixel coordinates of each point of the accuracy curve in a `w × h` chart with
/// margin `m`.
fn points(r: &Report, w: f64, h: f64, m: f64) -> Vec<(f64, f64)> {
    let lo = r.per_snr.first().map_or(-10.0, |a| a.snr_db);
    let hi = r.per_snr.last().map_or(10.0, |a| a.snr_db);
    let span = (hi - lo).max(1.0);
    r.per_snr
        .iter()
        .map(|a| {
            (
                m + (a.snr_db - lo) / span * (w - 2.0 * m),
                h - m - a.accuracy.clamp(0.0, 1.0) * (h - 2.0 * m),
            )
        })
        .collect()
}

/// The report's curve and numbers (`#results`), or why there are none.
#[component]
pub fn Results(
    /// The report, absent, or why it could not be read.
    report: Result<Option<Report>, WebError>,
) -> impl IntoView {
    let body = match report {
        Err(e) => {
            view! { <p class="error">{format!("The shipped report could not be read: {e}")}</p> }
                .into_any()
        }
        Ok(None) => view! { <p>"This bundle ships no evaluation report."</p> }.into_any(),
        Ok(Some(r)) => {
            let (w, h, m) = (480.0, 260.0, 36.0);
            let pts = points(&r, w, h, m);
            let line = pts
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ");
            let grid = [0.0, 0.25, 0.5, 0.75, 1.0]
                .into_iter()
                .map(|t| {
                    let y = h - m - t * (h - 2.0 * m);
                    view! {
                        <line x1=m x2=w - m y1=y y2=y stroke="#ddd"></line>
                        <text x="2" y=y + 4.0>{format!("{:.0}%", 100.0 * t)}</text>
                    }
                })
                .collect_view();
            let ticks = r
                .per_snr
                .iter()
                .zip(&pts)
                .filter(|(a, _)| a.snr_db.rem_euclid(5.0) == 0.0)
                .map(|(a, (x, _))| {
                    view! { <text x=*x y=h - m + 14.0 text-anchor="middle">{a.snr_db}</text> }
                })
                .collect_view();
            let recon = r.reconstruction.as_ref().map(|rc| {
                let cells = rc
                    .overall
                    .iter()
                    .map(|q| {
                        view! {
                            <tr>
                                <td>{q.modality.name()}</td>
                                <td>{format!("{:.1} dB / {:.3}", q.psnr_db, q.ssim)}</td>
                                <td>{format!("{:.1} dB / {:.3}", q.input_psnr_db, q.input_ssim)}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <table class="recon">
                        <thead>
                            <tr>
                                <th>"modality"</th>
                                <th>"reconstruction PSNR / SSIM"</th>
                                <th>"noisy input PSNR / SSIM"</th>
                            </tr>
                        </thead>
                        <tbody>{cells}</tbody>
                    </table>
                }
            });
            view! {
                <p>
                    {format!(
                        "Accuracy of the shipped classifier on its test set (seed {}): {:.1} % overall, {:.1} % mean over 0..10 dB.",
                        r.test_seed,
                        100.0 * r.overall,
                        100.0 * r.mean_0_to_10_db
                    )}
                </p>
                <svg
                    id="accuracy-chart"
                    width=w
                    height=h
                    viewBox=format!("0 0 {w} {h}")
                    font-size="11"
                >
                    {grid}
                    {ticks}
                    <text x=w / 2.0 y=h - 4.0 text-anchor="middle">"SNR (dB)"</text>
                    <polyline fill="none" stroke="#1f77b4" stroke-width="2" points=line></polyline>
                </svg>
                {recon}
            }
                .into_any()
        }
    };
    view! {
        <section id="results" class="results">
            <h2>"Results"</h2>
            {body}
        </section>
    }
}
