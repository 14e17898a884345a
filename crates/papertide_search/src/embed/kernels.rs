//! Element-wise and row kernels of the encoder, written so the compiler vectorises them:
//! GELU (the erf form BERT uses), softmax of a row, and layer norm of rows.
//!
//! candle's `gelu_erf` calls libm's scalar `erf` per element (11% of a bulk embedding profile,
//! 15% of a query's). Here `erf` is Abramowitz & Stegun
//! 7.1.26 (absolute error under 1.5e-7) over an `exp` made of a polynomial and an exponent-bit
//! shift (relative error about 1e-7), with no calls and no branches, so the loop runs on SIMD
//! lanes; large inputs are split across the current rayon pool. The model's output still matches sentence-transformers' reference (embed tests).

/// e^x for x ≤ 0 (inputs below -87 give about 0).
#[inline(always)]
fn exp_neg(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.max(-87.0);
    // Round x·log2(e) to the nearest integer without a call (valid for |v| < 2^22).
    let n = (x * LOG2E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5; // 5.0000001e-1 in the minimax fit: the same f32
    let er = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    er * scale
}

/// erf(z), absolute error under 2e-7.
#[inline(always)]
fn erf(z: f32) -> f32 {
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp_neg(-a * a);
    y.copysign(z)
}

/// GELU in place: x · ½ · (1 + erf(x / √2)).
pub fn gelu_in_place(values: &mut [f32]) {
    if values.len() >= PARALLEL_MIN {
        use rayon::prelude::*;
        values.par_chunks_mut(PARALLEL_MIN / 4).for_each(gelu_in_place_seq);
    } else {
        gelu_in_place_seq(values);
    }
}

fn gelu_in_place_seq(values: &mut [f32]) {
    const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
    for v in values.iter_mut() {
        let x = *v;
        *v = 0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2));
    }
}

/// Softmax of one row in place (max subtracted first, so every exponent is ≤ 0).
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in row.iter_mut() {
        *v = exp_neg(*v - max);
        sum += *v;
    }
    let inv = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inv);
}

/// Layer norm of each row of `x` (rows of `weight.len()` floats) in place:
/// (x − mean) / √(var + eps) · weight + bias, with the biased variance, as PyTorch. Rows are
/// split across the current rayon pool when there are many.
pub fn layer_norm_rows(x: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let width = weight.len();
    let norm_rows = |chunk: &mut [f32]| {
        for row in chunk.chunks_mut(width) {
            let mean = row.iter().sum::<f32>() / width as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    };
    if x.len() >= PARALLEL_MIN {
        use rayon::prelude::*;
        x.par_chunks_mut(width * 64).for_each(norm_rows);
    } else {
        norm_rows(x);
    }
}

/// Elements from which the kernels split their work across threads.
const PARALLEL_MIN: usize = 1 << 18;

#[cfg(test)]
mod tests {
    use super::*;

    /// erf to about 1e-9: the Maclaurin series up to 3, the asymptotic erfc series beyond.
    fn erf_f64(x: f64) -> f64 {
        let a = x.abs();
        let y = if a <= 3.0 {
            let (mut sum, mut term, mut n) = (0.0f64, a, 0.0f64);
            while n < 200.0 {
                sum += term / (2.0 * n + 1.0);
                n += 1.0;
                term *= -a * a / n;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            let z2 = a * a;
            let series = 1.0 - 1.0 / (2.0 * z2) + 3.0 / (4.0 * z2 * z2) - 15.0 / (8.0 * z2 * z2 * z2)
                + 105.0 / (16.0 * z2 * z2 * z2 * z2);
            1.0 - (-z2).exp() / (a * std::f64::consts::PI.sqrt()) * series
        };
        y.copysign(x)
    }

    #[test]
    fn matches_the_exact_gelu() {
        let mut worst = 0.0f64;
        let mut x = -10.0f32;
        while x <= 10.0 {
            let mut v = [x];
            gelu_in_place(&mut v);
            let exact = 0.5 * x as f64 * (1.0 + erf_f64(x as f64 / std::f64::consts::SQRT_2));
            worst = worst.max((v[0] as f64 - exact).abs());
            x += 0.001;
        }
        assert!(worst < 1e-6, "max |error| {worst}");
    }

    #[test]
    fn softmax_and_layer_norm_match_their_definitions() {
        let mut row = [1.0f32, 2.0, 3.0, -1e30];
        softmax_in_place(&mut row);
        let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| (v - 3.0f64).exp()).collect();
        let sum: f64 = e.iter().sum();
        for (got, want) in row.iter().zip(e.iter().map(|v| v / sum)) {
            assert!((*got as f64 - want).abs() < 1e-6, "{row:?}");
        }
        assert!(row[3] < 1e-30, "{row:?}");
        let mut x = [1.0f32, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0];
        layer_norm_rows(&mut x, &[1.0, 1.0, 2.0, 2.0], &[0.0, 0.0, 0.0, 1.0], 1e-12);
        let sd = 1.25f32.sqrt();
        let want = [-1.5 / sd, -0.5 / sd, 2.0 * 0.5 / sd, 2.0 * 1.5 / sd + 1.0, 0.0, 0.0, 0.0, 1.0];
        for (g, w) in x.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{x:?}");
        }
    }

    #[test]
    fn exp_is_accurate_where_it_is_used() {
        for i in 0..2000 {
            let x = -(i as f32) * 0.02;
            let rel = ((exp_neg(x) as f64) - (x as f64).exp()).abs() / (x as f64).exp();
            assert!(rel < 1e-6, "exp({x}): relative error {rel}");
        }
        assert!(exp_neg(-1000.0) < 1e-37);
    }
}
