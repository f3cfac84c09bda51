//! Moving values between processes: the [`Wire`] codec and the registry of types that may
//! cross ranks.
//!
//! A task graph's values are type-erased ([`Value`]), so the sender looks the value's
//! `TypeId` up in a registry to find its encoder, and tags the bytes with a stable type tag
//! (a hash of the type's name, identical in every rank running the same binary) so that the
//! receiver finds the decoder. Every type the array engine produces is registered up front
//! (chunks `ArrayD<T>` of the seven element types, every reduction's partial states, `()`),
//! plus the usual bag partitions, foldby tables and results over common key and value
//! types. Programs that move other types between ranks register them with [`register`]
//! (or [`register_foldby`] for a `foldby` table). A value of an unregistered type that must
//! cross ranks fails the run with an [`Error::Distributed`] naming the type and the key —
//! never a panic.
//!
//! The encoding is little-endian and self-delimiting; it is not meant for storage.

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::{OnceLock, RwLock};

use ndarray::{ArrayD, IxDyn};
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::kernel::reduce::Moments;

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

/// One registered type: its name, stable tag and codec.
struct Codec {
    name: &'static str,
    tag: u64,
    encode: fn(&Value, &mut Vec<u8>) -> bool,
    decode: fn(&mut Reader<'_>) -> Result<Value>,
}

#[derive(Default)]
struct Registry {
    by_type: HashMap<TypeId, Codec>,
    by_tag: HashMap<u64, TypeId>,
}

fn registry() -> &'static RwLock<Registry> {
    static REGISTRY: OnceLock<RwLock<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let lock = RwLock::new(Registry::default());
        register_builtins(&mut lock.write().unwrap_or_else(|e| e.into_inner()));
        lock
    })
}

/// FNV-1a over a type's name: the same in every process running the same binary.
pub(crate) fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

/// The FNV-1a offset basis.
pub(crate) const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn insert<T: Wire>(registry: &mut Registry) {
    let name = std::any::type_name::<T>();
    let tag = fnv1a(name.as_bytes(), FNV_START);
    registry.by_tag.insert(tag, TypeId::of::<T>());
    registry.by_type.insert(
        TypeId::of::<T>(),
        Codec {
            name,
            tag,
            encode: |value, out| match value.downcast_ref::<T>() {
                Some(v) => {
                    v.encode(out);
                    true
                }
                None => false,
            },
            decode: |input| T::decode(input).map(Value::new),
        },
    );
}

/// Lets values of type `T` cross ranks (idempotent; call it on every rank, before the
/// run that needs it).
///
/// ```
/// use chunkflow::distributed::{Reader, Wire, register};
/// #[derive(Clone, Debug, PartialEq)]
/// struct Point(f64, f64);
/// impl Wire for Point {
///     fn encode(&self, out: &mut Vec<u8>) { (self.0, self.1).encode(out) }
///     fn decode(input: &mut Reader<'_>) -> chunkflow::Result<Self> {
///         let (x, y) = <(f64, f64)>::decode(input)?;
///         Ok(Point(x, y))
///     }
/// }
/// register::<Vec<Point>>();
/// ```
pub fn register<T: Wire>() {
    insert::<T>(&mut registry().write().unwrap_or_else(|e| e.into_inner()));
}

/// Registers the per-partition table, the merged pairs and a partition of keys of a
/// `foldby::<K, A>` (or `frequencies`, with `A = u64`), so it can run across ranks.
///
/// ```
/// chunkflow::distributed::register_foldby::<(u32, u32), f64>();
/// ```
pub fn register_foldby<K, A>()
where
    K: Wire + Hash + Eq + Clone,
    A: Wire + Clone,
{
    let mut r = registry().write().unwrap_or_else(|e| e.into_inner());
    insert::<FxHashMap<K, Option<A>>>(&mut r);
    insert::<Vec<(K, A)>>(&mut r);
    insert::<Vec<K>>(&mut r);
}

/// Registers the values a `groupby` with keys `K` over items `T` moves between ranks: its
/// split tasks' buckets and its groups.
///
/// ```
/// chunkflow::distributed::register_groupby::<u64, String>();
/// ```
pub fn register_groupby<K, T>()
where
    K: Wire + Hash + Eq + Clone,
    T: Wire + Clone,
{
    let mut r = registry().write().unwrap_or_else(|e| e.into_inner());
    insert::<Vec<std::sync::Mutex<Vec<(K, T)>>>>(&mut r);
    insert::<Vec<(K, Vec<T>)>>(&mut r);
    insert::<Vec<T>>(&mut r);
}

/// Encodes `value` (the value of `key`): its type tag, then its bytes. A type that was
/// never registered is an [`Error::Distributed`] naming it and the key.
pub(crate) fn encode_value(value: &Value, key: &Key, out: &mut Vec<u8>) -> Result<()> {
    let registry = registry().read().unwrap_or_else(|e| e.into_inner());
    let codec = registry
        .by_type
        .get(&value.wrapped_type_id())
        .ok_or_else(|| {
            Error::Distributed(format!(
                "the value of {key} (type {}) must move to another rank, but its type has no \
             codec: implement chunkflow::distributed::Wire for it and call \
             chunkflow::distributed::register::<{}>() on every rank",
                value.type_name(),
                value.type_name()
            ))
        })?;
    codec.tag.encode(out);
    if (codec.encode)(value, out) {
        Ok(())
    } else {
        Err(Error::Distributed(format!(
            "codec {} does not match the value of {key}",
            codec.name
        )))
    }
}

/// Decodes a value written by [`encode_value`] for `key`.
pub(crate) fn decode_value(input: &mut Reader<'_>, key: &Key) -> Result<Value> {
    let tag = u64::decode(input)?;
    let registry = registry().read().unwrap_or_else(|e| e.into_inner());
    let codec = registry
        .by_tag
        .get(&tag)
        .and_then(|t| registry.by_type.get(t))
        .ok_or_else(|| {
            Error::Distributed(format!(
                "received the value of {key} with a type tag {tag:#x} this rank has not \
                 registered (every rank must register the same types)"
            ))
        })?;
    let value = (codec.decode)(input)?;
    if !input.is_empty() {
        return Err(Error::Distributed(format!(
            "the value of {key} ({}) has trailing bytes",
            codec.name
        )));
    }
    Ok(value)
}

/// Array chunks of each element type, and every reduction's state arrays over it.
macro_rules! register_element {
    ($r:expr, $($t:ty),*) => {$(
        insert::<ArrayD<$t>>($r);
        insert::<ArrayD<Option<$t>>>($r);
        insert::<ArrayD<Option<($t, u64)>>>($r);
        insert::<Vec<$t>>($r);
        insert::<$t>($r);
    )*};
}

/// Foldby tables and results for common key and accumulator types.
macro_rules! register_tables {
    ($r:expr; $($k:ty),*; $accs:tt) => {$( register_tables!(@one $r; $k; $accs); )*};
    (@one $r:expr; $k:ty; [$($a:ty),*]) => {$(
        insert::<FxHashMap<$k, Option<$a>>>($r);
        insert::<Vec<($k, $a)>>($r);
    )*};
}

fn register_builtins(r: &mut Registry) {
    register_element!(r, bool, i32, i64, u32, u64, f32, f64);
    insert::<ArrayD<Moments>>(r);
    insert::<()>(r);
    insert::<usize>(r);
    insert::<String>(r);
    insert::<Vec<String>>(r);
    insert::<Vec<usize>>(r);
    register_tables!(r; String, u64, i64, u32, i32, usize, bool; [u64, i64, usize, f64]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: Value) -> Value {
        let key = Key::new("k");
        let mut bytes = Vec::new();
        encode_value(&value, &key, &mut bytes).unwrap();
        decode_value(&mut Reader::new(&bytes), &key).unwrap()
    }

    #[test]
    fn arrays_and_states_round_trip_bit_for_bit() {
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.5, f64::NAN, -0.0, 3.0]).unwrap();
        let back = round_trip(Value::new(a.clone()));
        let back: &ArrayD<f64> = back.downcast_ref().unwrap();
        let bits = |x: &ArrayD<f64>| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(back), bits(&a));
        let m = ArrayD::from_elem(
            IxDyn(&[1]),
            Moments {
                n: 2.0,
                mean: 0.5,
                m2: 0.25,
            },
        );
        let back = round_trip(Value::new(m.clone()));
        assert_eq!(back.downcast_ref::<ArrayD<Moments>>(), Some(&m));
        let arg = ArrayD::from_elem(IxDyn(&[3]), Some((2_i32, 7_u64)));
        assert_eq!(
            round_trip(Value::new(arg.clone())).downcast_ref::<ArrayD<Option<(i32, u64)>>>(),
            Some(&arg)
        );
    }

    #[test]
    fn strided_arrays_round_trip_in_logical_order() {
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1_i32, 2, 3, 4, 5, 6])
            .unwrap()
            .reversed_axes();
        assert!(a.as_slice().is_none());
        let back = round_trip(Value::new(a.clone()));
        assert_eq!(back.downcast_ref::<ArrayD<i32>>(), Some(&a));
    }

    #[test]
    fn tables_round_trip() {
        let mut t: FxHashMap<String, Option<u64>> = FxHashMap::default();
        t.insert("a".into(), Some(3));
        t.insert("b".into(), None);
        let back = round_trip(Value::new(t.clone()));
        assert_eq!(
            back.downcast_ref::<FxHashMap<String, Option<u64>>>(),
            Some(&t)
        );
    }

    #[test]
    fn unregistered_type_names_type_and_key() {
        struct Opaque;
        let err =
            encode_value(&Value::new(Opaque), &Key::chunk("x", &[1]), &mut Vec::new()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("Opaque") && text.contains("(\"x\", 1)"),
            "{text}"
        );
    }

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
