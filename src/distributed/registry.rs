//! The registry of types that may cross ranks, and the encoding of type-erased values.
//!
//! A task graph's values are type-erased ([`Value`]), so the sender looks the value's
//! `TypeId` up in the registry to find its encoder, and tags the bytes with a stable type
//! tag (a hash of the type's name, identical in every rank running the same binary) so that
//! the receiver finds the decoder. Every type the array engine produces is registered up
//! front (chunks `ArrayD<T>` of the seven element types, every reduction's partial states,
//! `()`), plus the usual bag partitions, foldby tables and results over common key and value
//! types. Programs that move other types between ranks register them with [`register`] (or
//! [`register_foldby`] for a `foldby` table). A value of an unregistered type that must
//! cross ranks fails the run with an [`Error::Distributed`] naming the type and the key —
//! never a panic.

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{OnceLock, RwLock};

use ndarray::ArrayD;
use rustc_hash::FxHashMap;

use super::wire::{Reader, Wire};
use crate::error::{Error, Result};
use crate::graph::{Key, Value};
use crate::kernel::reduce::{Moments, SumCount};

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
    register_element!(r, bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);
    insert::<ArrayD<Moments>>(r);
    insert::<ArrayD<SumCount>>(r);
    insert::<()>(r);
    insert::<usize>(r);
    insert::<String>(r);
    insert::<Vec<String>>(r);
    insert::<Vec<usize>>(r);
    register_tables!(r; String, u64, i64, u32, i32, usize, bool; [u64, i64, usize, f64]);
}

#[cfg(test)]
mod tests {
    use ndarray::IxDyn;

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
    fn a_partial_of_every_reduction_kind_and_dtype_crosses_ranks() {
        use crate::dtype::{DType, Element, Scalar, with_dtype};
        use crate::kernel::reduce::{ReduceKind, reduce_ops};
        let kinds = [
            ReduceKind::Sum,
            ReduceKind::Prod,
            ReduceKind::Min,
            ReduceKind::Max,
            ReduceKind::Mean,
            ReduceKind::Var { ddof: 0 },
            ReduceKind::Std { ddof: 1 },
            ReduceKind::Any,
            ReduceKind::All,
            ReduceKind::ArgMin,
            ReduceKind::ArgMax,
            ReduceKind::NanMin,
            ReduceKind::NanMax,
            ReduceKind::NanMean,
            ReduceKind::NanVar { ddof: 1 },
            ReduceKind::NanStd { ddof: 0 },
            ReduceKind::NanArgMin,
            ReduceKind::NanArgMax,
        ];
        let key = Key::chunk("x", &[0, 0]);
        for kind in kinds {
            for dtype in DType::ALL {
                let chunk = with_dtype!(dtype, T => {
                    let data: Vec<T> = (0..6).map(|i| T::from_scalar(Scalar::I64(i))).collect();
                    Value::new(ArrayD::from_shape_vec(IxDyn(&[2, 3]), data).unwrap())
                });
                for axes in [vec![0], vec![1], vec![0, 1]] {
                    let ops = reduce_ops(kind, dtype, &[2, 3], &axes);
                    let partial = ops
                        .partial(
                            crate::kernel::codegen::Backend::Interpreter,
                            None,
                            vec![chunk.clone()],
                            std::slice::from_ref(&key),
                            &[2, 3],
                            &[0, 0],
                        )
                        .unwrap();
                    let what = format!("{} of {dtype} over {axes:?}", kind.name());
                    let mut bytes = Vec::new();
                    encode_value(&partial, &key, &mut bytes)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    let back = decode_value(&mut Reader::new(&bytes), &key).unwrap();
                    assert_eq!(back.type_name(), partial.type_name(), "{what}");
                    let mut again = Vec::new();
                    encode_value(&back, &key, &mut again).unwrap();
                    assert_eq!(again, bytes, "{what}: a round trip changed the bytes");
                    // The aggregate's result crosses too (it may be an output on another rank).
                    let out_shape: Vec<usize> = (0..2)
                        .filter(|a| !axes.contains(a))
                        .map(|a| [2, 3][a])
                        .collect();
                    let result = ops.aggregate(vec![back], &key, &out_shape).unwrap();
                    encode_value(&result, &key, &mut Vec::new())
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                }
            }
        }
    }
}
