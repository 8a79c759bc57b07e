//! The shipped evaluation report: accuracy against SNR as a line chart, and the
//! reconstruction quality when the report has it.

use leptos::prelude::*;
use model::report::Report;

use crate::error::WebError;

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
            let chart = model::plot::report_svg(&r, 480.0, 280.0);
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
                <div id="accuracy-chart" inner_html=chart></div>
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
