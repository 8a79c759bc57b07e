//! The AMC classifier: the target modality's patch embedding and the shared encoder, no
//! masking, mean-pooled patch tokens, LayerNorm, an MLP head.

use burn::module::Module;
use burn::nn::{Gelu, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::{ClassifierConfig, ConfigError};
use crate::encoder::{materialize, Encoder};
use crate::mae::{FipMae, ModelError};

/// Modulation classifier over the target modality's images.
///
/// Parameters are visited in field order (the encoder's, then the head's), which fixes
/// the tensor order of weight files: **do not reorder fields**.
#[derive(Module, Debug)]
pub struct AmcClassifier<B: Backend> {
    /// The shared encoder, embedding the target modality only ([`Encoder::select`]).
    pub encoder: Encoder<B>,
    /// Norm of the pooled features.
    pub norm: LayerNorm<B>,
    /// Head: dim → hidden.
    pub fc1: Linear<B>,
    /// Head: hidden → classes.
    pub fc2: Linear<B>,
    /// Head activation.
    pub act: Gelu,
    /// The configuration the classifier was built from.
    #[module(skip)]
    pub config: ClassifierConfig,
}

fn head<B: Backend>(
    c: &ClassifierConfig,
    device: &B::Device,
) -> (LayerNorm<B>, Linear<B>, Linear<B>) {
    let d = c.mae.encoder_dim;
    let init = Initializer::XavierUniform { gain: 1.0 };
    (
        LayerNormConfig::new(d).with_epsilon(1e-6).init(device),
        LinearConfig::new(d, c.head_hidden)
            .with_initializer(init.clone())
            .init(device),
        LinearConfig::new(c.head_hidden, c.num_classes)
            .with_initializer(init)
            .init(device),
    )
}

impl ClassifierConfig {
    /// A classifier trained from scratch (the ViT baseline): fresh encoder and head.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<AmcClassifier<B>, ConfigError> {
        self.validate()?;
        let mae = self.mae.init::<B>(device)?;
        self.init_from_pretrained(&mae, device)
    }

    /// A classifier whose encoder and target patch embedding are carried over from `mae`;
    /// a fresh head. With `freeze_encoder`, the carried-over parts get no gradients.
    pub fn init_from_pretrained<B: Backend>(
        &self,
        mae: &FipMae<B>,
        device: &B::Device,
    ) -> Result<AmcClassifier<B>, ConfigError> {
        self.validate()?;
        if mae.config != self.mae {
            return Err(ConfigError::Invalid {
                field: "mae".into(),
                reason: "the pretrained model was built from a different configuration".into(),
            });
        }
        let idx = self
            .mae
            .index_of(self.mae.target)
            .ok_or_else(|| ConfigError::Invalid {
                field: "target".into(),
                reason: "target modality is not configured".into(),
            })?;
        let (norm, fc1, fc2) = head(self, device);
        let c = AmcClassifier {
            encoder: materialize(mae.encoder.clone()).select(idx),
            norm,
            fc1,
            fc2,
            act: Gelu::new(),
            config: self.clone(),
        };
        let mut c = materialize(c);
        if self.freeze_encoder {
            c.encoder = c.encoder.no_grad();
        }
        Ok(c)
    }
}

impl<B: Backend> AmcClassifier<B> {
    /// Class logits for a batch of target-modality images: [`Self::head`] of
    /// [`Self::embed`].
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, size, size]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, images: Tensor<B, 4>) -> Result<Tensor<B, 2>, ModelError> {
        Ok(self.head(self.embed(images)?))
    }

    /// The classification head on pooled encoder features (norm, MLP, logits).
    ///
    /// # Shapes
    /// - `pooled`: `[batch, encoder_dim]`
    /// - output: `[batch, classes]`
    pub fn head(&self, pooled: Tensor<B, 2>) -> Tensor<B, 2> {
        let h = self
            .act
            .forward(self.fc1.forward(self.norm.forward(pooled)));
        self.fc2.forward(h)
    }

    /// The encoder's pooled features (mean over patch tokens, the head's input): the
    /// embedding `eval --embeddings` plots.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, size, size]`
    /// - output: `[batch, encoder_dim]`
    pub fn embed(&self, images: Tensor<B, 4>) -> Result<Tensor<B, 2>, ModelError> {
        let m = &self.config.mae;
        let idx = m.index_of(m.target).unwrap_or(0);
        let want = vec![
            images.dims()[0],
            m.modalities[idx].channels,
            m.image_size,
            m.image_size,
        ];
        if images.dims().to_vec() != want {
            return Err(ModelError::Shape {
                what: "classifier input".into(),
                expected: want,
                got: images.dims().to_vec(),
            });
        }
        let b = want[0];
        let d = m.encoder_dim;
        let tokens = self.encoder.embed(0, images, m.patch_size);
        let x = self.encoder.forward(tokens, None);
        let l = m.num_patches();
        Ok(x.slice([0..b, 1..1 + l, 0..d]).mean_dim(1).squeeze_dim(1))
    }
}
