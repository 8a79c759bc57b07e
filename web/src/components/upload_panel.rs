//! "Your own recording": drop or pick SigMF files (`.sigmf-meta` + `.sigmf-data`, or a
//! `.sigmf` archive) or a raw `cf32` capture; every annotated burst (or window) is
//! classified and listed. Bad files give a message in the page.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, FileList};

use crate::state::EngineHandle;
use crate::upload::{classify_files, MAX_UPLOAD_BYTES};

/// The files of a `FileList`.
fn files_of(list: &FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The upload panel: a file picker and drop zone (`#upload`), the verdict table
/// (`#upload-table`) and the problems (`#upload-errors`).
#[component]
pub fn UploadPanel(
    /// The loaded engine.
    engine: EngineHandle,
) -> impl IntoView {
    // one upload = one run of this action; its value is the latest (verdicts, problems)
    let classify = Action::new_local(move |files: &Vec<File>| {
        let files = files.clone();
        async move {
            match engine.try_get_value().flatten() {
                Some(e) => classify_files(&e, files).await,
                None => (Vec::new(), Vec::new()),
            }
        }
    });
    let verdicts = move || classify.value().get().map(|(v, _)| v).unwrap_or_default();
    let errors = move || classify.value().get().map(|(_, e)| e).unwrap_or_default();
    let busy = classify.pending();
    let handle = move |files: Vec<File>| {
        if !files.is_empty() {
            classify.dispatch_local(files);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let files = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .map(|l| files_of(&l))
            .unwrap_or_default();
        handle(files);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let files = ev
            .data_transfer()
            .and_then(|d| d.files())
            .map(|l| files_of(&l))
            .unwrap_or_default();
        handle(files);
    };
    let rows = move || {
        verdicts()
            .into_iter()
            .map(|v| {
                view! {
                    <tr>
                        <td>{v.recording}</td>
                        <td>{v.sample_start}</td>
                        <td>{v.sample_count}</td>
                        <td>{v.label.unwrap_or_else(|| "-".into())}</td>
                        <td class=if v.unknown { "unknown" } else { "" }>
                            {if v.unknown {
                                format!("unknown (closest {})", v.predicted)
                            } else {
                                v.predicted.clone()
                            }}
                        </td>
                        <td>{format!("{:.1} %", 100.0 * v.probability)}</td>
                        <td>{v.score.map_or("-".to_string(), |s| format!("{s:+.2}"))}</td>
                        <td>
                            {v
                                .carrier_offset
                                .filter(|f| f.is_finite())
                                .map_or("-".to_string(), |f| format!("{f:+.2e}"))}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="upload">
            <h2>"Your own recording"</h2>
            <div
                id="upload"
                class="drop"
                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop
            >
                <p>
                    "Drop a SigMF recording (.sigmf-meta with its .sigmf-data, or a .sigmf archive) "
                    "or a raw cf32 capture here, or "
                    <input
                        id="upload-input"
                        type="file"
                        multiple=true
                        accept=".sigmf-meta,.sigmf-data,.sigmf,.cf32,.cfile,.iq,.raw"
                        on:change=on_pick
                    />
                </p>
                <p class="hint">
                    {format!(
                        "Up to {:.0} MiB per file. Annotated bursts are classified one by one; \
                         recordings without annotations in consecutive windows.",
                        MAX_UPLOAD_BYTES / 1048576.0
                    )}
                </p>
            </div>
            <p class="busy">{move || if busy.get() { "classifying…" } else { "" }}</p>
            <ul id="upload-errors" class="error">
                {move || {
                    errors().into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()
                }}
            </ul>
            <Show when=move || !verdicts().is_empty()>
                <table id="upload-table">
                    <thead>
                        <tr>
                            <th>"recording"</th>
                            <th>"first sample"</th>
                            <th>"samples"</th>
                            <th>"label"</th>
                            <th>"predicted"</th>
                            <th>"probability"</th>
                            <th title="familiarity minus the unknown threshold: below 0 the burst is unlike every class the model knows">
                                "familiarity"
                            </th>
                            <th title="the carrier offset removed before the burst was drawn, cycles/sample (times the sample rate: Hz)">
                                "offset removed"
                            </th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </Show>
        </section>
    }
}
