//! The scenario generator's randomness: takes a seed and a stream name, gives a small,
//! fast generator whose output is the same on every machine and every Rust version.
//!
//! Written here rather than taken from `rand`: the committed samples must regenerate
//! byte-for-byte, and a crate's algorithm or sampling code may change in a minor release.
//! Only integer arithmetic and IEEE basic operations are used (no `ln`, `powf`), since libm
//! transcendental functions may round differently across platforms.

/// xoshiro256** (Blackman and Vigna, "Scrambled Linear Pseudorandom Number Generators", 2021),
/// seeded through SplitMix64 as its authors recommend.
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator for `seed` and the named stream, so that two parts of a scenario drawing
    /// from their own streams do not shift each other when one of them changes.
    pub fn new(seed: u64, stream: &str) -> Rng {
        let mut mix = seed ^ fnv1a(stream.as_bytes());
        let mut state = [0u64; 4];
        for word in &mut state {
            *word = splitmix64(&mut mix);
        }
        Rng { state }
    }

    /// A child stream, independent of how much the parent is used afterwards.
    pub fn fork(&mut self, stream: &str) -> Rng {
        Rng::new(self.next_u64(), stream)
    }

    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    pub fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    pub fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// Uniform in `0..n` (0 when `n` is 0), without modulo bias (Lemire's multiply-shift).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            let low = product as u64;
            if low >= n.wrapping_neg() % n {
                return (product >> 64) as u64;
            }
        }
    }

    /// Uniform in `0..n` for 128-bit ranges (IPv6 networks); `n` of 0 means the full range.
    pub fn below_u128(&mut self, n: u128) -> u128 {
        if n == 0 {
            return self.next_u128();
        }
        if let Ok(small) = u64::try_from(n) {
            return u128::from(self.below(small));
        }
        // Rejection sampling on the smallest covering power of two: at most two draws expected.
        let mask = u128::MAX >> n.leading_zeros();
        loop {
            let candidate = self.next_u128() & mask;
            if candidate < n {
                return candidate;
            }
        }
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.below(denominator) < numerator
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.index(items.len()))
    }

    /// An index drawn with probability proportional to `weights` (all zero: uniform).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        if total == 0 {
            return self.index(weights.len());
        }
        let mut point = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            if point < weight {
                return index;
            }
            point -= weight;
        }
        weights.len().saturating_sub(1)
    }

    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

/// Picks from a fixed cumulative table in O(log n): for populations of millions of hosts,
/// where `Rng::weighted`'s linear scan per packet would dominate.
#[derive(Debug, Clone, Default)]
pub struct Cumulative {
    ends: Vec<u64>,
}

impl Cumulative {
    pub fn new(weights: impl IntoIterator<Item = u64>) -> Cumulative {
        let mut total = 0u64;
        let ends = weights
            .into_iter()
            .map(|weight| {
                total += weight;
                total
            })
            .collect();
        Cumulative { ends }
    }

    pub fn total(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// An index drawn with probability proportional to its weight.
    pub fn draw(&self, rng: &mut Rng) -> usize {
        let point = rng.below(self.total());
        self.ends.partition_point(|&end| end <= point)
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, 64 bits: a stable hash of stream names (std's hashers are seeded or unspecified).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_stream_give_the_same_numbers() {
        let mut a = Rng::new(7, "flood");
        let mut b = Rng::new(7, "flood");
        let mut c = Rng::new(7, "other");
        let first: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let third: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(first, third);
    }

    #[test]
    fn xoshiro_matches_its_reference_sequence() {
        // State [1, 2, 3, 4] as in the reference implementation's test vectors.
        let mut rng = Rng {
            state: [1, 2, 3, 4],
        };
        let values: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(values, [11520, 0, 1509978240]);
    }

    #[test]
    fn bounded_draws_stay_in_range_and_cover_it() {
        let mut rng = Rng::new(1, "range");
        let mut seen = [false; 6];
        for _ in 0..1000 {
            let value = rng.between(10, 15);
            assert!((10..=15).contains(&value));
            seen[(value - 10) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        for _ in 0..1000 {
            assert!(rng.below_u128(1 << 80) < 1 << 80);
            assert!(rng.below_u128(3) < 3);
        }
    }

    #[test]
    fn weighted_and_cumulative_draws_follow_weights() {
        let mut rng = Rng::new(3, "weights");
        let table = Cumulative::new([0, 10, 0, 30]);
        let mut counts = [0u32; 4];
        for _ in 0..4000 {
            counts[table.draw(&mut rng)] += 1;
            assert_ne!(rng.weighted(&[0, 5, 0]), 0);
        }
        assert_eq!(counts[0] + counts[2], 0);
        assert!(counts[3] > counts[1] * 2, "{counts:?}");
    }
}
