//! Fetching the exported bundle from the static site, with byte-level progress.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

use crate::engine::BundleFiles;
use crate::error::WebError;

/// Largest file the page downloads, bytes (the shipped weights are far below it).
pub const MAX_DOWNLOAD_BYTES: usize = 256 * 1024 * 1024;

fn js_err(what: &str, e: JsValue) -> String {
    let msg = Reflect::get(&e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    format!("{what}: {msg}")
}

/// Fetches `url` as bytes, calling `progress(received, total)` as chunks arrive (`total` is
/// `None` when the server sends no length).
pub async fn fetch_bytes(
    url: &str,
    progress: &dyn Fn(usize, Option<usize>),
) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| js_err(&format!("fetching {url}"), e))?
        .dyn_into()
        .map_err(|_| format!("fetching {url}: not a response"))?;
    if !resp.ok() {
        return Err(format!(
            "fetching {url}: HTTP {} {}",
            resp.status(),
            resp.status_text()
        ));
    }
    let total = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if total.is_some_and(|t| t > MAX_DOWNLOAD_BYTES) {
        return Err(format!("{url} is larger than {MAX_DOWNLOAD_BYTES} bytes"));
    }
    let Some(body) = resp.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| format!("fetching {url}: no stream reader"))?;
    let mut out = Vec::with_capacity(total.unwrap_or(0));
    progress(0, total);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| js_err(&format!("reading {url}"), e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_err(|e| js_err(&format!("reading {url}"), e))?;
        let bytes: Uint8Array = value
            .dyn_into()
            .map_err(|_| format!("reading {url}: a chunk is not bytes"))?;
        out.extend_from_slice(&bytes.to_vec());
        if out.len() > MAX_DOWNLOAD_BYTES {
            return Err(format!("{url} is larger than {MAX_DOWNLOAD_BYTES} bytes"));
        }
        progress(out.len(), total);
    }
    Ok(out)
}

/// Fetches a bundle folder (`base` ends with `/`): `bundle.json`, then the files it names.
/// `progress(file, received, total)` reports each file.
pub async fn fetch_bundle(
    base: &str,
    progress: &dyn Fn(&str, usize, Option<usize>),
) -> Result<BundleFiles, WebError> {
    let get = |name: String| async move {
        let url = format!("{base}{name}");
        fetch_bytes(&url, &|got, total| progress(&name, got, total))
            .await
            .map_err(WebError::Fetch)
    };
    let index = get("bundle.json".into()).await?;
    let bundle = model::bundle::Bundle::from_json(&index).map_err(|e| WebError::Json {
        file: format!("{base}bundle.json"),
        reason: e.to_string(),
    })?;
    let classifier = get(bundle.classifier.clone()).await?;
    let autoencoder = match &bundle.autoencoder {
        Some(name) => Some(get(name.clone()).await?),
        None => None,
    };
    let report = match &bundle.report {
        Some(name) => Some(get(name.clone()).await?),
        None => None,
    };
    let calibration = match &bundle.calibration {
        Some(name) => Some(get(name.clone()).await?),
        None => None,
    };
    Ok(BundleFiles {
        bundle: index,
        classifier,
        autoencoder,
        report,
        calibration,
    })
}
