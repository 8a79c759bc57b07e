//! fipmae: element-wise kernels this project added to its copy of burn-flex 0.21.0
//! (issue #26; see vendor/README.md): a vectorisable GELU and the chunked, multi-threaded
//! loops the element-wise operations run on.

/// Elements per task when an element-wise loop is split over rayon's threads; loops under
/// twice this run on the calling thread. Measured (vendor/README.md): 16 Ki made AdamW's
/// step 2.5× slower on 2 cores (waking threads for every parameter tensor); 128 Ki did not.
pub const PAR_CHUNK: usize = 1 << 17;

/// Runs `f` on `data` in `PAR_CHUNK` pieces, on rayon's threads when it is large enough.
#[inline]
pub fn chunks_mut<E: Send>(data: &mut [E], f: impl Fn(&mut [E]) + Send + Sync) {
    #[cfg(feature = "rayon")]
    if data.len() >= 2 * PAR_CHUNK {
        use rayon::prelude::*;
        data.par_chunks_mut(PAR_CHUNK).for_each(f);
        return;
    }
    f(data)
}

/// Runs `f(out_piece, in_piece)` over matching `PAR_CHUNK` pieces of `out` and `src`
/// (equal lengths), on rayon's threads when they are large enough.
#[inline]
pub fn zip_chunks_mut<A: Send, B: Sync>(
    out: &mut [A],
    src: &[B],
    f: impl Fn(&mut [A], &[B]) + Send + Sync,
) {
    debug_assert_eq!(out.len(), src.len());
    #[cfg(feature = "rayon")]
    if out.len() >= 2 * PAR_CHUNK {
        use rayon::prelude::*;
        out.par_chunks_mut(PAR_CHUNK)
            .zip(src.par_chunks(PAR_CHUNK))
            .for_each(|(o, s)| f(o, s));
        return;
    }
    f(out, src)
}

/// e^x in f32 without a libm call, so loops over it vectorise: Cody–Waite reduction by
/// ln 2, a degree-7 Taylor polynomial on |r| ≤ ln2/2 (relative error < 1e-8 before
/// rounding), the power of two built from its bits. Inputs are clamped to [-87, 88].
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75; // ln 2 split so n·LN2_HI is exact for |n| < 2^9
    const LN2_LO: f32 = 1.428_606_8e-6;
    const ROUND: f32 = 12_582_912.0; // 1.5·2^23: adding and subtracting it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    f32::from_bits(((n as i32 + 127) as u32) << 23) * p
}

/// The standard normal CDF Φ(x) and density φ(x) in f32, branch-free: erf by Abramowitz &
/// Stegun 7.1.26 (|error| ≤ 1.5e-7), whose e^{-x²/2} is also the density's.
#[inline(always)]
pub fn normal_cdf_pdf(x: f32) -> (f32, f32) {
    const P: f32 = 0.327_591_1 * core::f32::consts::FRAC_1_SQRT_2;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152,
        1.061_405_4,
    ];
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    let e = exp_f32(-0.5 * x * x);
    let t = 1.0 / (1.0 + P * x.abs());
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let erf = (1.0 - poly * e).copysign(x);
    (0.5 * (1.0 + erf), INV_SQRT_2PI * e)
}

/// GELU x·Φ(x) of every element, in place.
pub fn gelu_in_place(data: &mut [f32]) {
    chunks_mut(data, |c| {
        for v in c.iter_mut() {
            *v *= normal_cdf_pdf(*v).0;
        }
    })
}

/// GELU's backward pass in place over the gradient: g ← g·(Φ(x) + x·φ(x)).
pub fn gelu_backward_in_place(grad: &mut [f32], x: &[f32]) {
    zip_chunks_mut(grad, x, |g, x| {
        for (g, &x) in g.iter_mut().zip(x) {
            let (cdf, pdf) = normal_cdf_pdf(x);
            *g *= cdf + x * pdf;
        }
    })
}
