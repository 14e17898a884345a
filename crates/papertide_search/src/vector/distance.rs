//! Dot products, the one similarity every index in [`crate::vector`] uses.
//!
//! Owns the kernels: a portable one written so that LLVM auto-vectorises it (16 independent
//! lanes, no FMA because Rust never contracts `a * b + c`), and an AVX2+FMA one chosen at run
//! time with `is_x86_feature_detected!`. [`dot_fn`] picks once; hot loops call the returned
//! function pointer. Both kernels sum in a different order from a naive loop, so results
//! differ from it in the last bits; the indexes always use the same kernel, so scores for
//! the same pair are identical whichever index computed them.
//!
//! Measured with `examples/vector_bench.rs` (`--release`, dim 384, a Xeon with AVX-512
//! shared with other jobs): AVX2+FMA about 24 ns per dot product, the auto-vectorised
//! SSE2 kernel 85 to 120 ns, so the runtime dispatch is worth it. An AVX-512 kernel was
//! not tried. Next: [`super::topk`] keeps the best k.

/// Signature of a dot-product kernel; both slices have the same length.
pub type DotFn = fn(&[f32], &[f32]) -> f32;

/// Dot product of two equally long slices with the fastest kernel this CPU supports.
///
/// If the lengths differ, the extra elements of the longer slice are ignored.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_fn()(a, b)
}

/// The fastest dot-product kernel for this CPU (detected once, then cached by std).
pub fn dot_fn() -> DotFn {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return dot_avx2_fma;
        }
    }
    dot_portable
}

/// Name of the kernel [`dot_fn`] returns, for benchmark reports.
pub fn kernel_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return "avx2+fma";
        }
    }
    "portable"
}

/// Portable dot product: 16 independent accumulators over chunks of 16, which LLVM turns
/// into SIMD multiplies and adds for the compile target (SSE2 by default on x86-64).
#[inline]
pub fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 16];
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    // Pairwise reduction keeps the rounding error small and the order fixed.
    let mut width = 8;
    while width > 0 {
        for i in 0..width {
            acc[i] += acc[i + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

/// AVX2+FMA dot product (safe wrapper: only returned by [`dot_fn`] after detection).
#[cfg(target_arch = "x86_64")]
fn dot_avx2_fma(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: `dot_fn` hands out this function only when the CPU reports AVX2 and FMA.
    unsafe { dot_avx2_fma_impl(a, b) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2_fma_impl(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let pa = a.as_ptr();
    let pb = b.as_ptr();
    let mut i = 0usize;
    // SAFETY: every load reads 8 floats at offsets < n from both slices (checked by the
    // loop bounds); unaligned loads are used, so no alignment requirement.
    unsafe {
        let mut s0 = _mm256_setzero_ps();
        let mut s1 = _mm256_setzero_ps();
        let mut s2 = _mm256_setzero_ps();
        let mut s3 = _mm256_setzero_ps();
        while i + 32 <= n {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i + 8)), _mm256_loadu_ps(pb.add(i + 8)), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i + 16)), _mm256_loadu_ps(pb.add(i + 16)), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i + 24)), _mm256_loadu_ps(pb.add(i + 24)), s3);
            i += 32;
        }
        while i + 8 <= n {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s0);
            i += 8;
        }
        let s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
        let lo = _mm256_castps256_ps128(s);
        let hi = _mm256_extractf128_ps(s, 1);
        let q = _mm_add_ps(lo, hi);
        let q = _mm_add_ps(q, _mm_movehl_ps(q, q));
        let q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 0b01));
        let mut sum = _mm_cvtss_f32(q);
        while i < n {
            sum += *pa.add(i) * *pb.add(i);
            i += 1;
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum()
    }

    #[test]
    fn kernels_agree_with_naive_sum() {
        let mut state = 7u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        for len in [0usize, 1, 7, 8, 15, 16, 17, 31, 33, 100, 384, 385] {
            let a: Vec<f32> = (0..len).map(|_| next()).collect();
            let b: Vec<f32> = (0..len).map(|_| next()).collect();
            let want = naive(&a, &b);
            assert!((f64::from(dot_portable(&a, &b)) - want).abs() < 1e-4, "portable len {len}");
            assert!((f64::from(dot(&a, &b)) - want).abs() < 1e-4, "dispatched len {len}");
        }
    }
}
