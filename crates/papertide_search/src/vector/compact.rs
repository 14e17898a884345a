//! How the HNSW index stores its vectors: f32, f16 or int8 rows ([`Element`], [`Rows`]).
//!
//! Owns the encodings and their similarity kernels. Every similarity is asymmetric: the
//! query stays f32 and is multiplied with a stored row decoded on the fly, so only the
//! stored side loses precision (graph construction decodes the node being linked into an
//! f32 buffer and uses it as the query).
//! - [`Element::F32`]: 4 bytes per dimension, exact (1,536 bytes per 384-dim vector).
//! - [`Element::F16`]: IEEE half precision, 2 bytes per dimension (768 bytes); unit vectors'
//!   components lie well inside f16's range, so the only loss is the 11-bit mantissa.
//! - [`Element::Int8`]: one signed byte per dimension plus one f32 scale per row (388
//!   bytes): `code = round(x / s)` with `s = max|x| / 127`, decoded as `code * s`.
//!
//! Kernels: AVX2 + FMA (+ F16C for f16) chosen at run time when the CPU has them, else a
//! portable loop LLVM vectorises. Measured recall@10 against exact f32 search and the sizes
//! saved are in docs/SEARCH.md ("Compact vectors"; `examples/vector_bench.rs --elements
//! f32,f16,int8`).
//! Next: [`super::hnsw::graph`] holds one [`Rows`]; [`super::hnsw::file`] saves it.

use std::fmt;
use std::str::FromStr;

use super::distance::{dot_fn, DotFn};

/// The element type of stored vectors; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Element {
    /// 32-bit floats, exact.
    #[default]
    F32,
    /// 16-bit floats (IEEE 754 half precision).
    F16,
    /// Signed bytes with one f32 scale per vector.
    Int8,
}

impl Element {
    /// The code stored in the index file header (`0` f32, `1` f16, `2` int8).
    pub fn code(self) -> u32 {
        match self {
            Element::F32 => 0,
            Element::F16 => 1,
            Element::Int8 => 2,
        }
    }

    /// The element type of a file header code.
    pub fn from_code(code: u32) -> Option<Element> {
        match code {
            0 => Some(Element::F32),
            1 => Some(Element::F16),
            2 => Some(Element::Int8),
            _ => None,
        }
    }

    /// Bytes one stored vector of `dim` dimensions takes.
    pub fn row_bytes(self, dim: usize) -> usize {
        match self {
            Element::F32 => 4 * dim,
            Element::F16 => 2 * dim,
            Element::Int8 => dim + 4,
        }
    }

    /// The name used in configuration files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Element::F32 => "f32",
            Element::F16 => "f16",
            Element::Int8 => "int8",
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Element {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(Element::F32),
            "f16" | "float16" | "half" => Ok(Element::F16),
            "int8" | "i8" => Ok(Element::Int8),
            other => Err(format!("unknown vector element type {other:?} (expected f32, f16 or int8)")),
        }
    }
}

/// The stored data, by element type.
#[derive(Clone)]
pub(crate) enum Data {
    F32(Vec<f32>),
    F16(Vec<u16>),
    Int8 { codes: Vec<i8>, scales: Vec<f32> },
}

/// Row-major vectors of one element type, with the kernels for it chosen once.
#[derive(Clone)]
pub(crate) struct Rows {
    dim: usize,
    data: Data,
    dot32: DotFn,
    dot16: fn(&[f32], &[u16]) -> f32,
    dot8: fn(&[f32], &[i8]) -> f32,
}

impl Rows {
    /// No rows.
    pub fn new(dim: usize, element: Element) -> Rows {
        let data = match element {
            Element::F32 => Data::F32(Vec::new()),
            Element::F16 => Data::F16(Vec::new()),
            Element::Int8 => Data::Int8 { codes: Vec::new(), scales: Vec::new() },
        };
        Rows::from_data(dim, data)
    }

    /// Rows around data already laid out (loaded from a file; lengths checked there).
    pub fn from_data(dim: usize, data: Data) -> Rows {
        Rows { dim, data, dot32: dot_fn(), dot16: dot_f16_fn(), dot8: dot_i8_fn() }
    }

    /// Encodes row-major f32 vectors (moved without a copy when the element is f32).
    pub fn from_f32(dim: usize, element: Element, vectors: Vec<f32>) -> Rows {
        if element == Element::F32 {
            return Rows::from_data(dim, Data::F32(vectors));
        }
        let mut rows = Rows::new(dim, element);
        rows.extend_f32(&vectors);
        rows
    }

    /// The element type.
    pub fn element(&self) -> Element {
        match self.data {
            Data::F32(_) => Element::F32,
            Data::F16(_) => Element::F16,
            Data::Int8 { .. } => Element::Int8,
        }
    }

    /// The stored data (for saving).
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        let values = match &self.data {
            Data::F32(v) => v.len(),
            Data::F16(v) => v.len(),
            Data::Int8 { codes, .. } => codes.len(),
        };
        values / self.dim.max(1)
    }

    /// Reserves room for `additional` more rows.
    pub fn reserve(&mut self, additional: usize) {
        let values = additional.saturating_mul(self.dim);
        match &mut self.data {
            Data::F32(v) => v.reserve(values),
            Data::F16(v) => v.reserve(values),
            Data::Int8 { codes, scales } => {
                codes.reserve(values);
                scales.reserve(additional);
            }
        }
    }

    /// Drops every row from `n` on.
    pub fn truncate(&mut self, n: usize) {
        let values = n.saturating_mul(self.dim);
        match &mut self.data {
            Data::F32(v) => v.truncate(values),
            Data::F16(v) => v.truncate(values),
            Data::Int8 { codes, scales } => {
                codes.truncate(values);
                scales.truncate(n);
            }
        }
    }

    /// Appends `v` (`dim` values), encoded.
    pub fn push(&mut self, v: &[f32]) {
        match &mut self.data {
            Data::F32(d) => d.extend_from_slice(v),
            Data::F16(d) => d.extend(v.iter().map(|&x| half::f16::from_f32(x).to_bits())),
            Data::Int8 { codes, scales } => {
                let scale = int8_scale(v);
                codes.extend(v.iter().map(|&x| int8_code(x, scale)));
                scales.push(scale);
            }
        }
    }

    /// Appends row-major f32 vectors (`dim` values each), encoded.
    pub fn extend_f32(&mut self, vectors: &[f32]) {
        self.reserve(vectors.len() / self.dim.max(1));
        for v in vectors.chunks_exact(self.dim) {
            self.push(v);
        }
    }

    /// Appends row `i` of `other` (same dimension): copied as it is when both store the same
    /// element type, else decoded and encoded again.
    pub fn push_row_of(&mut self, other: &Rows, i: usize) {
        let r = i * self.dim..(i + 1) * self.dim;
        match (&mut self.data, &other.data) {
            (Data::F32(d), Data::F32(s)) => d.extend_from_slice(&s[r]),
            (Data::F16(d), Data::F16(s)) => d.extend_from_slice(&s[r]),
            (Data::Int8 { codes, scales }, Data::Int8 { codes: c, scales: s }) => {
                codes.extend_from_slice(&c[r]);
                scales.push(s[i]);
            }
            _ => {
                let v = other.decode(i as u32);
                self.push(&v);
            }
        }
    }

    /// Similarity of the f32 `query` to row `i` (0 for an out-of-range row).
    #[inline]
    pub fn sim(&self, query: &[f32], i: u32) -> f32 {
        let r = i as usize * self.dim..(i as usize + 1) * self.dim;
        match &self.data {
            Data::F32(d) => d.get(r).map_or(0.0, |row| (self.dot32)(query, row)),
            Data::F16(d) => d.get(r).map_or(0.0, |row| (self.dot16)(query, row)),
            Data::Int8 { codes, scales } => match (codes.get(r), scales.get(i as usize)) {
                (Some(row), Some(&s)) => (self.dot8)(query, row) * s,
                _ => 0.0,
            },
        }
    }

    /// Row `i` as f32: the stored slice itself for f32 rows, else decoded into `buf` (empty
    /// for an out-of-range row). Graph construction uses it to avoid copying f32 rows.
    pub fn row<'a>(&'a self, i: u32, buf: &'a mut Vec<f32>) -> &'a [f32] {
        if let Data::F32(d) = &self.data {
            let start = i as usize * self.dim;
            return d.get(start..start + self.dim).unwrap_or(&[]);
        }
        self.decode_into(i, buf);
        buf
    }

    /// Writes row `i`, decoded, into `out` (cleared first; empty for an out-of-range row).
    pub fn decode_into(&self, i: u32, out: &mut Vec<f32>) {
        out.clear();
        let r = i as usize * self.dim..(i as usize + 1) * self.dim;
        match &self.data {
            Data::F32(d) => out.extend_from_slice(d.get(r).unwrap_or(&[])),
            Data::F16(d) => out.extend(d.get(r).unwrap_or(&[]).iter().map(|&b| half::f16::from_bits(b).to_f32())),
            Data::Int8 { codes, scales } => {
                let s = scales.get(i as usize).copied().unwrap_or(0.0);
                out.extend(codes.get(r).unwrap_or(&[]).iter().map(|&c| f32::from(c) * s));
            }
        }
    }

    /// Row `i`, decoded.
    pub fn decode(&self, i: u32) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.dim);
        self.decode_into(i, &mut out);
        out
    }

    /// Whether row `i` is what `v` encodes to (bit for bit).
    pub fn holds(&self, i: u32, v: &[f32]) -> bool {
        let r = i as usize * self.dim..(i as usize + 1) * self.dim;
        match &self.data {
            Data::F32(d) => d.get(r).is_some_and(|row| row.iter().zip(v).all(|(a, b)| a.to_bits() == b.to_bits())),
            Data::F16(d) => {
                d.get(r).is_some_and(|row| row.iter().zip(v).all(|(&a, &b)| a == half::f16::from_f32(b).to_bits()))
            }
            Data::Int8 { codes, scales } => {
                let scale = int8_scale(v);
                scales.get(i as usize).is_some_and(|s| s.to_bits() == scale.to_bits())
                    && codes.get(r).is_some_and(|row| row.iter().zip(v).all(|(&a, &b)| a == int8_code(b, scale)))
            }
        }
    }

    /// Heap memory in bytes.
    pub fn memory_bytes(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.capacity() * 4,
            Data::F16(v) => v.capacity() * 2,
            Data::Int8 { codes, scales } => codes.capacity() + scales.capacity() * 4,
        }
    }

    /// Bytes the rows take in a saved file.
    pub fn file_bytes(&self) -> u64 {
        self.len() as u64 * self.element().row_bytes(self.dim) as u64
    }
}

/// The int8 scale of a vector: its largest magnitude maps to 127 (1 for an all-zero one).
fn int8_scale(v: &[f32]) -> f32 {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max > 0.0 {
        max / 127.0
    } else {
        1.0
    }
}

fn int8_code(x: f32, scale: f32) -> i8 {
    (x / scale).round().clamp(-127.0, 127.0) as i8
}

/// The fastest f32 × f16 kernel for this CPU.
pub fn dot_f16_fn() -> fn(&[f32], &[u16]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            return dot_f16_avx2;
        }
    }
    dot_f16_portable
}

/// The fastest f32 × int8 kernel for this CPU (the result is still to be scaled).
pub fn dot_i8_fn() -> fn(&[f32], &[i8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return dot_i8_avx2;
        }
    }
    dot_i8_portable
}

/// Portable f32 × f16 dot product.
pub fn dot_f16_portable(a: &[f32], b: &[u16]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, &y)| x * half::f16::from_bits(y).to_f32()).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * half::f16::from_bits(y[i]).to_f32();
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Portable f32 × int8 dot product (unscaled).
pub fn dot_i8_portable(a: &[f32], b: &[i8]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, &y)| x * f32::from(y)).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * f32::from(y[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(target_arch = "x86_64")]
fn dot_f16_avx2(a: &[f32], b: &[u16]) -> f32 {
    // SAFETY: chosen by `dot_f16_fn` only when AVX2, FMA and F16C are available.
    unsafe { dot_f16_avx2_impl(a, b) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_f16_avx2_impl(a: &[f32], b: &[u16]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n bounds every load.
        unsafe {
            let h0 = _mm_loadu_si128(b.as_ptr().add(i).cast());
            let h1 = _mm_loadu_si128(b.as_ptr().add(i + 8).cast());
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.as_ptr().add(i)), _mm256_cvtph_ps(h0), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a.as_ptr().add(i + 8)), _mm256_cvtph_ps(h1), acc1);
        }
        i += 16;
    }
    let sum = hsum256(_mm256_add_ps(acc0, acc1));
    sum + dot_f16_portable(&a[i..n], &b[i..n])
}

#[cfg(target_arch = "x86_64")]
fn dot_i8_avx2(a: &[f32], b: &[i8]) -> f32 {
    // SAFETY: chosen by `dot_i8_fn` only when AVX2 and FMA are available.
    unsafe { dot_i8_avx2_impl(a, b) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_i8_avx2_impl(a: &[f32], b: &[i8]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n bounds every load (16 bytes of b, 16 floats of a).
        unsafe {
            let bytes = _mm_loadu_si128(b.as_ptr().add(i).cast());
            let lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
            let hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128::<8>(bytes)));
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.as_ptr().add(i)), lo, acc0);
            acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a.as_ptr().add(i + 8)), hi, acc1);
        }
        i += 16;
    }
    let sum = hsum256(_mm256_add_ps(acc0, acc1));
    sum + dot_i8_portable(&a[i..n], &b[i..n])
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hsum256(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
    _mm_cvtss_f32(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.into_iter().map(|x| x / n).collect()
    }

    proptest! {
        #[test]
        fn kernels_agree_and_encodings_stay_close(
            a in prop::collection::vec(-1.0f32..1.0, 1..70),
            b in prop::collection::vec(-1.0f32..1.0, 70),
        ) {
            let dim = a.len();
            let (a, b) = (unit(a), unit(b[..dim].to_vec()));
            let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            for element in [Element::F32, Element::F16, Element::Int8] {
                let mut rows = Rows::new(dim, element);
                rows.push(&b);
                prop_assert_eq!(rows.len(), 1);
                prop_assert!(rows.holds(0, &b));
                let sim = rows.sim(&a, 0);
                let tolerance = match element { Element::F32 => 1e-5, Element::F16 => 2e-3, Element::Int8 => 3e-2 };
                prop_assert!((sim - exact).abs() <= tolerance, "{element}: {sim} vs {exact}");
                let decoded = rows.decode(0);
                let decoded_sim: f32 = a.iter().zip(&decoded).map(|(x, y)| x * y).sum();
                prop_assert!((decoded_sim - sim).abs() <= 1e-4, "{element}: decode and kernel disagree");
                prop_assert_eq!(rows.file_bytes(), element.row_bytes(dim) as u64);
            }
            let codes: Vec<i8> = b.iter().map(|&x| int8_code(x, int8_scale(&b))).collect();
            let halves: Vec<u16> = b.iter().map(|&x| half::f16::from_f32(x).to_bits()).collect();
            prop_assert!((dot_i8_portable(&a, &codes) - dot_i8_fn()(&a, &codes)).abs() <= 1e-3);
            prop_assert!((dot_f16_portable(&a, &halves) - dot_f16_fn()(&a, &halves)).abs() <= 1e-5);
        }
    }

    #[test]
    fn copying_a_row_keeps_its_bytes_and_names_parse() {
        let v = unit((0..384).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect());
        for element in [Element::F32, Element::F16, Element::Int8] {
            let mut a = Rows::new(384, element);
            a.push(&v);
            let mut b = Rows::new(384, element);
            b.push_row_of(&a, 0);
            assert_eq!(a.decode(0), b.decode(0));
            assert!(b.holds(0, &v));
            b.truncate(0);
            assert_eq!(b.len(), 0);
            assert_eq!(element.name().parse::<Element>(), Ok(element));
            assert_eq!(Element::from_code(element.code()), Some(element));
        }
        assert!("bf16".parse::<Element>().is_err());
        assert_eq!(Element::Int8.row_bytes(384), 388);
    }
}
