//! The kernels this project changed in its copy of Burn's CPU backend (vendor/burn-flex,
//! issue #26) against the published ones they replace: GELU forward and backward (a
//! vectorised, multi-threaded erf) against `erf`, which still runs libm; and the operations
//! vendor/burn-autodiff records as one (layer norm, softmax, attention) against their
//! decomposed formulas.
#![allow(clippy::unwrap_used)]

use burn::backend::{Autodiff, Flex};
use burn::tensor::{activation::gelu, Distribution, Tensor, TensorData};
use burn_flex::fipmae_par::{exp_f32, normal_cdf_pdf, PAR_CHUNK};

type B = Flex;
type AD = Autodiff<Flex>;

fn max_abs_diff<const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>) -> f32 {
    (a - b).abs().max().into_scalar()
}

/// GELU through libm's erf: 0.5·x·(1 + erf(x/√2)).
fn reference_gelu<const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.clone().mul_scalar(0.5) * (x.div_scalar(std::f32::consts::SQRT_2).erf() + 1.0)
}

#[test]
fn exp_matches_std_within_a_few_ulp() {
    for i in -8700..8800 {
        let x = i as f32 / 100.0;
        let (got, want) = (exp_f32(x), x.exp());
        assert!(
            ((got - want) / want).abs() < 4e-7,
            "exp({x}) = {got}, want {want}"
        );
    }
}

#[test]
fn normal_cdf_and_pdf_match_their_definitions() {
    let xs: Vec<f32> = (-1000..1000).map(|i| i as f32 / 100.0).collect();
    let t = Tensor::<B, 1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &Default::default());
    let want = (t.div_scalar(std::f32::consts::SQRT_2).erf() + 1.0).mul_scalar(0.5);
    let want = want.into_data().to_vec::<f32>().unwrap();
    for (x, want) in xs.iter().zip(want) {
        let (cdf, pdf) = normal_cdf_pdf(*x);
        let want_pdf = (-0.5 * x * x).exp() / (2.0 * std::f32::consts::PI).sqrt();
        assert!((cdf - want).abs() < 3e-7, "Φ({x}) = {cdf}, want {want}");
        assert!(
            (pdf - want_pdf).abs() < 1e-7,
            "φ({x}) = {pdf}, want {want_pdf}"
        );
    }
}

#[test]
fn gelu_matches_the_erf_formula_on_one_thread_and_many() {
    let device = Default::default();
    // below and above the size at which the kernel splits over threads; also a view that
    // is not contiguous (the published path)
    for n in [1000, 3 * PAR_CHUNK + 17] {
        let x = Tensor::<B, 2>::random([n / 10, 10], Distribution::Normal(0.0, 3.0), &device);
        assert!(max_abs_diff(gelu(x.clone()), reference_gelu(x.clone())) < 5e-6);
        let t = x.clone().transpose();
        assert!(max_abs_diff(gelu(t.clone()), reference_gelu(t)) < 5e-6);
    }
}

#[test]
fn gelu_backward_matches_the_derivative_of_the_formula() {
    let device = Default::default();
    for n in [1000, 3 * PAR_CHUNK + 17] {
        let x = Tensor::<B, 1>::random([n], Distribution::Normal(0.0, 3.0), &device);
        let w = Tensor::<B, 1>::random([n], Distribution::Normal(0.0, 1.0), &device);
        let grad_of = |f: &dyn Fn(Tensor<AD, 1>) -> Tensor<AD, 1>| {
            let xa = Tensor::<AD, 1>::from_inner(x.clone()).require_grad();
            let loss = (f(xa.clone()) * Tensor::from_inner(w.clone())).sum();
            xa.grad(&loss.backward()).unwrap()
        };
        let fast = grad_of(&|x| gelu(x));
        // the formula's own autodiff: erf's backward is 2/√π·e^{-u²}, no GELU kernel involved
        let slow = grad_of(&|x| {
            x.clone().mul_scalar(0.5) * (x.div_scalar(std::f32::consts::SQRT_2).erf() + 1.0)
        });
        assert!(max_abs_diff(fast, slow) < 5e-6);
    }
}

#[test]
fn layer_norm_gradients_match_the_decomposed_formula() {
    // vendor/burn-autodiff records layer norm as one operation with its own backward pass;
    // the same function written out in tensor operations gives the reference gradients
    use burn::module::Param;
    use burn::nn::LayerNormConfig;
    let device = Default::default();
    let gamma = Tensor::<B, 1>::random([24], Distribution::Normal(1.0, 0.3), &device);
    let beta = Tensor::<B, 1>::random([24], Distribution::Normal(0.0, 0.3), &device);
    let x = Tensor::<B, 3>::random([4, 7, 24], Distribution::Normal(0.5, 2.0), &device);
    let w = Tensor::<B, 3>::random([4, 7, 24], Distribution::Normal(0.0, 1.0), &device);
    let grads_of = |fused: bool| {
        let xa = Tensor::<AD, 3>::from_inner(x.clone()).require_grad();
        let mut norm = LayerNormConfig::new(24)
            .with_epsilon(1e-6)
            .init::<AD>(&device);
        norm.gamma = Param::from_tensor(Tensor::from_inner(gamma.clone()));
        norm.beta = Some(Param::from_tensor(Tensor::from_inner(beta.clone())));
        let (ga, ba) = (norm.gamma.val(), norm.beta.as_ref().unwrap().val());
        let y = if fused {
            norm.forward(xa.clone())
        } else {
            let mean = xa.clone().mean_dim(2);
            let centered = xa.clone() - mean;
            let var = (centered.clone() * centered.clone()).mean_dim(2);
            let xhat = centered / (var + 1e-6).sqrt();
            xhat * ga.clone().reshape([1, 1, 24]) + ba.clone().reshape([1, 1, 24])
        };
        let g = (y * Tensor::from_inner(w.clone())).sum().backward();
        (
            xa.grad(&g).unwrap(),
            ga.grad(&g).unwrap(),
            ba.grad(&g).unwrap(),
        )
    };
    let (fx, fg, fb) = grads_of(true);
    let (sx, sg, sb) = grads_of(false);
    assert!(max_abs_diff(fx, sx) < 1e-4);
    assert!(max_abs_diff(fg, sg) < 1e-4);
    assert!(max_abs_diff(fb, sb) < 1e-4);
}

#[test]
fn softmax_gradients_match_the_decomposed_formula() {
    // vendor/burn-autodiff records softmax as one operation with its own backward pass
    use burn::tensor::activation::softmax;
    let device = Default::default();
    let x = Tensor::<B, 4>::random([2, 3, 5, 7], Distribution::Normal(0.0, 3.0), &device);
    let w = Tensor::<B, 4>::random([2, 3, 5, 7], Distribution::Normal(0.0, 1.0), &device);
    for dim in [3, 1] {
        let grad_of = |fused: bool| {
            let xa = Tensor::<AD, 4>::from_inner(x.clone()).require_grad();
            let y = if fused {
                softmax(xa.clone(), dim)
            } else {
                let e = (xa.clone() - xa.clone().max_dim(dim).detach()).exp();
                e.clone() / e.sum_dim(dim)
            };
            let g = (y * Tensor::from_inner(w.clone())).sum().backward();
            xa.grad(&g).unwrap()
        };
        assert!(max_abs_diff(grad_of(true), grad_of(false)) < 1e-5);
    }
}

#[test]
fn attention_output_and_gradients_match_the_decomposed_formula() {
    // vendor/burn-autodiff records unmasked attention as one operation with its own
    // backward pass; the reference is softmax(QKᵀ/√d)·V from tensor operations
    use burn::tensor::activation::softmax;
    use burn::tensor::module::attention;
    use burn::tensor::ops::AttentionModuleOptions;
    let device = Default::default();
    let draw =
        |shape: [usize; 4]| Tensor::<B, 4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
    // batch 2, heads 3, 5 queries over 7 keys, width 4 (values 6)
    let (q, k, v) = (draw([2, 3, 5, 4]), draw([2, 3, 7, 4]), draw([2, 3, 7, 6]));
    let w = draw([2, 3, 5, 6]);
    let run = |fused: bool| {
        let track = |t: &Tensor<B, 4>| Tensor::<AD, 4>::from_inner(t.clone()).require_grad();
        let (qa, ka, va) = (track(&q), track(&k), track(&v));
        let out = if fused {
            attention(
                qa.clone(),
                ka.clone(),
                va.clone(),
                None,
                None,
                AttentionModuleOptions::default(),
            )
        } else {
            softmax(qa.clone().matmul(ka.clone().transpose()).div_scalar(2.0), 3).matmul(va.clone())
        };
        let g = (out.clone() * Tensor::from_inner(w.clone()))
            .sum()
            .backward();
        let grads = [&qa, &ka, &va].map(|t| t.grad(&g).unwrap());
        (out.inner(), grads)
    };
    let ((fused, fused_grads), (reference, reference_grads)) = (run(true), run(false));
    assert!(max_abs_diff(fused, reference) < 1e-5);
    for (a, b) in fused_grads.into_iter().zip(reference_grads) {
        assert!(max_abs_diff(a, b) < 1e-5);
    }
}

#[test]
fn small_batched_products_match_the_two_dimensional_path() {
    // the batched products of attention's shapes (one gemm call per matrix, on threads over
    // the batch), each matrix against the 2-D product, contiguous and strided; kept as the
    // check for any change to the batched path (nano-gemm was tried there: vendor/README.md)
    let device = Default::default();
    let draw = |shape: [usize; 3]| Tensor::<B, 3>::random(shape, Distribution::Default, &device);
    for (m, k, n) in [
        (59, 64, 59),
        (59, 59, 64),
        (64, 32, 64),
        (3, 5, 7),
        (1, 64, 17),
    ] {
        let (a, b) = (draw([6, m, k]), draw([6, k, n]));
        // the same values through transposed (non-contiguous) views
        let (at, bt) = (
            draw([6, k, m]).swap_dims(1, 2),
            draw([6, n, k]).swap_dims(1, 2),
        );
        for (a, b) in [
            (a.clone(), b.clone()),
            (at, bt),
            (a, b.clone().swap_dims(1, 2).swap_dims(1, 2)),
        ] {
            let batched = a.clone().matmul(b.clone());
            for i in 0..6 {
                let two_d = |t: &Tensor<B, 3>| {
                    let [_, rows, cols] = t.dims();
                    t.clone().narrow(0, i, 1).reshape([rows, cols])
                };
                let want = two_d(&a).matmul(two_d(&b));
                assert!(
                    max_abs_diff(two_d(&batched), want) < 1e-4,
                    "{m}x{k}·{k}x{n}"
                );
            }
        }
    }
}

#[test]
fn banded_two_dimensional_products_match_the_batched_path() {
    // vendor/burn-flex splits a parallel 2-D product into one band of rows per thread; the
    // same product as a batch of one (gemm's own threading) is the reference, for a
    // contiguous and a transposed left operand and a row count that leaves a short band
    let device = Default::default();
    for (m, k, n) in [(1888, 192, 192), (2049, 128, 512), (1001, 768, 192)] {
        let a = Tensor::<B, 2>::random([m, k], Distribution::Default, &device);
        let at = Tensor::<B, 2>::random([k, m], Distribution::Default, &device).transpose();
        let b = Tensor::<B, 2>::random([k, n], Distribution::Default, &device);
        for a in [a, at] {
            let banded = a.clone().matmul(b.clone());
            let batched = a.unsqueeze::<3>().matmul(b.clone().unsqueeze::<3>());
            assert!(
                max_abs_diff(banded, batched.reshape([m, n])) < 1e-3,
                "{m}x{k}·{k}x{n}"
            );
        }
    }
}
