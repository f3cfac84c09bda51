//! Task keys: a name plus a chunk index, like Dask's `("add-3f2a", 0, 1)`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The name of one value in a task graph: a name and an optional chunk index.
///
/// Keys are cheap to clone (two reference-count bumps) and display the way Dask prints them:
/// a bare name for a plain key, a tuple for a chunk key.
///
/// ```
/// use chunkflow::graph::Key;
/// assert_eq!(Key::new("a").to_string(), "a");
/// assert_eq!(Key::chunk("add-3f2a", &[0, 1]).to_string(), "(\"add-3f2a\", 0, 1)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    name: Arc<str>,
    index: Arc<[usize]>,
}

impl Key {
    /// A plain key with no chunk index.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Key {
            name: name.into(),
            index: Arc::from([]),
        }
    }

    /// The key of one chunk of a collection named `name`.
    pub fn chunk(name: impl Into<Arc<str>>, index: &[usize]) -> Self {
        Key {
            name: name.into(),
            index: Arc::from(index),
        }
    }

    /// A fresh name `prefix-xxxxxxxx`, unique within this process, for generated collections.
    ///
    /// ```
    /// let a = chunkflow::graph::Key::unique_name("add");
    /// let b = chunkflow::graph::Key::unique_name("add");
    /// assert!(a.starts_with("add-") && a != b);
    /// ```
    pub fn unique_name(prefix: &str) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // A multiplicative hash spreads consecutive counters into distinct-looking tokens.
        let token = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        format!("{prefix}-{token:08x}")
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's chunk index (empty for a plain key).
    pub fn index(&self) -> &[usize] {
        &self.index
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.index.is_empty() {
            return f.write_str(&self.name);
        }
        write!(f, "({:?}", &*self.name)?;
        for i in self.index.iter() {
            write!(f, ", {i}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<&str> for Key {
    fn from(name: &str) -> Self {
        Key::new(name)
    }
}

impl From<String> for Key {
    fn from(name: String) -> Self {
        Key::new(name)
    }
}

impl From<&Key> for Key {
    fn from(key: &Key) -> Self {
        key.clone()
    }
}

impl<const N: usize> From<(&str, [usize; N])> for Key {
    fn from((name, index): (&str, [usize; N])) -> Self {
        Key::chunk(name, &index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_dask() {
        assert_eq!(Key::from(("x", [3])).to_string(), "(\"x\", 3)");
        assert_eq!(format!("{:?}", Key::new("b")), "b");
    }

    #[test]
    fn equal_keys_hash_alike() {
        use std::collections::HashSet;
        let set: HashSet<Key> = [Key::chunk("a", &[1]), Key::chunk("a", &[1])].into();
        assert_eq!(set.len(), 1);
        assert_ne!(Key::new("a"), Key::chunk("a", &[0]));
    }
}
