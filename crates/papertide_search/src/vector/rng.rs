//! A tiny seeded random number generator (SplitMix64) for HNSW level generation, also used
//! by the vector tests and benchmarks to make reproducible data.
//!
//! Owns [`SplitMix64`]: deterministic for a seed, its state is saved with the index so
//! that inserts after a reload draw the same levels as without the reload. Not for
//! anything security related. Next: [`super::hnsw`] draws levels with it.

/// SplitMix64 (Steele, Lea & Flood 2014): 64 bits of state, passes BigCrush.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    /// The generator state (saved with an HNSW index).
    pub state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `(0, 1]` (never 0, so its logarithm is finite).
    pub fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal sample (Box–Muller on two [`SplitMix64::next_open01`] draws).
    pub fn gaussian(&mut self) -> f32 {
        let (u1, u2) = (self.next_open01(), self.next_open01());
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}
