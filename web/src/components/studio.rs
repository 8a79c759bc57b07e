//! The signal studio: pick a class (or a modulation the model never saw), SNR, seed,
//! masking strategy and mask ratios; see each modality's noisy input, masked input,
//! reconstruction and clean target, and the classifier's ranked probabilities on the noisy
//! constellation — or its "unknown" verdict — with the inference time.

use leptos::prelude::*;
use model::config::MaskingStrategy;
use model::studio::{StudioRequest, MAX_MASK_RATIO, MAX_SNR_DB, MIN_SNR_DB};
use model::Modality;

use crate::components::image_canvas::ImageCanvas;
use crate::components::probability_bars::ProbabilityBars;
use crate::engine::StudioResult;
use crate::state::{default_request, run_studio, EngineHandle, EngineInfo};

/// The studio: controls, then the latest result (`#studio-result`) or error
/// (`#studio-error`).
#[component]
pub fn Studio(
    /// The loaded engine.
    engine: EngineHandle,
    /// What was loaded.
    info: EngineInfo,
) -> impl IntoView {
    let first = default_request(&info);
    let class = RwSignal::new(first.class.clone());
    let snr = RwSignal::new(first.snr_db);
    let seed = RwSignal::new(first.seed);
    let strategy = RwSignal::new(first.strategy);
    let ratios = RwSignal::new(first.mask_ratios.clone());
    let busy = RwSignal::new(false);
    let request = Memo::new(move |_| StudioRequest {
        class: class.get(),
        snr_db: snr.get(),
        seed: seed.get(),
        strategy: strategy.get(),
        mask_ratios: ratios.get(),
    });
    // keyed on the request: a newer request supersedes a pending one
    let result = LocalResource::new(move || run_studio(engine, request.get()));

    let class_options = info
        .classes
        .iter()
        .map(|c| view! { <option value=c.clone()>{c.clone()}</option> })
        .collect_view();
    // modulations the model never saw: what its "unknown" verdict is for
    let foreign_options = model::signal::Foreign::ALL
        .iter()
        .map(|f| f.name().to_string())
        .filter(|n| !info.classes.contains(n))
        .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
        .collect_view();
    let ratio_sliders = info
        .ratios
        .iter()
        .enumerate()
        .map(|(i, (m, _))| {
            let m: Modality = *m;
            let value = move || ratios.get().get(i).map_or(0.0, |r| r.1);
            view! {
                <label class="ratio">
                    {format!("{} mask ratio ", m.name())}
                    <input
                        type="range"
                        min="0"
                        max=MAX_MASK_RATIO.to_string()
                        step="0.05"
                        prop:value=move || value().to_string()
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                ratios.update(|r| {
                                    if let Some(slot) = r.get_mut(i) {
                                        slot.1 = v.clamp(0.0, MAX_MASK_RATIO);
                                    }
                                });
                            }
                        }
                    />
                    <output>{move || format!("{:.2}", value())}</output>
                </label>
            }
        })
        .collect_view();
    let classes = info.classes.clone();
    view! {
        <section class="studio">
            <h2>"Signal studio"</h2>
            <div class="controls">
                <label>
                    "Class "
                    <select
                        id="studio-class"
                        prop:value=move || class.get()
                        on:change=move |ev| class.set(event_target_value(&ev))
                    >
                        {class_options}
                        <optgroup label="never trained on">{foreign_options}</optgroup>
                    </select>
                </label>
                <label>
                    {move || format!("SNR {:+.0} dB ", snr.get())}
                    <input
                        id="studio-snr"
                        type="range"
                        min=MIN_SNR_DB.to_string()
                        max=MAX_SNR_DB.to_string()
                        step="1"
                        prop:value=move || snr.get().to_string()
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                snr.set(v.clamp(MIN_SNR_DB, MAX_SNR_DB));
                            }
                        }
                    />
                </label>
                <label>
                    "Seed "
                    <input
                        id="studio-seed"
                        type="number"
                        min="0"
                        prop:value=move || seed.get().to_string()
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).trim().parse::<u64>() {
                                seed.set(v);
                            }
                        }
                    />
                </label>
                <button
                    id="studio-new"
                    on:click=move |_| seed.set((js_sys::Math::random() * 1e9) as u64)
                >
                    "New random burst"
                </button>
                <label>
                    "Masking "
                    <select
                        id="studio-strategy"
                        on:change=move |ev| {
                            if let Ok(s) = event_target_value(&ev).parse::<MaskingStrategy>() {
                                strategy.set(s);
                            }
                        }
                    >
                        <option value="random">"random (MAE)"</option>
                        <option value="salience">"salience (SBAM)"</option>
                        <option value="adaptive">"adaptive (AMR)"</option>
                    </select>
                </label>
                {ratio_sliders}
            </div>
            <p class="busy">{move || if busy.get() { "running…" } else { "" }}</p>
            <Transition fallback=|| view! { <p>"…"</p> } set_pending=busy.write_only()>
                {move || {
                    result
                        .get()
                        .map(|r| match r {
                            Err(e) => {
                                view! { <p id="studio-error" class="error">{e.to_string()}</p> }
                                    .into_any()
                            }
                            Ok(r) => studio_view(r, classes.clone()).into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// One studio result: the prediction line, the bars, and a row of four images per modality.
fn studio_view(r: StudioResult, classes: Vec<String>) -> impl IntoView {
    let prediction = r.prediction_line(&classes);
    let rows = r
        .views
        .into_iter()
        .map(|mv| {
            let (psnr_db, noisy_psnr_db) = (mv.psnr_db, mv.noisy_psnr_db);
            let v = mv.views;
            let m = v.modality;
            view! {
                <div class="modality-row">
                    <h3>
                        {format!(
                            "{} — {:.0} % of patches masked; PSNR {:.1} dB reconstructed vs {}",
                            m.name(),
                            100.0 * v.masked_fraction,
                            psnr_db,
                            if noisy_psnr_db.is_finite() {
                                format!("{:.1} dB noisy", noisy_psnr_db)
                            } else {
                                "the noisy input, which is the target here".to_string()
                            }
                        )}
                    </h3>
                    <ImageCanvas image=v.noisy modality=m caption="noisy input".to_string()/>
                    <ImageCanvas image=v.masked modality=m caption="masked input".to_string()/>
                    <ImageCanvas
                        image=v.reconstruction
                        modality=m
                        caption="reconstruction".to_string()
                    />
                    <ImageCanvas image=v.clean modality=m caption="clean target".to_string()/>
                </div>
            }
        })
        .collect_view();
    view! {
        <div id="studio-result">
            <p id="prediction">{prediction}</p>
            <p id="studio-time">
                {format!("{:.1} ms for reconstruction + classification on {}", r.ms, r.backend)}
            </p>
            <ProbabilityBars
                classes=classes
                probabilities=r.probabilities
                truth=Some(r.true_class)
            />
            {rows}
        </div>
    }
}
