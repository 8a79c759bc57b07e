//! Whether this page can run Burn's wgpu backend on WebGPU, asked without panicking.
//!
//! Burn (cubecl) panics when it finds no adapter, and a panic kills a wasm page, so the
//! adapter and a device are requested here first through `navigator.gpu`; only when both
//! arrive is Burn's device initialised, once per page (a second initialisation fails).

use std::cell::Cell;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// Whether Burn's WebGPU device is initialised on this page.
    static READY: Cell<bool> = const { Cell::new(false) };
}

/// `obj[name]`, or an error naming it.
fn get(obj: &JsValue, name: &str) -> Result<JsValue, String> {
    Reflect::get(obj, &JsValue::from_str(name)).map_err(|e| format!("reading `{name}`: {e:?}"))
}

/// Calls method `name` of `obj` with no arguments and awaits the promise it returns.
async fn call_async(obj: &JsValue, name: &str) -> Result<JsValue, String> {
    let f: Function = get(obj, name)?
        .dyn_into()
        .map_err(|_| format!("`{name}` is not a function"))?;
    let p: Promise = f
        .call0(obj)
        .map_err(|e| format!("{name}() threw {e:?}"))?
        .dyn_into()
        .map_err(|_| format!("{name}() returned no promise"))?;
    JsFuture::from(p)
        .await
        .map_err(|e| format!("{name}() failed: {}", describe(&e)))
}

fn describe(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| get(v, "message").ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{v:?}"))
}

/// Asks the browser for a WebGPU adapter and device; returns the adapter's description, or
/// why WebGPU cannot be used (the page shows that reason).
pub async fn probe() -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let gpu = get(window.navigator().as_ref(), "gpu")?;
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let adapter = call_async(&gpu, "requestAdapter").await?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("navigator.gpu.requestAdapter() found no adapter".into());
    }
    let device = call_async(&adapter, "requestDevice").await?;
    if let Ok(destroy) = get(&device, "destroy").and_then(|d| {
        d.dyn_into::<Function>()
            .map_err(|_| "not a function".to_string())
    }) {
        let _ = destroy.call0(&device);
    }
    let info = get(&adapter, "info").unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| {
        get(&info, k)
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let name = [field("vendor"), field("architecture"), field("description")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(if name.is_empty() {
        "unnamed adapter".into()
    } else {
        name
    })
}

/// Probes, then initialises Burn's WebGPU device once per page.
pub async fn init() -> Result<String, String> {
    let adapter = probe().await?;
    if !READY.with(Cell::get) {
        burn::backend::wgpu::init_setup_async::<burn::backend::wgpu::graphics::WebGpu>(
            &burn::backend::wgpu::WgpuDevice::default(),
            Default::default(),
        )
        .await;
        READY.with(|r| r.set(true));
    }
    Ok(adapter)
}
