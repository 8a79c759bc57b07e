//! The classifier's class probabilities as a ranked bar chart.

use leptos::prelude::*;

/// Ranked bars (`#probabilities`), the true class marked.
#[component]
pub fn ProbabilityBars(
    /// Class names.
    classes: Vec<String>,
    /// Probability per class, same order.
    probabilities: Vec<f64>,
    /// The true class, if known.
    truth: Option<String>,
) -> impl IntoView {
    let mut ranked: Vec<(String, f64)> = classes.into_iter().zip(probabilities).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let rows = ranked
        .into_iter()
        .map(|(name, p)| {
            let is_true = truth.as_deref() == Some(name.as_str());
            view! {
                <div class="bar-row" class:truth=is_true>
                    <span class="bar-label">{name.clone()}{is_true.then_some(" (true)")}</span>
                    <span class="bar" style=format!("width:{:.1}%", 100.0 * p)></span>
                    <span class="bar-value">{format!("{:.1} %", 100.0 * p)}</span>
                </div>
            }
        })
        .collect_view();
    view! { <div id="probabilities" class="bars">{rows}</div> }
}
