//! A small ordered map on a sorted `Vec`, for the widget's few-entry tables (timers, live
//! streams, chunk assemblies, cursor gaps).
//!
//! `BTreeMap` would do the same job, but each key/value pair it is used with brings its own
//! copy of the B-tree's node code into the wasm bundle (insert, remove, rebalance, drop:
//! several kilobytes per pair). These tables hold a handful of entries, where a binary search
//! over a vector is as fast and far smaller. Iteration is in key order, as with `BTreeMap`,
//! and it is written as a JSON object with keys in that order (`protocol::write`).

use std::borrow::Borrow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed<K, V> {
    entries: Vec<(K, V)>,
}

/// An ordered set: a `Keyed` map whose values carry nothing.
pub type KeySet<K> = Keyed<K, ()>;

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> Keyed<K, V> {
    pub const fn new() -> Self {
        Keyed {
            entries: Vec::new(),
        }
    }

    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, giving back the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The map of `given`, in any order; a repeated key keeps its last value, as with
    /// [`FromIterator`]. For many entries (a parsed JSON object): sorted once with a merge sort,
    /// so even entries in reverse order cost `n log n` comparisons, where inserting one by one
    /// would move `n²` entries. (Not std's `sort_by`: tried in `collect()`, it added 1.6 KB gzip.)
    pub fn from_unsorted(given: Vec<(K, V)>) -> Self {
        let n = given.len();
        // A stable sort of the positions by key, bottom up, between two buffers.
        let mut order: Vec<usize> = (0..n).collect();
        let mut next = vec![0; n];
        let mut width = 1;
        while width < n {
            let mut start = 0;
            while start < n {
                let mid = (start + width).min(n);
                let end = (start + 2 * width).min(n);
                let (mut i, mut j) = (start, mid);
                for slot in next.iter_mut().take(end).skip(start) {
                    let left = j >= end || (i < mid && given[order[i]].0 <= given[order[j]].0);
                    if left {
                        *slot = order[i];
                        i += 1;
                    } else {
                        *slot = order[j];
                        j += 1;
                    }
                }
                start = end;
            }
            std::mem::swap(&mut order, &mut next);
            width *= 2;
        }
        // Equal keys are now side by side in the order they came: the last one stays.
        let mut given: Vec<Option<(K, V)>> = given.into_iter().map(Some).collect();
        let mut entries: Vec<(K, V)> = Vec::with_capacity(n);
        for i in order {
            let Some(entry) = given.get_mut(i).and_then(Option::take) else {
                continue;
            };
            match entries.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => entries.push(entry),
            }
        }
        Keyed { entries }
    }

    /// The value at `key`, first set to `V::default()` if there is none.
    pub fn entry_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, V::default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entry with the greatest key.
    pub fn last(&self) -> Option<(&K, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.into_iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<K: Ord> KeySet<K> {
    /// Adds `key`; false when it was already there.
    pub fn add(&mut self, key: K) -> bool {
        self.insert(key, ()).is_none()
    }
}

/// Collects in any order; a repeated key keeps its last value, as `BTreeMap` does.
impl<K: Ord, V> FromIterator<(K, V)> for Keyed<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Keyed::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<K, V> IntoIterator for Keyed<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a Keyed<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// Named text values: lead form fields, identity traits, stored records by key.
pub type Fields = Keyed<String, String>;
