//! The AMC classifier: the target modality's patch embedding and the shared encoder, no
//! masking, mean-pooled patch tokens, LayerNorm, an MLP head.

use burn::module::{Module, Param};
use burn::nn::{Gelu, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::config::{ClassifierConfig, ConfigError};
use crate::mae::{materialize, patchify, sincos_2d, Block, FipMae, ModelError};

/// Modulation classifier over the target modality's images.
#[derive(Module, Debug)]
pub struct AmcClassifier<B: Backend> {
    /// Target modality patch pixels → encoder width.
    pub patch_embed: Linear<B>,
    /// The target modality's type embedding, `[1, dim]`.
    pub modality_embed: Param<Tensor<B, 2>>,
    /// The CLS token, `[1, 1, dim]` (attended to, not pooled).
    pub cls_token: Param<Tensor<B, 3>>,
    /// Encoder blocks.
    pub blocks: Vec<Block<B>>,
    /// Final encoder norm.
    pub encoder_norm: LayerNorm<B>,
    /// Norm of the pooled features.
    pub norm: LayerNorm<B>,
    /// Head: dim → hidden.
    pub fc1: Linear<B>,
    /// Head: hidden → classes.
    pub fc2: Linear<B>,
    /// Head activation.
    pub act: Gelu,
    /// Fixed positions, `[1, L, dim]`.
    pub pos_embed: Tensor<B, 3>,
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
        let d = self.mae.encoder_dim;
        let (norm, fc1, fc2) = head(self, device);
        // detached: the classifier's copies are leaves of their own
        let kind = mae
            .modality_embed
            .val()
            .slice([idx..idx + 1, 0..d])
            .detach();
        let mae = materialize(mae.clone());
        let c = AmcClassifier {
            patch_embed: mae.patch_embeds[idx].clone(),
            modality_embed: Param::from_tensor(kind),
            cls_token: Param::from_tensor(mae.cls_token.val().detach()),
            blocks: mae.blocks.clone(),
            encoder_norm: mae.norm.clone(),
            norm,
            fc1,
            fc2,
            act: Gelu::new(),
            pos_embed: Tensor::from_data(
                TensorData::new(
                    sincos_2d(d, self.mae.grid()),
                    [1, self.mae.num_patches(), d],
                ),
                device,
            ),
            config: self.clone(),
        };
        let mut c = materialize(c);
        if self.freeze_encoder {
            c.patch_embed = c.patch_embed.no_grad();
            c.modality_embed = c.modality_embed.set_require_grad(false);
            c.cls_token = c.cls_token.set_require_grad(false);
            c.blocks = c.blocks.into_iter().map(|b| b.no_grad()).collect();
            c.encoder_norm = c.encoder_norm.no_grad();
        }
        Ok(c)
    }
}

impl<B: Backend> AmcClassifier<B> {
    /// Class logits for a batch of target-modality images.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, size, size]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, images: Tensor<B, 4>) -> Result<Tensor<B, 2>, ModelError> {
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
        let x = self.patch_embed.forward(patchify(images, m.patch_size))
            + self.pos_embed.clone()
            + self.modality_embed.val().reshape([1, 1, d]);
        let mut x = Tensor::cat(vec![self.cls_token.val().repeat_dim(0, b), x], 1);
        for block in &self.blocks {
            x = block.forward(x, None);
        }
        let x = self.encoder_norm.forward(x);
        let l = m.num_patches();
        let pooled: Tensor<B, 2> = x.slice([0..b, 1..1 + l, 0..d]).mean_dim(1).squeeze_dim(1);
        let h = self
            .act
            .forward(self.fc1.forward(self.norm.forward(pooled)));
        Ok(self.fc2.forward(h))
    }
}
