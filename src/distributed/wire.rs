//! The [`Wire`] codec: how a value is written to bytes and read back in another process,
//! for numbers, strings, options, vectors, tuples, maps, arrays and reduction states. The
//! registry that finds a type-erased value's codec is [`registry`](super::registry).
//!
//! The encoding is little-endian and self-delimiting; it is not meant for storage.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::kernel::reduce::{Moments, SumCount};

/// A value that can be written to bytes and read back in another process.
///
/// ```
/// use chunkflow::distributed::{Reader, Wire};
/// let mut bytes = Vec::new();
/// (String::from("pi"), vec![3_u64, 1, 4]).encode(&mut bytes);
/// let back = <(String, Vec<u64>)>::decode(&mut Reader::new(&bytes))?;
/// assert_eq!(back, ("pi".to_string(), vec![3, 1, 4]));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub trait Wire: Sized + Send + Sync + 'static {
    /// Appends the value's bytes to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value from `input`.
    fn decode(input: &mut Reader<'_>) -> Result<Self>;
    /// Appends the bytes of every item of `items` (numbers override this with one pass
    /// over the slice, the bulk of an array chunk's encoding).
    fn encode_slice(items: &[Self], out: &mut Vec<u8>) {
        for item in items {
            item.encode(out);
        }
    }
    /// Reads `n` values (numbers override this with one pass over the bytes).
    fn decode_vec(n: usize, input: &mut Reader<'_>) -> Result<Vec<Self>> {
        (0..n).map(|_| Self::decode(input)).collect()
    }
}

/// A cursor over received bytes; reading past the end is an [`Error::Distributed`].
///
/// ```
/// use chunkflow::distributed::{Reader, Wire};
/// assert!(u64::decode(&mut Reader::new(&[1, 2])).is_err());
/// ```
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(Error::Distributed(format!(
                "truncated message: wanted {n} more bytes, {} left",
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// A length prefix, checked against the bytes left (each item takes at least
    /// `min_item` bytes), so corrupt input cannot ask for a huge allocation.
    pub fn len(&mut self, min_item: usize) -> Result<usize> {
        let n = u64::decode(self)? as usize;
        if n.saturating_mul(min_item) > self.bytes.len() {
            return Err(Error::Distributed(format!(
                "corrupt message: {n} items announced, {} bytes left",
                self.bytes.len()
            )));
        }
        Ok(n)
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

fn put_len(n: usize, out: &mut Vec<u8>) {
    (n as u64).encode(out);
}

macro_rules! wire_number {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn decode(input: &mut Reader<'_>) -> Result<Self> {
                let bytes = input.take(std::mem::size_of::<$t>())?;
                Ok(<$t>::from_le_bytes(bytes.try_into().expect("exact length")))
            }
            fn encode_slice(items: &[Self], out: &mut Vec<u8>) {
                const SIZE: usize = std::mem::size_of::<$t>();
                let start = out.len();
                out.resize(start + items.len() * SIZE, 0);
                for (dst, x) in out[start..].chunks_exact_mut(SIZE).zip(items) {
                    dst.copy_from_slice(&x.to_le_bytes());
                }
            }
            fn decode_vec(n: usize, input: &mut Reader<'_>) -> Result<Vec<Self>> {
                const SIZE: usize = std::mem::size_of::<$t>();
                let bytes = input.take(n.checked_mul(SIZE).ok_or_else(|| {
                    Error::Distributed(format!("corrupt length {n}"))
                })?)?;
                Ok(bytes
                    .chunks_exact(SIZE)
                    .map(|c| <$t>::from_le_bytes(c.try_into().expect("exact length")))
                    .collect())
            }
        }
    )*};
}
wire_number!(u8, u16, u32, u64, i8, i16, i32, i64, f32, f64);

impl Wire for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        let v = u64::decode(input)?;
        usize::try_from(v).map_err(|_| Error::Distributed(format!("{v} does not fit a usize")))
    }
}

impl Wire for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        match input.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::Distributed(format!("corrupt bool byte {b}"))),
        }
    }
}

impl Wire for () {
    fn encode(&self, _out: &mut Vec<u8>) {}
    fn decode(_input: &mut Reader<'_>) -> Result<Self> {
        Ok(())
    }
}

impl Wire for String {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        let n = input.len(1)?;
        String::from_utf8(input.take(n)?.to_vec())
            .map_err(|e| Error::Distributed(format!("corrupt string: {e}")))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        match input.take(1)?[0] {
            0 => Ok(None),
            1 => Ok(Some(T::decode(input)?)),
            b => Err(Error::Distributed(format!("corrupt option tag {b}"))),
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.len(), out);
        T::encode_slice(self, out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        let n = input.len(usize::from(std::mem::size_of::<T>() > 0))?;
        T::decode_vec(n, input)
    }
}

macro_rules! wire_tuple {
    ($($name:ident),+) => {
        impl<$($name: Wire),+> Wire for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.encode(out);)+
            }
            fn decode(input: &mut Reader<'_>) -> Result<Self> {
                Ok(($($name::decode(input)?,)+))
            }
        }
    };
}
wire_tuple!(A, B);
wire_tuple!(A, B, C);
wire_tuple!(A, B, C, D);

impl<K, V, S> Wire for HashMap<K, V, S>
where
    K: Wire + Hash + Eq,
    V: Wire,
    S: BuildHasher + Default + Send + Sync + 'static,
{
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.len(), out);
        for (k, v) in self {
            k.encode(out);
            v.encode(out);
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        let n = input.len(1)?;
        let mut map = HashMap::with_capacity_and_hasher(n, S::default());
        for _ in 0..n {
            let k = K::decode(input)?;
            map.insert(k, V::decode(input)?);
        }
        Ok(map)
    }
}

impl<T: Wire + Clone> Wire for ArrayD<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.ndim(), out);
        for &d in self.shape() {
            put_len(d, out);
        }
        match self.as_slice() {
            Some(contiguous) => T::encode_slice(contiguous, out),
            None => self.iter().for_each(|x| x.encode(out)),
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        let ndim = input.len(8)?;
        let shape = (0..ndim)
            .map(|_| usize::decode(input))
            .collect::<Result<Vec<_>>>()?;
        let n = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::Distributed(format!("corrupt array shape {shape:?}")))?;
        let elements = (0..n)
            .map(|_| T::decode(input))
            .collect::<Result<Vec<T>>>()?;
        ArrayD::from_shape_vec(IxDyn(&shape), elements)
            .map_err(|e| Error::Distributed(format!("corrupt array: {e}")))
    }
}

/// A mutex crosses as its contents (groupby's buckets sit behind mutexes).
impl<T: Wire> Wire for std::sync::Mutex<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.lock().unwrap_or_else(|e| e.into_inner()).encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        Ok(std::sync::Mutex::new(T::decode(input)?))
    }
}

impl Wire for Moments {
    fn encode(&self, out: &mut Vec<u8>) {
        self.n.encode(out);
        self.mean.encode(out);
        self.m2.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        Ok(Moments {
            n: f64::decode(input)?,
            mean: f64::decode(input)?,
            m2: f64::decode(input)?,
        })
    }
}

impl Wire for SumCount {
    fn encode(&self, out: &mut Vec<u8>) {
        self.sum.encode(out);
        self.n.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self> {
        Ok(SumCount {
            sum: f64::decode(input)?,
            n: f64::decode(input)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_input_is_an_error() {
        let mut bytes = Vec::new();
        vec![1_u64, 2, 3].encode(&mut bytes);
        bytes.truncate(bytes.len() - 1);
        assert!(Vec::<u64>::decode(&mut Reader::new(&bytes)).is_err());
        let mut huge = Vec::new();
        u64::MAX.encode(&mut huge);
        assert!(Vec::<u8>::decode(&mut Reader::new(&huge)).is_err());
        assert!(bool::decode(&mut Reader::new(&[7])).is_err());
    }
}
