//! The one place that picks the Burn backend, by cargo feature:
//! `cuda` → burn-cuda, else `wgpu` → burn-wgpu, else `ndarray` → burn-ndarray, else
//! `candle` → burn-candle, else `tch` → burn-tch (LibTorch) (those three kept only to
//! compare CPU backends, `scripts/bench_backends.sh`), else the Flex CPU backend (default:
//! the faster pure-Rust CPU backend here, see the README's benchmarks).

use anyhow::{Context, Result};
use burn::tensor::{backend::Backend as _, Tensor};

/// The inference backend chosen at build time.
#[cfg(feature = "cuda")]
pub type Backend = burn::backend::Cuda;
/// The inference backend chosen at build time.
#[cfg(all(feature = "wgpu", not(feature = "cuda")))]
pub type Backend = burn::backend::Wgpu;
/// The inference backend chosen at build time.
#[cfg(all(feature = "ndarray", not(any(feature = "wgpu", feature = "cuda"))))]
pub type Backend = burn::backend::NdArray;
/// The inference backend chosen at build time.
#[cfg(all(
    feature = "candle",
    not(any(feature = "wgpu", feature = "cuda", feature = "ndarray"))
))]
#[allow(deprecated)] // burn-candle is deprecated upstream; kept here only as a comparison row
pub type Backend = burn::backend::Candle;
/// The inference backend chosen at build time.
#[cfg(all(
    feature = "tch",
    not(any(
        feature = "wgpu",
        feature = "cuda",
        feature = "ndarray",
        feature = "candle"
    ))
))]
pub type Backend = burn::backend::LibTorch;
/// The inference backend chosen at build time.
#[cfg(not(any(
    feature = "wgpu",
    feature = "cuda",
    feature = "ndarray",
    feature = "candle",
    feature = "tch"
)))]
pub type Backend = burn::backend::Flex;

/// The training backend: [`Backend`] with automatic differentiation.
pub type TrainBackend = burn::backend::Autodiff<Backend>;

/// The device type of [`Backend`].
pub type Device = burn::tensor::Device<Backend>;

/// Human-readable name of the compiled-in backend.
pub fn name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda (burn-cuda)"
    } else if cfg!(feature = "wgpu") {
        "wgpu (burn-wgpu)"
    } else if cfg!(feature = "ndarray") {
        "cpu (burn-ndarray)"
    } else if cfg!(feature = "candle") {
        "cpu (burn-candle)"
    } else if cfg!(feature = "tch") {
        "cpu (burn-tch, LibTorch)"
    } else {
        "cpu (burn-flex)"
    }
}

/// Whether a CUDA driver library (`libcuda.so.1`) is present where the loader looks.
///
/// burn-cuda loads it at run time and panics at the first tensor operation without it, so
/// we look before we leap.
pub fn cuda_driver_present() -> bool {
    let mut dirs: Vec<String> = std::env::var("LD_LIBRARY_PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    dirs.extend(
        [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib64",
            "/usr/lib",
            "/usr/local/cuda/lib64",
            "/usr/local/cuda/compat",
            "/usr/lib/wsl/lib",
            "/usr/local/nvidia/lib64",
            "/usr/lib/aarch64-linux-gnu",
        ]
        .map(String::from),
    );
    dirs.iter()
        .any(|d| std::path::Path::new(d).join("libcuda.so.1").exists())
}

/// The device to run on, after checking that the backend can work on this machine.
pub fn device() -> Result<Device> {
    if cfg!(feature = "cuda") && !cuda_driver_present() {
        anyhow::bail!(
            "this binary was built with `--features cuda` but no CUDA driver (libcuda.so.1) \
             was found; run on a machine with an NVIDIA driver, or rebuild without `cuda` \
             to use the CPU backend"
        );
    }
    Ok(Device::default())
}

/// `n` devices of the backend's default kind for data-parallel training (device 0 first);
/// errors when the machine has fewer (the CPU backend has one).
pub fn devices(n: usize) -> Result<Vec<Device>> {
    let first = device()?;
    if n <= 1 {
        return Ok(vec![first]);
    }
    let id = burn::tensor::backend::DeviceOps::id(&first);
    let available = <Backend as burn::tensor::backend::Backend>::device_count(id.type_id);
    if n > available {
        anyhow::bail!(
            "--devices {n}: the {} backend sees {available} device(s) of this kind",
            name()
        );
    }
    Ok((0..n)
        .map(|i| {
            <Device as burn::tensor::backend::Device>::from_id(burn::tensor::backend::DeviceId {
                type_id: id.type_id,
                index_id: i as u16,
            })
        })
        .collect())
}

/// Runs a small matrix product on the backend and returns the sum of its entries
/// (a smoke test that the backend works here; the exact answer is 8·4·4 = 128).
pub fn smoke_test(device: &Device) -> f32 {
    let a = Tensor::<Backend, 2>::ones([4, 8], device);
    let b = Tensor::<Backend, 2>::ones([8, 4], device);
    let s = a.matmul(b).sum().into_scalar();
    Backend::sync(device).ok();
    s
}

/// `fipmae info`: names the compiled-in backend and runs the smoke test.
pub fn info() -> Result<()> {
    println!("backend: {}", name());
    let device = device()?;
    let s = smoke_test(&device);
    println!("smoke test (4×8 · 8×4 ones, summed): {s} (expected 128)");
    Ok(())
}

/// A fresh autoencoder, the same on every backend: drawn on the CPU (Flex, seeded by
/// `seed`) and moved to `device` through its weight file. GPU backends draw other random
/// numbers than the CPU for the same seed, so initialising on the device would make a run
/// depend on where it ran.
pub fn portable_autoencoder(
    config: &model::config::FipMaeConfig,
    seed: u64,
    device: &Device,
) -> Result<model::mae::FipMae<TrainBackend>> {
    use model::weights::{autoencoder_from_bytes, autoencoder_to_bytes, Precision};
    let cpu = Default::default();
    burn::backend::Flex::seed(&cpu, seed);
    let m = config.init::<burn::backend::Flex>(&cpu)?;
    Ok(autoencoder_from_bytes::<TrainBackend>(
        &autoencoder_to_bytes(&m, Precision::Full),
        Some(config),
        device,
    )?)
}

/// A fresh classifier (with the encoder of the `pretrained` autoencoder's weight file, if
/// given), drawn on the CPU and moved to `device` as [`portable_autoencoder`] does.
pub fn portable_classifier(
    config: &model::config::ClassifierConfig,
    pretrained: Option<&[u8]>,
    seed: u64,
    device: &Device,
) -> Result<model::classifier::AmcClassifier<TrainBackend>> {
    use burn::backend::Flex;
    use model::weights::{
        autoencoder_from_bytes, classifier_from_bytes, classifier_to_bytes, Precision,
    };
    let cpu = Default::default();
    Flex::seed(&cpu, seed);
    let c = match pretrained {
        Some(bytes) => {
            let mae = autoencoder_from_bytes::<Flex>(bytes, Some(&config.mae), &cpu)
                .context("loading the pretrained autoencoder")?;
            config.init_from_pretrained(&mae, &cpu)?
        }
        None => config.init::<Flex>(&cpu)?,
    };
    Ok(classifier_from_bytes::<TrainBackend>(
        &classifier_to_bytes(&c, Precision::Full),
        Some(config),
        device,
    )?)
}
