//! Rendered images to Burn tensors, and tensors back to host values (the one read-back
//! path: synchronous natively, [`read_async`] in the browser, where WebGPU forbids the
//! synchronous read).

use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::modality::Image;

/// Why images could not be stacked into a batch.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum BatchError {
    /// No images were given.
    #[error("cannot build a batch from zero images")]
    Empty,
    /// Images of different shapes were given.
    #[error("image {index} is {got:?} (channels, size) but the batch is {expected:?}")]
    Shape {
        /// Index of the offending image.
        index: usize,
        /// `(channels, size)` of the first image.
        expected: (usize, usize),
        /// `(channels, size)` of the offending image.
        got: (usize, usize),
    },
    /// A tensor could not be read back to the host.
    #[error("reading a tensor back: {0}")]
    Read(String),
}

fn values(data: TensorData) -> Result<Vec<f32>, BatchError> {
    data.convert::<f32>()
        .into_vec::<f32>()
        .map_err(|e| BatchError::Read(format!("{e:?}")))
}

/// A host copy of a float tensor's values, row-major (synchronous: native code only).
pub fn read<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<Vec<f32>, BatchError> {
    values(t.into_data())
}

/// [`read`] without blocking: what the browser uses (WebGPU forbids synchronous reads).
pub async fn read_async<B: Backend, const D: usize>(
    t: Tensor<B, D>,
) -> Result<Vec<f32>, BatchError> {
    values(
        t.into_data_async()
            .await
            .map_err(|e| BatchError::Read(format!("{e:?}")))?,
    )
}

/// The first value of a tensor (a loss), NaN when it is empty.
pub fn read_scalar<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<f64, BatchError> {
    Ok(read(t)?.first().copied().unwrap_or(f32::NAN) as f64)
}

/// Stacks images into one tensor.
///
/// # Shapes
/// - output: `[batch, channels, size, size]`
pub fn images_to_tensor<B: Backend>(
    images: &[&Image],
    device: &B::Device,
) -> Result<Tensor<B, 4>, BatchError> {
    let first = images.first().ok_or(BatchError::Empty)?;
    let expected = (first.channels, first.size);
    let mut data = Vec::with_capacity(images.len() * first.data.len());
    for (index, img) in images.iter().enumerate() {
        let got = (img.channels, img.size);
        if got != expected || img.data.len() != first.data.len() {
            return Err(BatchError::Shape {
                index,
                expected,
                got,
            });
        }
        data.extend_from_slice(&img.data);
    }
    let shape = [images.len(), expected.0, expected.1, expected.1];
    Ok(Tensor::from_data(TensorData::new(data, shape), device))
}
