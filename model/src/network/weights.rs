//! Weights as bytes: one code path for native and browser, no panics on bad input.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `FIPMAEW1` |
//! | 1 | kind: 1 = autoencoder, 2 = classifier |
//! | 1 | precision: 0 = f32, 1 = f16 |
//! | 4 + n | the model's configuration as JSON (length-prefixed) |
//! | 4 | number of tensors |
//! | per tensor | rank (1 byte), dims (4 bytes each), values (f32 or f16) |
//! | 8 | FNV-1a 64 checksum of everything before |
//!
//! Tensors are the module's float parameters in visiting order, which the configuration
//! fixes; loading builds the model from the stored configuration and checks every shape.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::classifier::AmcClassifier;
use crate::config::{ClassifierConfig, ConfigError, FipMaeConfig};
use crate::mae::FipMae;

/// The magic bytes that open every weight file (inside [`seal`]'s envelope).
pub const MAGIC: &[u8; 8] = b"FIPMAEW1";

/// Storage precision of the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 32-bit floats: bit-exact round trip.
    Full,
    /// 16-bit floats: half the size, ~3 significant digits.
    Half,
}

/// What a weight file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A [`FipMae`] autoencoder.
    Autoencoder = 1,
    /// An [`AmcClassifier`].
    Classifier = 2,
}

/// Why weights could not be loaded.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum WeightsError {
    /// Not a fipmae weight file.
    #[error("not a fipmae weight file (bad magic bytes)")]
    Magic,
    /// The bytes end early.
    #[error("weight file is truncated: needed {needed} more bytes at offset {offset}")]
    Truncated {
        /// Where reading stopped.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// The checksum does not match: the bytes were altered.
    #[error("weight file is corrupt: checksum mismatch")]
    Checksum,
    /// A header field has an impossible value.
    #[error("weight file is corrupt: {0}")]
    Header(String),
    /// The file holds another kind of model.
    #[error("weight file holds a {got:?}, expected a {expected:?}")]
    Kind {
        /// Kind asked for.
        expected: Kind,
        /// Kind found.
        got: Kind,
    },
    /// The stored configuration is unreadable or invalid.
    #[error("weight file's configuration is invalid: {0}")]
    Config(String),
    /// The stored configuration differs from the one the caller expects.
    #[error("weight file's configuration does not match the expected one")]
    ConfigMismatch,
    /// A tensor's shape differs from the one the configuration builds.
    #[error("tensor {index} has shape {got:?} but the configuration builds {expected:?}")]
    Shape {
        /// Index of the tensor in file order.
        index: usize,
        /// Shape the configuration builds.
        expected: Vec<usize>,
        /// Shape in the file.
        got: Vec<usize>,
    },
    /// The file holds more or fewer tensors than the model has.
    #[error("weight file holds {got} tensors, the model has {expected}")]
    Count {
        /// Tensors in the model.
        expected: usize,
        /// Tensors in the file.
        got: usize,
    },
    /// A value is NaN or infinite.
    #[error("tensor {0} holds a non-finite value")]
    NonFinite(usize),
}

impl From<ConfigError> for WeightsError {
    fn from(e: ConfigError) -> Self {
        WeightsError::Config(e.to_string())
    }
}

/// FNV-1a 64-bit checksum (the integrity check of [`seal`]).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Why a sealed envelope was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes do not start with the expected magic.
    #[error("bad magic bytes")]
    Magic,
    /// Shorter than magic + checksum.
    #[error("truncated: {needed} bytes short of magic and checksum")]
    Truncated {
        /// Bytes missing.
        needed: usize,
    },
    /// The checksum does not match: the bytes were altered or cut.
    #[error("checksum mismatch")]
    Checksum,
}

/// The checksummed envelope of weight files and checkpoints: `magic ‖ body ‖ FNV-1a 64 of
/// (magic ‖ body)`, little-endian.
pub fn seal(magic: &[u8; 8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(magic.len() + body.len() + 8);
    out.extend_from_slice(magic);
    out.extend_from_slice(body);
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// The body of a [`seal`]ed envelope, after checking its magic, its length and its
/// checksum.
pub fn unseal<'a>(magic: &[u8; 8], bytes: &'a [u8]) -> Result<&'a [u8], EnvelopeError> {
    if bytes.len() < magic.len() || &bytes[..magic.len()] != magic {
        return Err(EnvelopeError::Magic);
    }
    if bytes.len() < magic.len() + 8 {
        return Err(EnvelopeError::Truncated {
            needed: magic.len() + 8 - bytes.len(),
        });
    }
    let (sealed, sum) = bytes.split_at(bytes.len() - 8);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if fnv1a(sealed) != u64::from_le_bytes(s) {
        return Err(EnvelopeError::Checksum);
    }
    Ok(&sealed[magic.len()..])
}

struct Collect {
    tensors: Vec<(Vec<usize>, Vec<f32>)>,
}

impl<B: Backend> ModuleVisitor<B> for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let t = param.val();
        let dims = t.dims().to_vec();
        let values = t
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .unwrap_or_default();
        self.tensors.push((dims, values));
    }
}

fn encode<B: Backend, M: Module<B>>(
    module: &M,
    kind: Kind,
    config: &str,
    precision: Precision,
) -> Vec<u8> {
    let mut c = Collect {
        tensors: Vec::new(),
    };
    module.visit(&mut c);
    let mut out = Vec::new();
    out.push(kind as u8);
    out.push(match precision {
        Precision::Full => 0,
        Precision::Half => 1,
    });
    out.extend_from_slice(&(config.len() as u32).to_le_bytes());
    out.extend_from_slice(config.as_bytes());
    out.extend_from_slice(&(c.tensors.len() as u32).to_le_bytes());
    for (dims, values) in &c.tensors {
        out.push(dims.len() as u8);
        for d in dims {
            out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        for v in values {
            match precision {
                Precision::Full => out.extend_from_slice(&v.to_le_bytes()),
                Precision::Half => out.extend_from_slice(&half::f16::from_f32(*v).to_le_bytes()),
            }
        }
    }
    seal(MAGIC, &out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WeightsError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(WeightsError::Truncated {
                offset: self.pos,
                needed: n.saturating_sub(self.bytes.len().saturating_sub(self.pos)),
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, WeightsError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, WeightsError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A parsed weight file.
struct Parsed {
    kind: Kind,
    config: String,
    tensors: Vec<(Vec<usize>, Vec<f32>)>,
}

/// The body of a weight file's envelope (magic, length and checksum checked).
fn open(bytes: &[u8]) -> Result<&[u8], WeightsError> {
    unseal(MAGIC, bytes).map_err(|e| match e {
        EnvelopeError::Magic => WeightsError::Magic,
        EnvelopeError::Truncated { needed } => WeightsError::Truncated {
            offset: bytes.len(),
            needed,
        },
        EnvelopeError::Checksum => WeightsError::Checksum,
    })
}

fn parse(bytes: &[u8]) -> Result<Parsed, WeightsError> {
    let body = open(bytes)?;
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    let kind = match r.u8()? {
        1 => Kind::Autoencoder,
        2 => Kind::Classifier,
        k => return Err(WeightsError::Header(format!("unknown kind {k}"))),
    };
    let half = match r.u8()? {
        0 => false,
        1 => true,
        p => return Err(WeightsError::Header(format!("unknown precision {p}"))),
    };
    let n = r.u32()? as usize;
    let config = String::from_utf8(r.take(n)?.to_vec())
        .map_err(|_| WeightsError::Header("configuration is not UTF-8".into()))?;
    let count = r.u32()? as usize;
    let mut tensors = Vec::with_capacity(count.min(4096));
    for index in 0..count {
        let rank = r.u8()? as usize;
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(r.u32()? as usize);
        }
        let numel = dims
            .iter()
            .try_fold(1usize, |a, d| a.checked_mul(*d))
            .ok_or_else(|| WeightsError::Header(format!("tensor {index} is impossibly large")))?;
        let width = if half { 2 } else { 4 };
        let raw = r.take(numel.checked_mul(width).ok_or(WeightsError::Truncated {
            offset: r.pos,
            needed: usize::MAX,
        })?)?;
        let values: Vec<f32> = if half {
            raw.chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect()
        } else {
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        if values.iter().any(|v| !v.is_finite()) {
            return Err(WeightsError::NonFinite(index));
        }
        tensors.push((dims, values));
    }
    if r.pos != body.len() {
        return Err(WeightsError::Header(format!(
            "{} unexpected bytes after the last tensor",
            body.len() - r.pos
        )));
    }
    Ok(Parsed {
        kind,
        config,
        tensors,
    })
}

struct Load<'a, B: Backend> {
    tensors: &'a [(Vec<usize>, Vec<f32>)],
    next: usize,
    device: B::Device,
    error: Option<WeightsError>,
}

impl<B: Backend> ModuleMapper<B> for Load<'_, B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let index = self.next;
        self.next += 1;
        if self.error.is_some() {
            return param;
        }
        let (id, tensor, mapper) = param.consume();
        let expected = tensor.dims().to_vec();
        let loaded = match self.tensors.get(index) {
            None => {
                self.error = Some(WeightsError::Count {
                    expected: index + 1,
                    got: self.tensors.len(),
                });
                tensor
            }
            Some((dims, _)) if *dims != expected => {
                self.error = Some(WeightsError::Shape {
                    index,
                    expected,
                    got: dims.clone(),
                });
                tensor
            }
            Some((dims, values)) => {
                let mut shape = [0usize; D];
                shape.copy_from_slice(dims);
                // a fresh tensor is untracked: keep the parameter trainable if it was
                Tensor::from_data(TensorData::new(values.clone(), shape), &self.device)
                    .set_require_grad(tensor.is_require_grad())
            }
        };
        Param::from_mapped_value(id, loaded, mapper)
    }
}

fn load_into<B: Backend, M: Module<B>>(
    module: M,
    tensors: &[(Vec<usize>, Vec<f32>)],
    device: &B::Device,
) -> Result<M, WeightsError> {
    let mut loader = Load::<B> {
        tensors,
        next: 0,
        device: device.clone(),
        error: None,
    };
    let module = module.map(&mut loader);
    if let Some(e) = loader.error {
        return Err(e);
    }
    if loader.next != tensors.len() {
        return Err(WeightsError::Count {
            expected: loader.next,
            got: tensors.len(),
        });
    }
    Ok(module)
}

fn expect_kind(got: Kind, expected: Kind) -> Result<(), WeightsError> {
    if got != expected {
        return Err(WeightsError::Kind { expected, got });
    }
    Ok(())
}

/// A weight file with its stored configuration replaced by `json` (the tensors and the
/// rest of the header kept, the checksum redone): for tools and tests that need a file
/// whose header lies. The result is not checked.
pub fn replace_config(bytes: &[u8], json: &str) -> Result<Vec<u8>, WeightsError> {
    let body = open(bytes)?;
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    let head = r.take(2)?.to_vec();
    let n = r.u32()? as usize;
    r.take(n)?;
    let len = u32::try_from(json.len())
        .map_err(|_| WeightsError::Header("configuration too long".into()))?;
    let mut out = head;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(&body[r.pos..]);
    Ok(seal(MAGIC, &out))
}

/// Serialises an autoencoder with its configuration.
pub fn autoencoder_to_bytes<B: Backend>(model: &FipMae<B>, precision: Precision) -> Vec<u8> {
    let config = serde_json::to_string(&model.config).unwrap_or_default();
    encode(model, Kind::Autoencoder, &config, precision)
}

/// Rebuilds an autoencoder from bytes written by [`autoencoder_to_bytes`]. With
/// `expected`, the stored configuration must equal it.
pub fn autoencoder_from_bytes<B: Backend>(
    bytes: &[u8],
    expected: Option<&FipMaeConfig>,
    device: &B::Device,
) -> Result<FipMae<B>, WeightsError> {
    decode(
        bytes,
        Kind::Autoencoder,
        expected,
        |c: &FipMaeConfig| c.validate().map(|()| c.num_params()),
        |c: &FipMaeConfig| c.init::<B>(device),
        device,
    )
}

/// Parses a weight file of `kind`, checks its configuration against `expected`, validates
/// it and checks that the parameters it implies (`params`) are exactly the values the file
/// holds — so a file cannot make us build (allocate) more than it carries — then builds the
/// model with `build` and loads the tensors into it.
fn decode<B, M, C>(
    bytes: &[u8],
    kind: Kind,
    expected: Option<&C>,
    params: impl FnOnce(&C) -> Result<u128, ConfigError>,
    build: impl FnOnce(&C) -> Result<M, ConfigError>,
    device: &B::Device,
) -> Result<M, WeightsError>
where
    B: Backend,
    M: Module<B>,
    C: serde::de::DeserializeOwned + PartialEq,
{
    let p = parse(bytes)?;
    expect_kind(p.kind, kind)?;
    let config: C =
        serde_json::from_str(&p.config).map_err(|e| WeightsError::Config(e.to_string()))?;
    if expected.is_some_and(|e| *e != config) {
        return Err(WeightsError::ConfigMismatch);
    }
    let needed = params(&config)?;
    let stored: u128 = p.tensors.iter().map(|(_, v)| v.len() as u128).sum();
    if needed != stored {
        return Err(WeightsError::Header(format!(
            "the configuration needs {needed} parameters but the file holds {stored} values"
        )));
    }
    load_into(build(&config)?, &p.tensors, device)
}

/// Serialises a classifier with its configuration.
pub fn classifier_to_bytes<B: Backend>(model: &AmcClassifier<B>, precision: Precision) -> Vec<u8> {
    let config = serde_json::to_string(&model.config).unwrap_or_default();
    encode(model, Kind::Classifier, &config, precision)
}

/// Rebuilds a classifier from bytes written by [`classifier_to_bytes`]. With `expected`,
/// the stored configuration must equal it.
pub fn classifier_from_bytes<B: Backend>(
    bytes: &[u8],
    expected: Option<&ClassifierConfig>,
    device: &B::Device,
) -> Result<AmcClassifier<B>, WeightsError> {
    decode(
        bytes,
        Kind::Classifier,
        expected,
        |c: &ClassifierConfig| c.validate().map(|()| c.num_params()),
        |c: &ClassifierConfig| c.init::<B>(device),
        device,
    )
}
