//! Reconnect timing and the engine's own small random source.

pub const BACKOFF_BASE_MS: u64 = 1_000;
pub const BACKOFF_CAP_MS: u64 = 30_000;
/// A link that stayed open this long was healthy: the next drop starts backoff afresh.
pub const STABLE_OPEN_MS: u64 = 10_000;

/// Delay before reconnect attempt `attempt` (0-based): `min(cap, base·2^attempt)`, less up to a
/// quarter of it at random (`unit` in [0, 1)), so tabs that lost the same server spread out and
/// no delay ever exceeds the cap.
pub fn backoff_delay_ms(attempt: u32, unit: f64) -> u64 {
    let exp = BACKOFF_BASE_MS.saturating_mul(1u64 << attempt.min(20));
    let full = exp.min(BACKOFF_CAP_MS);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    full - (full as f64 * 0.25 * unit) as u64
}

/// xorshift64*: deterministic from its seed, which the driver takes from `Math.random`.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
