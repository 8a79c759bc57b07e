//! Pulse shapes and pulse trains: the root-raised cosine, the error function (Gaussian
//! frequency pulses), and a tabulated pulse-train convolution.

use std::f64::consts::PI;

use crate::vocab::C64;

/// Root-raised-cosine pulse at `t` symbol periods, roll-off `beta` (peak `1 − β + 4β/π`).
pub fn rrc(t: f64, beta: f64) -> f64 {
    let eps = 1e-9;
    if t.abs() < eps {
        return 1.0 - beta + 4.0 * beta / PI;
    }
    if beta > 0.0 && (t.abs() - 1.0 / (4.0 * beta)).abs() < eps {
        let a = PI / (4.0 * beta);
        return beta / 2f64.sqrt() * ((1.0 + 2.0 / PI) * a.sin() + (1.0 - 2.0 / PI) * a.cos());
    }
    let num = (PI * t * (1.0 - beta)).sin() + 4.0 * beta * t * (PI * t * (1.0 + beta)).cos();
    let den = PI * t * (1.0 - (4.0 * beta * t).powi(2));
    num / den
}

/// The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
pub fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    sign * y
}

/// `out[n] = Σ_k symbols[k] · pulse(n + phi − (k + k0)·t)` for `n in 0..len`, where
/// `pulse` (argument in samples) vanishes outside `[−reach, reach]`.
///
/// The pulse is tabulated once per sample phase (`n mod t`), so the cost is
/// `len × (2·reach/t + 3)` multiply-adds.
pub(crate) fn pulse_train(
    symbols: &[C64],
    k0: i64,
    len: usize,
    t: usize,
    phi: f64,
    reach: f64,
    pulse: impl Fn(f64) -> f64,
) -> Vec<C64> {
    let m_max = (reach / t as f64).ceil() as i64 + 2;
    let width = (2 * m_max + 1) as usize;
    // table[r][m + m_max] = pulse(m·t + r + phi)
    let mut table = vec![0.0; t * width];
    for r in 0..t {
        for m in -m_max..=m_max {
            let x = (m * t as i64 + r as i64) as f64 + phi;
            table[r * width + (m + m_max) as usize] = if x.abs() <= reach { pulse(x) } else { 0.0 };
        }
    }
    let mut out = vec![C64::new(0.0, 0.0); len];
    for (n, o) in out.iter_mut().enumerate() {
        let (q, r) = ((n / t) as i64, n % t);
        let row = &table[r * width..(r + 1) * width];
        let mut acc = C64::new(0.0, 0.0);
        for (j, &w) in row.iter().enumerate() {
            let k = q - (j as i64 - m_max) - k0;
            if w != 0.0 && k >= 0 && (k as usize) < symbols.len() {
                acc += symbols[k as usize] * w;
            }
        }
        *o = acc;
    }
    out
}

/// Symbol indices `k0..k0+count` that can reach samples `0..len` of a pulse train.
pub(crate) fn symbol_span(len: usize, t: usize, reach: f64) -> (i64, usize) {
    let m_max = (reach / t as f64).ceil() as i64 + 2;
    let k0 = -m_max;
    let k1 = (len / t) as i64 + m_max + 1;
    (k0, (k1 - k0 + 1) as usize)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rrc_matches_its_special_points() {
        let beta = 0.35;
        // Continuity across the singular points.
        let a = rrc(1.0 / (4.0 * beta), beta);
        let b = rrc(1.0 / (4.0 * beta) + 1e-6, beta);
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        assert!((rrc(0.0, beta) - rrc(1e-7, beta)).abs() < 1e-6);
        // RRC convolved with itself is a Nyquist pulse: zero at non-zero integer symbols.
        let sps: i64 = 32;
        let taps: Vec<f64> = (-8 * sps..=8 * sps)
            .map(|i| rrc(i as f64 / sps as f64, beta))
            .collect();
        let rc = |shift: usize| -> f64 {
            taps.iter()
                .enumerate()
                .map(|(i, a)| {
                    if i + shift < taps.len() {
                        a * taps[i + shift]
                    } else {
                        0.0
                    }
                })
                .sum()
        };
        let peak = rc(0);
        for k in 1..4 {
            let isi = rc(k * sps as usize) / peak;
            assert!(isi.abs() < 0.01, "ISI at {k}: {isi}");
        }
    }

    #[test]
    fn erf_is_accurate() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (-2.0, -0.995_322_265),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x})");
        }
    }
}
