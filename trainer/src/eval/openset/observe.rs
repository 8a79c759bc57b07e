//! What the open-set rule reads of a burst ([`model::openset::Observation`]): the
//! classifier's logits and pooled features, the autoencoder's reconstruction error, a blind
//! SNR estimate. Every burst is treated as a capture would be: its noise image is absent
//! (a user's recording has none), so in-set and out-of-set bursts are observed alike.

use anyhow::{Context, Result};
use model::mae::FipMae;
use model::metrics::Views;
use model::openset::{relative_error, Observation};
use model::signal::offset::OffsetEstimator;
use model::{Image, Modality, Renderer, C32};

use super::super::subject::Subject;
use crate::backend::{self, Backend};
use crate::data::{render_with, HostBatch, RenderedExample};

/// Observes bursts with one subject (and its autoencoder, when it has one).
pub(in crate::eval) struct Observer<'a> {
    subject: &'a Subject,
    renderer: &'a Renderer,
    mae: Option<FipMae<Backend>>,
    estimator: OffsetEstimator,
    threads: usize,
    device: &'a backend::Device,
}

impl<'a> Observer<'a> {
    /// An observer; loads the subject's autoencoder when it has one.
    pub(in crate::eval) fn new(
        subject: &'a Subject,
        renderer: &'a Renderer,
        threads: usize,
        device: &'a backend::Device,
    ) -> Result<Self> {
        let mae = match &subject.autoencoder {
            Some(a) => Some(a.load(device)?.0),
            None => None,
        };
        let c = renderer.config();
        Ok(Self {
            subject,
            renderer,
            mae,
            estimator: OffsetEstimator::new(c.num_samples, c.samples_per_symbol),
            threads,
            device,
        })
    }

    /// Whether reconstruction errors are measured.
    pub(in crate::eval) fn has_autoencoder(&self) -> bool {
        self.mae.is_some()
    }

    /// The modalities rendered: the autoencoder's (the classifier's among them), else the
    /// classifier's alone.
    fn modalities(&self) -> Vec<Modality> {
        match &self.mae {
            Some(m) => {
                let mut v = m.config.present_modalities();
                if !v.contains(&self.subject.target) {
                    v.push(self.subject.target);
                }
                v
            }
            None => vec![self.subject.target],
        }
    }

    /// Observations of `bursts` (noisy samples), whose example ids `ids` seed the masking.
    pub(in crate::eval) fn observe(
        &self,
        bursts: &[Vec<C32>],
        ids: &[u64],
    ) -> Result<Vec<Observation>> {
        let modalities = self.modalities();
        let target = modalities
            .iter()
            .position(|&m| m == self.subject.target)
            .context("the classifier's modality is not rendered")?;
        let mut out = Vec::with_capacity(bursts.len());
        let positions: Vec<u64> = (0..bursts.len() as u64).collect();
        for chunk in positions.chunks(self.subject.batch_size.max(1)) {
            let mut batch = render_with(self.renderer, chunk, &modalities, self.threads, |p| {
                self.render(&bursts[p as usize], &modalities)
            })?;
            batch.indices = chunk.iter().map(|&p| ids[p as usize]).collect();
            let (features, logits) = self.classify(&batch, target)?;
            let errors = self.reconstruction_errors(&batch)?;
            for (j, &p) in chunk.iter().enumerate() {
                out.push(Observation {
                    logits: logits[j].clone(),
                    features: features[j].clone(),
                    recon_error: errors.as_ref().map(|e| e[j]),
                    snr_db: self.estimator.snr_estimate_db(&bursts[p as usize]),
                    statistics: self.renderer.statistics(&bursts[p as usize])?,
                });
            }
        }
        Ok(out)
    }

    /// One burst's images: each modality from the noisy samples, the noise image absent.
    fn render(&self, samples: &[C32], modalities: &[Modality]) -> Result<RenderedExample> {
        let config = self.renderer.config();
        let pairs = modalities
            .iter()
            .map(|&m| {
                let img = if m == Modality::Noise {
                    Image::zeros(m.channels(config), config.image_size)
                } else {
                    self.renderer.render(m, samples)?
                };
                Ok((img.clone(), img))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RenderedExample {
            label: 0,
            snr_db: f64::NAN,
            pairs,
            recorded: true,
        })
    }

    /// Pooled features and logits of the batch's `slot`-th modality, one row per burst.
    #[allow(clippy::type_complexity)]
    fn classify(&self, batch: &HostBatch, slot: usize) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>)> {
        let (_, c, input, _) = &batch.modalities[slot];
        let s = batch.size;
        let images = burn::tensor::Tensor::<Backend, 4>::from_data(
            burn::tensor::TensorData::new(input.clone(), [batch.len(), *c, s, s]),
            self.device,
        );
        let model = &self.subject.model;
        let pooled = model.embed(images)?;
        let logits = model.head(pooled.clone());
        let rows = |v: Vec<f32>, n: usize| -> Vec<Vec<f64>> {
            v.chunks(n.max(1))
                .map(|r| r.iter().map(|&x| f64::from(x)).collect())
                .collect()
        };
        let d = pooled.dims()[1];
        Ok((
            rows(model::batch::read(pooled)?, d),
            rows(model::batch::read(logits)?, self.subject.classes.len()),
        ))
    }

    /// Each burst's reconstruction error, the mean over the autoencoder's rendered
    /// modalities of [`relative_error`] (input against the MAE composite); `None` without
    /// an autoencoder.
    fn reconstruction_errors(&self, batch: &HostBatch) -> Result<Option<Vec<f64>>> {
        let Some(mae) = &self.mae else {
            return Ok(None);
        };
        let inputs = batch.to_inputs::<Backend>(&mae.config, 0xE770_0E55, 0, self.device);
        let out = mae.forward(&inputs).context("autoencoder forward")?;
        let (b, s) = (batch.len(), batch.size);
        let mut sums = vec![0.0; b];
        let mut counts = 0usize;
        for ((m, c, input, _), o) in batch.modalities.iter().zip(out.modalities) {
            if *m == Modality::Noise {
                continue;
            }
            counts += 1;
            let pred = model::batch::read(o.pred)?;
            let mask = model::batch::read(o.mask)?;
            let (n, l) = (c * s * s, mask.len() / b.max(1));
            for (i, sum) in sums.iter_mut().enumerate() {
                let img = |v: &[f32]| Image {
                    channels: *c,
                    size: s,
                    data: v[i * n..(i + 1) * n].to_vec(),
                };
                let v = Views::new(
                    *m,
                    img(input),
                    img(input),
                    pred[i * n..(i + 1) * n].to_vec(),
                    &mask[i * l..(i + 1) * l],
                    mae.config.patch_size,
                    mae.config.loss_on_all_patches,
                )?;
                *sum += relative_error(&v.noisy.data, &v.reconstruction.data);
            }
        }
        Ok(Some(
            sums.iter().map(|s| s / counts.max(1) as f64).collect(),
        ))
    }
}
