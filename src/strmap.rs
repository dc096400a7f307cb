//! `StrMap`: a hash map from strings to counts or positions, for the three lookups that need
//! one (the transcript's ids, the socket engine's recently seen event ids, the pending storage
//! writes of one input); and `Fnv`, its hash, which the view also compares Markdown blocks by.
//!
//! The standard `HashMap` brought its SipHash hasher, its random-state setup and a set of
//! hashbrown's table functions for its one key type into the bundle (about 4 KB of wasm before
//! `wasm-opt`). This is an open-addressing table with linear probing and the FNV-1a hash, kept
//! at most three quarters full, whose removal shifts the following entries back instead of
//! leaving markers. The keys come from the vendor's server and from the widget itself. On
//! wasm32-unknown-unknown the standard map's hash keys are two memory addresses, so they were
//! not secret either; the maps that hold a server's ids are bounded (the transcript's length,
//! `SEEN_IDS`), which bounds what colliding ids could cost.

/// A string-keyed map of `usize` values.
#[derive(Clone, Debug, Default)]
pub struct StrMap {
    /// Empty, or a power of two long and at most three quarters full.
    slots: Vec<Option<(String, usize)>>,
    len: usize,
}

/// The 64-bit FNV-1a hash, as a `Hasher`: also what the view compares drawn Markdown blocks
/// by (`ui::rich`), where the standard `DefaultHasher` (SipHash with fixed keys) brought its
/// own code.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn hash(key: &str) -> usize {
    use std::hash::Hasher;
    let mut h = Fnv::default();
    h.write(key.as_bytes());
    h.finish() as usize
}

impl StrMap {
    pub fn new() -> StrMap {
        StrMap::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot holding `key` (`Ok`), or the empty slot where it would go (`Err`). The table
    /// must not be empty.
    fn find(&self, key: &str) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = hash(key) & mask;
        loop {
            match &self.slots[i] {
                None => return Err(i),
                Some((k, _)) if k == key => return Ok(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    fn slot(&self, key: &str) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(key).ok()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.slot(key).is_some()
    }

    pub fn get(&self, key: &str) -> Option<usize> {
        let i = self.slot(key)?;
        self.slots[i].as_ref().map(|(_, v)| *v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut usize> {
        let i = self.slot(key)?;
        self.slots[i].as_mut().map(|(_, v)| v)
    }

    /// Sets `key` to `value`; returns the value it had.
    pub fn insert(&mut self, key: String, value: usize) -> Option<usize> {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        match self.find(&key) {
            Ok(i) => self.slots[i]
                .as_mut()
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.slots[i] = Some((key, value));
                self.len += 1;
                None
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(8);
        let old = std::mem::take(&mut self.slots);
        self.slots.resize_with(size, || None);
        for (k, v) in old.into_iter().flatten() {
            if let Err(i) = self.find(&k) {
                self.slots[i] = Some((k, v));
            }
        }
    }

    /// Takes `key` out; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<usize> {
        let mut hole = self.slot(key)?;
        let (_, value) = self.slots[hole].take()?;
        self.len -= 1;
        // Entries after the hole that probed past it move back into it, so every entry stays
        // reachable from its home slot without a gap.
        let mask = self.slots.len() - 1;
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let home = match &self.slots[j] {
                None => break,
                Some((k, _)) => hash(k) & mask,
            };
            // Whether `home` lies cyclically in (hole, j]: then the entry stays.
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = self.slots[j].take();
                hole = j;
            }
        }
        Some(value)
    }

    /// Removes every entry, keeping the room.
    pub fn clear(&mut self) {
        if self.len > 0 {
            self.slots.iter_mut().for_each(|s| *s = None);
            self.len = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StrMap;
    use std::collections::HashMap;

    /// Random inserts, removals, updates and clears over a small key space (many collisions
    /// and probe runs that wrap around), checked against the standard map after every step.
    #[test]
    fn behaves_like_the_standard_map() {
        let mut seed: u64 = 0x1234_5678_9abc_def0;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut ours = StrMap::new();
        let mut std_map: HashMap<String, usize> = HashMap::new();
        for step in 0..200_000 {
            let key = format!("id-{}", next(300));
            match next(100) {
                0..=44 => {
                    let v = step;
                    assert_eq!(ours.insert(key.clone(), v), std_map.insert(key, v));
                }
                45..=84 => assert_eq!(ours.remove(&key), std_map.remove(&key)),
                85..=98 => {
                    if let (Some(a), Some(b)) = (ours.get_mut(&key), std_map.get_mut(&key)) {
                        *a += 1;
                        *b += 1;
                    }
                }
                _ if next(50) == 0 => {
                    ours.clear();
                    std_map.clear();
                }
                _ => {}
            }
            assert_eq!(ours.len(), std_map.len());
            if step % 1000 == 0 {
                for i in 0..300 {
                    let k = format!("id-{i}");
                    assert_eq!(ours.get(&k), std_map.get(&k).copied(), "{k} at step {step}");
                    assert_eq!(ours.contains_key(&k), std_map.contains_key(&k));
                }
            }
        }
    }

    #[test]
    fn fnv_matches_the_published_values() {
        use std::hash::Hasher;
        let fnv = |s: &str| {
            let mut h = super::Fnv::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(fnv(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn empty_map_answers_without_a_table() {
        let mut m = StrMap::new();
        assert_eq!(m.get("a"), None);
        assert_eq!(m.remove("a"), None);
        assert!(m.get_mut("a").is_none());
        assert!(m.is_empty());
        m.clear();
        assert_eq!(m.insert(String::new(), 3), None);
        assert_eq!(m.get(""), Some(3));
        assert_eq!(m.insert(String::new(), 4), Some(3));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn stays_at_most_three_quarters_full() {
        let mut m = StrMap::new();
        for i in 0..5_000 {
            m.insert(format!("m{i}"), i);
            assert!(m.len() * 4 <= m.slots.len() * 3);
        }
        assert!((0..5_000).all(|i| m.get(&format!("m{i}")) == Some(i)));
    }
}
