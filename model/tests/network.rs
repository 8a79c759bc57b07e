//! The network, its masking and its weights, on the Flex CPU backend.
#![allow(clippy::unwrap_used)]

use burn::backend::{Autodiff, Flex};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::tensor::{backend::Backend, Distribution, Tensor, TensorData};
use model::config::{
    ClassifierConfig, FipMaeConfig, MaskingConfig, MaskingStrategy, Method, Preset,
};
use model::mae::{patchify, unpatchify, FipMae, ModalityInput};
use model::masking::{adaptive_ratio, random_masking, salience, stable_order};
use model::weights::{
    autoencoder_from_bytes, autoencoder_to_bytes, classifier_from_bytes, classifier_to_bytes,
    Precision, WeightsError,
};
use model::Modality;

type B = Flex;
type AD = Autodiff<Flex>;

fn dev() -> burn::tensor::Device<B> {
    Default::default()
}

fn to_vec<Bk: Backend, const D: usize>(t: Tensor<Bk, D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .unwrap_or_default()
}

fn uniform<Bk: Backend, const D: usize>(shape: [usize; D], device: &Bk::Device) -> Tensor<Bk, D> {
    Tensor::random(shape, Distribution::Uniform(0.0, 1.0), device)
}

/// A batch of random images for every present modality of `c`.
fn batch<Bk: Backend>(c: &FipMaeConfig, b: usize, device: &Bk::Device) -> Vec<ModalityInput<Bk>> {
    c.modalities
        .iter()
        .filter(|m| m.present)
        .map(|m| ModalityInput {
            modality: m.modality,
            input: uniform([b, m.channels, c.image_size, c.image_size], device),
            target: uniform([b, m.channels, c.image_size, c.image_size], device),
            noise: uniform([b, c.num_patches()], device),
            mask_ratio: m.mask_ratio,
            present: None,
        })
        .collect()
}

#[test]
fn patchify_round_trips_exactly() {
    let x: Tensor<B, 4> = uniform([2, 3, 32, 32], &dev());
    let p = patchify(x.clone(), 8);
    assert_eq!(p.dims(), [2, 16, 8 * 8 * 3]);
    assert_eq!(to_vec(unpatchify(p.clone(), 8, 3)), to_vec(x.clone()));
    // patch (row 1, col 2), pixel (dy 3, dx 4), channel 2 sits where MAE puts it
    let v = to_vec(x.clone().slice([0..1, 2..3, 8 + 3..8 + 4, 16 + 4..16 + 5]))[0];
    let w = to_vec(p.slice([0..1, 6..7, (3 * 8 + 4) * 3 + 2..(3 * 8 + 4) * 3 + 3]))[0];
    assert_eq!(v, w);
}

#[test]
fn random_masking_keeps_exactly_k_and_restores_order() {
    let device = dev();
    let (b, l, d, keep) = (3, 16, 4, 5);
    let x: Tensor<B, 3> = uniform([b, l, d], &device);
    let noise: Tensor<B, 2> = uniform([b, l], &device);
    let m = random_masking(x.clone(), keep, noise.clone());
    assert_eq!(m.visible.dims(), [b, keep, d]);
    let mask = to_vec(m.mask.clone());
    for row in mask.chunks(l) {
        assert_eq!(row.iter().sum::<f32>() as usize, l - keep);
        assert!(row.iter().all(|v| *v == 0.0 || *v == 1.0));
    }
    // shuffling then gathering with ids_restore gives the original order back
    let shuffled = x
        .clone()
        .gather(1, noise.argsort(1).unsqueeze_dim::<3>(2).repeat_dim(2, d));
    let restored = shuffled.gather(1, m.ids_restore.unsqueeze_dim::<3>(2).repeat_dim(2, d));
    assert_eq!(to_vec(restored), to_vec(x));
    assert!(m.pad.is_none());
}

#[test]
fn stable_order_is_a_stable_argsort() {
    let device = dev();
    // ties (0.5 three times, 0.25 twice) must keep index order, as a stable sort does
    let rows = [
        vec![0.5f32, 0.1, 0.5, 0.9, 0.25, 0.5, 0.0, 0.25],
        vec![0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
    ];
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    let score = Tensor::<B, 2>::from_data(TensorData::new(flat, [2, 8]), &device);
    let (shuffle, restore) = stable_order(score);
    let got_shuffle = to_vec(shuffle.float());
    let got_restore = to_vec(restore.float());
    for (r, row) in rows.iter().enumerate() {
        let mut want: Vec<usize> = (0..8).collect();
        want.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
        let shuffle: Vec<usize> = got_shuffle[r * 8..(r + 1) * 8]
            .iter()
            .map(|v| *v as usize)
            .collect();
        assert_eq!(shuffle, want, "row {r}");
        for (rank, &i) in want.iter().enumerate() {
            assert_eq!(got_restore[r * 8 + i] as usize, rank);
        }
    }
}

fn tiny() -> FipMaeConfig {
    FipMaeConfig::preset(Preset::Tiny)
}

#[test]
fn loss_ignores_predictions_on_visible_patches() {
    let device = dev();
    let model = tiny().init::<B>(&device).expect("tiny");
    let target: Tensor<B, 4> = uniform([2, 3, 32, 32], &device);
    let pred: Tensor<B, 3> = uniform([2, 16, 192], &device);
    let noise: Tensor<B, 2> = uniform([2, 16], &device);
    let mask = random_masking(uniform::<B, 3>([2, 16, 4], &device), 4, noise).mask;
    let a = model.forward_loss(target.clone(), pred.clone(), mask.clone());
    // change the prediction only where mask == 0 (visible)
    let visible = mask
        .clone()
        .equal_elem(0.0)
        .unsqueeze_dim::<3>(2)
        .repeat_dim(2, 192);
    let changed = pred
        .clone()
        .mask_where(visible, Tensor::ones([2, 16, 192], &device) * 7.0);
    let b = model.forward_loss(target.clone(), changed.clone(), mask.clone());
    assert_eq!(to_vec(a.clone()), to_vec(b));
    // …and changing a masked one does change it
    let masked = mask
        .equal_elem(1.0)
        .unsqueeze_dim::<3>(2)
        .repeat_dim(2, 192);
    let c = model.forward_loss(
        target,
        pred.mask_where(masked, Tensor::zeros([2, 16, 192], &device)),
        Tensor::ones([2, 16], &device),
    );
    assert_ne!(to_vec(a), to_vec(c));
}

struct GradCheck<'a> {
    grads: &'a <AD as burn::tensor::backend::AutodiffBackend>::Gradients,
    total: usize,
    missing: usize,
}

impl ModuleVisitor<AD> for GradCheck<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<AD, D>>) {
        self.total += 1;
        let has = param
            .val()
            .grad(self.grads)
            .map(|g| to_vec(g.abs().sum())[0] > 0.0)
            .unwrap_or(false);
        if !has {
            self.missing += 1;
        }
    }
}

#[test]
fn every_parameter_receives_a_gradient() {
    let device = Default::default();
    let c = FipMaeConfig::preset_with_method(Preset::Tiny, Method::Fip);
    let model = c.init::<AD>(&device).expect("tiny");
    let out = model
        .forward(&batch::<AD>(&c, 2, &device))
        .expect("forward");
    let (missing, total) = ungraded(&model, out.loss);
    assert!(total > 20);
    assert_eq!(
        missing, 0,
        "{missing} of {total} parameters got no gradient"
    );

    // weights loaded from bytes stay trainable
    let bytes = autoencoder_to_bytes(&model, Precision::Full);
    let loaded = autoencoder_from_bytes::<AD>(&bytes, Some(&c), &device).expect("load");
    let out = loaded
        .forward(&batch::<AD>(&c, 2, &device))
        .expect("forward");
    let (missing, _) = ungraded(&loaded, out.loss);
    assert_eq!(missing, 0, "{missing} loaded parameters got no gradient");
}

/// `(parameters without a non-zero gradient, all parameters)` after `loss.backward()`.
fn ungraded<M: Module<AD>>(model: &M, loss: Tensor<AD, 1>) -> (usize, usize) {
    let grads = loss.backward();
    let mut check = GradCheck {
        grads: &grads,
        total: 0,
        missing: 0,
    };
    model.visit(&mut check);
    (check.missing, check.total)
}

#[test]
fn one_example_does_not_see_the_others() {
    // The public reference attends across the batch axis; ours must not.
    let device = dev();
    let c = tiny();
    let model = c.init::<B>(&device).expect("tiny");
    let mut inputs = batch::<B>(&c, 3, &device);
    let first = model.forward(&inputs).expect("forward");
    for x in inputs.iter_mut() {
        let [b, ch, h, w] = x.input.dims();
        let fresh: Tensor<B, 4> = uniform([b - 1, ch, h, w], &device);
        x.input = Tensor::cat(
            vec![x.input.clone().slice([0..1, 0..ch, 0..h, 0..w]), fresh],
            0,
        );
    }
    let second = model.forward(&inputs).expect("forward");
    for (a, b) in first.modalities.iter().zip(&second.modalities) {
        let [_, ch, h, w] = a.pred.dims();
        let pa = to_vec(a.pred.clone().slice([0..1, 0..ch, 0..h, 0..w]));
        let pb = to_vec(b.pred.clone().slice([0..1, 0..ch, 0..h, 0..w]));
        let diff = pa
            .iter()
            .zip(&pb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(diff < 1e-5, "{:?}: example 0 changed by {diff}", a.modality);
        let rest_a = to_vec(a.pred.clone().slice([1..3, 0..ch, 0..h, 0..w]));
        let rest_b = to_vec(b.pred.clone().slice([1..3, 0..ch, 0..h, 0..w]));
        assert_ne!(rest_a, rest_b);
    }
}

#[test]
fn salience_masking_hides_salient_tokens_more_often_than_random() {
    let device = dev();
    let (b, l, d, keep) = (64, 16, 8, 4);
    // tokens 0..4 are near-duplicates of each other: they draw attention from each other
    let mut data = vec![0.0f32; b * l * d];
    let mut rng = model::rng::Rng::from_seed(3);
    for e in 0..b {
        for t in 0..l {
            for k in 0..d {
                let v = if t < 4 {
                    2.0 + 0.05 * rng.normal()
                } else {
                    rng.normal() * 0.7
                };
                data[(e * l + t) * d + k] = v as f32;
            }
        }
    }
    let x = Tensor::<B, 3>::from_data(TensorData::new(data, [b, l, d]), &device);
    let sal = to_vec(salience(x.clone()));
    assert!(sal.iter().all(|v| (0.0..=1.0 + 1e-6).contains(v)));
    let noise: Tensor<B, 2> = uniform([b, l], &device);
    let sbam = model::masking::keep_lowest(
        x.clone(),
        salience(x.clone()) + noise.clone() * 0.5,
        &vec![keep; b],
    );
    let rand = random_masking(x, keep, noise);
    let masked_share = |m: Tensor<B, 2>| -> f32 {
        let v = to_vec(m);
        let hits: f32 = v.chunks(l).map(|r| r[..4].iter().sum::<f32>()).sum();
        hits / (b * 4) as f32
    };
    let (s, r) = (masked_share(sbam.mask), masked_share(rand.mask));
    assert!(
        s > r + 0.1,
        "salient tokens masked {s:.2} of the time vs random {r:.2}"
    );
}

#[test]
fn adaptive_ratio_stays_in_bounds_and_follows_the_salient_fraction() {
    let device = dev();
    let sal = Tensor::<B, 2>::from_data(
        TensorData::new(
            vec![
                0.0f32, 0.0, 0.0, 0.0, // none salient
                0.9, 0.0, 0.0, 0.0, // a quarter
                0.9, 0.9, 0.9, 0.9, // all
            ],
            [3, 4],
        ),
        &device,
    );
    let r = to_vec(adaptive_ratio(sal, 0.75, 0.1, 0.5));
    assert!(
        (r[0] - 0.65).abs() < 1e-6 && (r[2] - 0.85).abs() < 1e-6,
        "{r:?}"
    );
    assert!(r[0] < r[1] && r[1] < r[2]);
    assert!(r.iter().all(|v| (0.65 - 1e-6..=0.85 + 1e-6).contains(v)));

    // per-sample AMR runs end to end with a key-padding mask
    let mut c = tiny();
    c.masking = MaskingConfig::new()
        .with_strategy(MaskingStrategy::Adaptive)
        .with_amr_per_sample(true)
        .with_amr_spread(0.2);
    let model = c.init::<B>(&device).expect("tiny");
    let out = model.forward(&batch::<B>(&c, 4, &device)).expect("forward");
    for m in &out.modalities {
        for row in to_vec(m.mask.clone()).chunks(16) {
            let masked = row.iter().sum::<f32>() / 16.0;
            assert!((0.5..=1.0).contains(&masked), "{masked}");
        }
    }
    assert!(to_vec(out.loss)[0].is_finite());
}

#[test]
fn a_missing_modality_adds_no_loss() {
    let device = dev();
    let c = tiny();
    let model = c.init::<B>(&device).expect("tiny");
    let all = batch::<B>(&c, 2, &device);
    let full = model.forward(&all).expect("forward");
    let some: Vec<_> = all
        .iter()
        .filter(|x| x.modality != Modality::Noise && x.modality != Modality::Scalogram)
        .cloned()
        .collect();
    let part = model
        .forward(&some)
        .expect("forward without noise and scalogram");
    assert_eq!(part.modalities.len(), 2);
    let sum: f32 = part
        .modalities
        .iter()
        .map(|m| to_vec(m.loss.clone())[0] * 1.0)
        .sum();
    assert!((to_vec(part.loss.clone())[0] - sum).abs() < 1e-5);
    assert!(to_vec(part.loss)[0] < to_vec(full.loss)[0]);
    // and a modality configured as absent is refused by name
    let mut c2 = tiny();
    c2.modalities[3].present = false;
    let m2 = c2.init::<B>(&device).expect("tiny");
    assert!(m2.forward(&all).is_err());
    assert!(m2.forward(&all[..3]).is_ok());
}

/// Example `k` of every input, as a batch of one.
fn example<Bk: Backend>(inputs: &[ModalityInput<Bk>], k: usize) -> Vec<ModalityInput<Bk>> {
    inputs
        .iter()
        .map(|x| {
            let [_, ch, h, w] = x.input.dims();
            let l = x.noise.dims()[1];
            ModalityInput {
                input: x.input.clone().slice([k..k + 1, 0..ch, 0..h, 0..w]),
                target: x.target.clone().slice([k..k + 1, 0..ch, 0..h, 0..w]),
                noise: x.noise.clone().slice([k..k + 1, 0..l]),
                present: None,
                ..x.clone()
            }
        })
        .collect()
}

#[test]
fn a_modality_absent_from_some_examples_is_hidden_from_them_and_adds_no_loss() {
    // recorded bursts have no noise image: mixed in one batch with generated ones
    let device = dev();
    let c = tiny();
    let model = c.init::<B>(&device).expect("tiny");
    let inputs = batch::<B>(&c, 2, &device);
    let with_presence = |p: [f32; 2]| -> Vec<ModalityInput<B>> {
        inputs
            .iter()
            .map(|x| ModalityInput {
                present: (x.modality == Modality::Noise)
                    .then(|| Tensor::from_data(TensorData::new(p.to_vec(), [2]), &device)),
                ..x.clone()
            })
            .collect()
    };
    let mixed = model.forward(&with_presence([1.0, 0.0])).expect("forward");
    // example 0 as if alone with every modality; example 1 as if alone without noise
    let alone0 = model.forward(&example(&inputs, 0)).expect("forward");
    let one: Vec<_> = example(&inputs, 1)
        .into_iter()
        .filter(|x| x.modality != Modality::Noise)
        .collect();
    let alone1 = model.forward(&one).expect("forward");
    let close = |a: Vec<f32>, b: Vec<f32>, what: &str| {
        let diff = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(diff < 1e-5, "{what}: differs by {diff}");
    };
    for m in &mixed.modalities {
        let [_, ch, h, w] = m.pred.dims();
        let find = |o: &model::mae::MaeOutput<B>| {
            o.modalities
                .iter()
                .find(|x| x.modality == m.modality)
                .map(|x| x.pred.clone())
        };
        let p0 = m.pred.clone().slice([0..1, 0..ch, 0..h, 0..w]);
        close(to_vec(p0), to_vec(find(&alone0).unwrap()), "example 0");
        if m.modality != Modality::Noise {
            let p1 = m.pred.clone().slice([1..2, 0..ch, 0..h, 0..w]);
            close(
                to_vec(p1),
                to_vec(find(&alone1).unwrap()),
                "example 1 without noise",
            );
        }
    }
    // the noise loss is example 0's alone
    let noise_loss = |o: &model::mae::MaeOutput<B>| {
        o.modalities
            .iter()
            .find(|x| x.modality == Modality::Noise)
            .map(|x| to_vec(x.loss.clone())[0])
            .unwrap()
    };
    assert!((noise_loss(&mixed) - noise_loss(&alone0)).abs() < 1e-6);
    // present everywhere is the plain loss; present nowhere adds nothing
    let plain = model.forward(&inputs).expect("forward");
    let everywhere = model.forward(&with_presence([1.0, 1.0])).expect("forward");
    assert!((to_vec(plain.loss)[0] - to_vec(everywhere.loss)[0]).abs() < 1e-6);
    let nowhere = model.forward(&with_presence([0.0, 0.0])).expect("forward");
    assert_eq!(noise_loss(&nowhere), 0.0);
}

#[test]
fn preset_parameter_counts() {
    let device = dev();
    // ViT-B/16's encoder has 85.8 M parameters; ours (fixed sin-cos positions, no learned
    // position table) should land within 1 %.
    let base = FipMaeConfig::preset(Preset::Base);
    let cls = ClassifierConfig::new(base, 10)
        .init::<B>(&device)
        .expect("base");
    let head = cls.norm.num_params() + cls.fc1.num_params() + cls.fc2.num_params();
    let encoder = cls.num_params() - head;
    assert!(
        (encoder as f64 - 85.8e6).abs() < 0.01 * 85.8e6,
        "base encoder: {encoder}"
    );
    let small = ClassifierConfig::new(FipMaeConfig::preset(Preset::Small), 10)
        .init::<B>(&device)
        .expect("small");
    let tiny = ClassifierConfig::new(tiny(), 10)
        .init::<B>(&device)
        .expect("tiny");
    assert!(tiny.num_params() < small.num_params());
    assert!(
        small.num_params() < 5_000_000,
        "small: {}",
        small.num_params()
    );
}

#[test]
fn parameter_counts_are_known_before_building() {
    let device = dev();
    for p in [Preset::Tiny, Preset::Small] {
        for m in [Method::Denomae, Method::Fip] {
            let c = FipMaeConfig::preset_with_method(p, m);
            let mae = c.init::<B>(&device).expect("init");
            assert_eq!(c.num_params(), mae.num_params() as u128, "{p:?} {m:?}");
            let cc = ClassifierConfig::new(c, 7);
            let cls = cc.init::<B>(&device).expect("init");
            assert_eq!(cc.num_params(), cls.num_params() as u128, "{p:?} {m:?}");
        }
    }
    // base is counted without building it: its encoder matches ViT-B/16 within 1 %
    let base = ClassifierConfig::new(FipMaeConfig::preset(Preset::Base), 10);
    let head = 2 * 768 + (768 * 256 + 256) + (256 * 10 + 10);
    let encoder = (base.num_params() - head) as f64;
    assert!((encoder - 85.8e6).abs() < 0.01 * 85.8e6, "{encoder}");
}

#[test]
fn weights_round_trip_and_reject_corruption() {
    let device = dev();
    let c = FipMaeConfig::preset_with_method(Preset::Tiny, Method::Fip);
    let model = c.init::<B>(&device).expect("tiny");
    let inputs = batch::<B>(&c, 2, &device);
    let want = to_vec(model.forward(&inputs).expect("forward").loss);

    let bytes = autoencoder_to_bytes(&model, Precision::Full);
    let back = autoencoder_from_bytes::<B>(&bytes, Some(&c), &device).expect("load");
    assert_eq!(to_vec(back.forward(&inputs).expect("forward").loss), want);
    assert_eq!(
        autoencoder_to_bytes(&back, Precision::Full),
        bytes,
        "not bit-exact"
    );

    let half = autoencoder_to_bytes(&model, Precision::Half);
    assert!(half.len() < bytes.len() * 6 / 10);
    let back = autoencoder_from_bytes::<B>(&half, None, &device).expect("load f16");
    let got = to_vec(back.forward(&inputs).expect("forward").loss);
    assert!(
        (got[0] - want[0]).abs() < 1e-2 * want[0].abs().max(1.0),
        "{got:?} vs {want:?}"
    );

    // corruption of every kind gives an error, never a panic
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    assert_eq!(
        autoencoder_from_bytes::<B>(&flipped, None, &device).err(),
        Some(WeightsError::Checksum)
    );
    assert!(matches!(
        autoencoder_from_bytes::<B>(&bytes[..bytes.len() - 100], None, &device),
        Err(WeightsError::Checksum | WeightsError::Truncated { .. })
    ));
    assert_eq!(
        autoencoder_from_bytes::<B>(b"PNG....", None, &device).err(),
        Some(WeightsError::Magic)
    );
    assert_eq!(
        autoencoder_from_bytes::<B>(&[], None, &device).err(),
        Some(WeightsError::Magic)
    );
    let other = FipMaeConfig::preset(Preset::Tiny);
    assert_eq!(
        autoencoder_from_bytes::<B>(&bytes, Some(&other), &device).err(),
        Some(WeightsError::ConfigMismatch)
    );
    assert!(matches!(
        classifier_from_bytes::<B>(&bytes, None, &device),
        Err(WeightsError::Kind { .. })
    ));

    // a stored configuration that needs other parameters is refused before building
    let mut wider = c.clone();
    wider.decoder_dim = 64;
    let lying = rewrite_config(&bytes, &serde_json::to_string(&wider).expect("json"));
    assert!(
        matches!(
            autoencoder_from_bytes::<B>(&lying, None, &device),
            Err(WeightsError::Header(ref m)) if m.contains("parameters")
        ),
        "{:?}",
        autoencoder_from_bytes::<B>(&lying, None, &device).err()
    );
    // ... and one with as many values but other shapes is caught tensor by tensor
    let mut swapped = c.clone();
    swapped.modalities.swap(1, 2);
    let lying = rewrite_config(&bytes, &serde_json::to_string(&swapped).expect("json"));
    assert!(
        matches!(
            autoencoder_from_bytes::<B>(&lying, None, &device),
            Err(WeightsError::Shape { .. })
        ),
        "{:?}",
        autoencoder_from_bytes::<B>(&lying, None, &device).err()
    );
    // a file claiming an absurd network is refused before anything is allocated
    for (field, value) in [
        ("encoder_depth", 1_000_000_000usize),
        ("encoder_dim", 1 << 30),
    ] {
        let mut json: serde_json::Value = serde_json::to_value(&c).expect("json");
        json[field] = value.into();
        let hostile = rewrite_config(&bytes, &json.to_string());
        let err = autoencoder_from_bytes::<B>(&hostile, None, &device).err();
        assert!(
            matches!(&err, Some(WeightsError::Config(_))),
            "{field}: {err:?}"
        );
        assert!(format!("{}", err.expect("error")).contains("limit"));
    }

    // classifiers too
    let cc = ClassifierConfig::new(c.clone(), 10);
    let cls = cc
        .init_from_pretrained(&model, &device)
        .expect("classifier");
    let images: Tensor<B, 4> = uniform([2, 3, 32, 32], &device);
    let logits = to_vec(cls.forward(images.clone()).expect("forward"));
    let back = classifier_from_bytes::<B>(
        &classifier_to_bytes(&cls, Precision::Full),
        Some(&cc),
        &device,
    )
    .expect("load");
    assert_eq!(to_vec(back.forward(images).expect("forward")), logits);
}

/// Replaces the JSON configuration inside a weight file and fixes up the checksum.
fn rewrite_config(bytes: &[u8], json: &str) -> Vec<u8> {
    model::weights::replace_config(bytes, json).expect("a weight file")
}

#[test]
fn classifier_carries_the_encoder_and_freezes_it_on_request() {
    let device = Default::default();
    let c = tiny();
    let mae = c.init::<AD>(&device).expect("tiny");
    let cls = ClassifierConfig::new(c.clone(), 10)
        .with_freeze_encoder(true)
        .init_from_pretrained(&mae, &device)
        .expect("cls");
    let carried = to_vec(cls.encoder.patch_embeds[0].weight.val())
        == to_vec(mae.encoder.patch_embeds[0].weight.val());
    assert!(carried, "the patch embedding was not carried over");
    let images: Tensor<AD, 4> = uniform([4, 3, 32, 32], &device);
    let logits = cls.forward(images).expect("forward");
    assert_eq!(logits.dims(), [4, 10]);
    let grads = logits.sum().backward();
    assert!(
        cls.encoder.patch_embeds[0]
            .weight
            .val()
            .grad(&grads)
            .is_none(),
        "frozen encoder got a gradient"
    );
    assert!(cls.fc2.weight.val().grad(&grads).is_some());
    assert!(
        cls.forward(uniform([1, 2, 32, 32], &device)).is_err(),
        "wrong channels accepted"
    );
}

/// Real rendered examples for every modality of `c` (inputs noisy, targets clean).
fn rendered<Bk: Backend>(
    c: &FipMaeConfig,
    b: usize,
    device: &Bk::Device,
) -> Vec<ModalityInput<Bk>> {
    use model::batch::images_to_tensor;
    use model::{DatasetSpec, RenderConfig, Renderer, SnrSpec};
    let spec = DatasetSpec::new(5, SnrSpec::Fixed { db: 5.0 });
    let r = Renderer::new(RenderConfig::for_signal(&spec.signal, c.image_size)).expect("renderer");
    let examples: Vec<_> = (0..b as u64).map(|i| spec.example(i)).collect();
    c.modalities
        .iter()
        .map(|m| {
            let pairs: Vec<_> = examples
                .iter()
                .map(|e| r.render_pair(m.modality, e).expect("render"))
                .collect();
            let inputs: Vec<_> = pairs.iter().map(|p| &p.input).collect();
            let targets: Vec<_> = pairs.iter().map(|p| &p.target).collect();
            ModalityInput {
                modality: m.modality,
                input: images_to_tensor(&inputs, device).expect("batch"),
                target: images_to_tensor(&targets, device).expect("batch"),
                noise: uniform([b, c.num_patches()], device),
                mask_ratio: m.mask_ratio,
                present: None,
            }
        })
        .collect()
}

#[test]
fn tiny_overfits_eight_fixed_examples() {
    let device = Default::default();
    let c = tiny();
    let mut model: FipMae<AD> = c.init(&device).expect("tiny");
    let inputs = rendered::<AD>(&c, 8, &device);
    let mut optim = AdamWConfig::new().with_weight_decay(0.0).init();
    let mut first = None;
    let mut last = f32::MAX;
    for _ in 0..300 {
        let out = model.forward(&inputs).expect("forward");
        let loss = to_vec(out.loss.clone())[0];
        first.get_or_insert(loss);
        last = loss;
        let grads = GradientsParams::from_grads(out.loss.backward(), &model);
        model = optim.step(2e-3, model, grads);
    }
    let first = first.unwrap_or(f32::MAX);
    assert!(last < 0.5 * first, "loss {first} → {last}");
}

#[test]
fn the_mask_ratio_is_a_forward_input_and_the_model_is_untouched() {
    let device = dev();
    let c = tiny();
    let model = c.init::<B>(&device).expect("tiny");
    let l = c.num_patches();
    let mut inputs = batch::<B>(&c, 2, &device);
    for ratio in [0.25, 0.5, 0.9] {
        inputs[0].mask_ratio = ratio;
        let out = model.forward(&inputs).expect("forward");
        let removed: f32 = to_vec(out.modalities[0].mask.clone()).iter().sum();
        let visible = model::masking::visible_count(l, ratio);
        assert_eq!(removed as usize, 2 * (l - visible), "ratio {ratio}");
    }
    // the configuration still holds its own ratio: the input did not write into it
    assert_eq!(
        model.config.modalities[0].mask_ratio,
        c.modalities[0].mask_ratio
    );
    // a strategy chosen per call leaves the model's strategy alone
    let salience = MaskingConfig::new().with_strategy(MaskingStrategy::Salience);
    model.forward_with(&inputs, &salience).expect("salience");
    assert_eq!(model.config.masking.strategy, MaskingStrategy::Random);
    // and an impossible ratio is refused by the one range check
    inputs[0].mask_ratio = 1.0;
    let err = model.forward(&inputs).expect_err("ratio 1 refused");
    assert!(err.to_string().contains("mask ratio 1"), "{err}");
}

#[test]
fn the_classifier_encodes_through_the_autoencoders_encoder() {
    // classifier = encoder of the target modality + head: its pooled features are the
    // autoencoder's encoder output on the same, unmasked tokens
    let device = dev();
    let c = tiny();
    let mae = c.init::<B>(&device).expect("tiny");
    let cls = ClassifierConfig::new(c.clone(), 10)
        .init_from_pretrained(&mae, &device)
        .expect("cls");
    let images: Tensor<B, 4> = uniform([2, 3, 32, 32], &device);
    let via_mae = mae
        .encoder
        .forward(mae.encoder.embed(0, images.clone(), c.patch_size), None);
    let via_cls = cls
        .encoder
        .forward(cls.encoder.embed(0, images, c.patch_size), None);
    let (a, b) = (to_vec(via_mae), to_vec(via_cls));
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-6, "encoders differ by {diff}");
}

#[test]
fn adaptive_masking_on_the_device_matches_the_host_read_counts() {
    use model::masking::{keep_lowest, mask_tokens, visible_count};
    let device = dev();
    let (b, l, d, r0, v) = (6, 16, 8, 0.6, 0.2);
    for per_sample in [true, false] {
        let cfg = MaskingConfig::new()
            .with_strategy(MaskingStrategy::Adaptive)
            .with_amr_per_sample(per_sample)
            .with_amr_spread(v);
        let x: Tensor<B, 3> = uniform([b, l, d], &device);
        let noise: Tensor<B, 2> = uniform([b, l], &device);
        let got = mask_tokens(x.clone(), r0, noise.clone(), &cfg);
        // the reference: today's AMR, which reads the ratios back to choose the counts
        let sal = salience(x.clone());
        let ratios = to_vec(adaptive_ratio(sal.clone(), r0, v, cfg.amr_threshold));
        let keep: Vec<usize> = if per_sample {
            ratios.iter().map(|&r| visible_count(l, r as f64)).collect()
        } else {
            let mean = ratios.iter().map(|&r| r as f64).sum::<f64>() / b as f64;
            vec![visible_count(l, mean); b]
        };
        let want = keep_lowest(x, sal + noise * 0.5, &keep);
        assert_eq!(to_vec(got.mask.clone()), to_vec(want.mask.clone()), "mask");
        assert_eq!(
            to_vec(got.ids_restore.clone().float()),
            to_vec(want.ids_restore.clone().float())
        );
        // the device version has K_max slots; on the reference's slots it holds the same
        // tokens, and exactly the slots past each example's count are padding
        let k_old = want.visible.dims()[1];
        let k_new = got.visible.dims()[1];
        assert_eq!(k_new, visible_count(l, r0 - v));
        assert!(k_new >= k_old);
        assert_eq!(
            to_vec(got.visible.clone().slice([0..b, 0..k_old, 0..d])),
            to_vec(want.visible.clone())
        );
        let pad = to_vec(got.pad.clone().expect("AMR always pads").float());
        for (e, &k) in keep.iter().enumerate() {
            for slot in 0..k_new {
                let padded = pad[e * k_new + slot] > 0.5;
                assert_eq!(padded, slot >= k, "example {e}, slot {slot}, count {k}");
            }
        }
    }
}
