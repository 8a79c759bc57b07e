//! "Your own recording": drop or pick SigMF files (`.sigmf-meta` + `.sigmf-data`, or a
//! `.sigmf` archive) or a raw `cf32` capture; every annotated burst (or window) is
//! classified and listed. Bad files give a message in the page.

use js_sys::Uint8Array;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileList};

use crate::app::EngineHandle;
use crate::engine::{Engine, Verdict};
use crate::upload::{check, recordings, MAX_UPLOAD_BYTES};

/// The files of a `FileList`.
fn files_of(list: &FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Reads, checks and classifies picked files: the verdicts, and one message per problem.
pub async fn classify_files(engine: &Engine, files: Vec<File>) -> (Vec<Verdict>, Vec<String>) {
    let mut errors = Vec::new();
    let mut loaded = Vec::new();
    for f in files {
        let name = f.name();
        if let Err(e) = check(&name, f.size()) {
            errors.push(e);
            continue;
        }
        match JsFuture::from(f.array_buffer()).await {
            Ok(buf) => loaded.push((name, Uint8Array::new(&buf).to_vec())),
            Err(e) => errors.push(format!("{name}: could not be read ({e:?})")),
        }
    }
    let (verdicts, more) = classify_bytes(engine, &loaded).await;
    errors.extend(more);
    (verdicts, errors)
}

/// Classifies files already in memory, `(name, bytes)`.
pub async fn classify_bytes(
    engine: &Engine,
    files: &[(String, Vec<u8>)],
) -> (Vec<Verdict>, Vec<String>) {
    let (recs, mut errors) = recordings(files);
    let mut verdicts = Vec::new();
    for (name, rec) in recs {
        match engine.classify(&name, &rec).await {
            Ok(v) => verdicts.extend(v),
            Err(e) => errors.push(e),
        }
    }
    (verdicts, errors)
}

/// The upload panel: a file picker and drop zone (`#upload`), the verdict table
/// (`#upload-table`) and the problems (`#upload-errors`).
#[component]
pub fn UploadPanel(
    /// The loaded engine.
    engine: EngineHandle,
) -> impl IntoView {
    let verdicts = RwSignal::new(Vec::<Verdict>::new());
    let errors = RwSignal::new(Vec::<String>::new());
    let busy = RwSignal::new(false);
    let handle = move |files: Vec<File>| {
        if files.is_empty() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let Some(Some(e)) = engine.try_get_value() else {
                return;
            };
            let (v, errs) = classify_files(&e, files).await;
            verdicts.try_set(v);
            errors.try_set(errs);
            busy.try_set(false);
        });
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
        verdicts
            .get()
            .into_iter()
            .map(|v| {
                view! {
                    <tr>
                        <td>{v.recording}</td>
                        <td>{v.sample_start}</td>
                        <td>{v.sample_count}</td>
                        <td>{v.label.unwrap_or_else(|| "-".into())}</td>
                        <td>{v.predicted}</td>
                        <td>{format!("{:.1} %", 100.0 * v.probability)}</td>
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
                {move || errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
            </ul>
            <Show when=move || !verdicts.get().is_empty()>
                <table id="upload-table">
                    <thead>
                        <tr>
                            <th>"recording"</th>
                            <th>"first sample"</th>
                            <th>"samples"</th>
                            <th>"label"</th>
                            <th>"predicted"</th>
                            <th>"probability"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </Show>
        </section>
    }
}
