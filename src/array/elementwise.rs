//! Elementwise operations: operators, comparisons, logic, math functions, `where_`, casts
//! and user closures, with NumPy broadcasting and automatic chunk unification.
//!
//! Broadcasting aligns shapes from the right and stretches size-1 axes. Operands whose
//! chunks differ along a shared axis are rechunked to the common refinement of their chunk
//! boundaries (Dask's `unify_chunks`); a broadcast operand keeps its single chunk and is read
//! with stride 0 by the kernels, never expanded.

use std::marker::PhantomData;
use std::ops;
use std::sync::Arc;

use super::{Array, Chunks};
use crate::dtype::{Element, Float, Int, Num, Scalar, Signed};
use crate::geometry::Meta;
use crate::geometry::chunks::{Unified, unify};
use crate::kernel::ops::{BinaryOp, UnaryOp};
use crate::kernel::program::MapFn;
use crate::kernel::source::fresh_id;
use crate::plan::{ElemOp, Node, Op};

/// An operand of a binary operation: an array or a scalar.
///
/// ```
/// use chunkflow::Array;
/// let x = Array::<f64>::linspace(0.0, 1.0, 5, 2)?;
/// let below_half = x.lt(0.5);          // a scalar operand
/// let same = x.le(&x);                 // an array operand
/// assert_eq!(below_half.sum().scalar()?, 2);
/// assert_eq!(same.sum().scalar()?, 5);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone, Copy)]
pub enum Operand<'a, T: Element> {
    /// An array.
    Array(&'a Array<T>),
    /// A scalar, broadcast to any shape.
    Scalar(T),
}

impl<'a, T: Element> From<&'a Array<T>> for Operand<'a, T> {
    fn from(a: &'a Array<T>) -> Self {
        Operand::Array(a)
    }
}

macro_rules! scalar_operand {
    ($($t:ty),*) => {$(
        impl<'a> From<$t> for Operand<'a, $t> {
            fn from(v: $t) -> Self {
                Operand::Scalar(v)
            }
        }
    )*};
}
scalar_operand!(bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl<T: Element> Operand<'_, T> {
    fn node(&self) -> Arc<Node> {
        match self {
            Operand::Array(a) => a.node().clone(),
            Operand::Scalar(v) => const_node(v.to_scalar()),
        }
    }
}

/// A 0-d constant node.
pub(crate) fn const_node(v: Scalar) -> Arc<Node> {
    let meta = Meta {
        shape: vec![],
        chunks: Chunks::from_lists(vec![]),
        dtype: v.dtype(),
    };
    Node::new(Op::Const(v), vec![], meta)
}

/// Builds an elementwise node over `inputs`, broadcasting and unifying chunks.
pub(crate) fn elementwise<U: Element>(op: ElemOp, inputs: Vec<Arc<Node>>) -> Array<U> {
    if let Some(error) = inputs.iter().find_map(|n| n.error()) {
        return Array::poisoned(error.clone());
    }
    let layout: Vec<(&[usize], &Chunks)> = inputs
        .iter()
        .map(|n| (n.meta.shape.as_slice(), &n.meta.chunks))
        .collect();
    let Unified {
        shape,
        chunks: out_chunks,
        inputs: wanted,
    } = match unify(&layout) {
        Ok(u) => u,
        Err(e) => return Array::poisoned(e),
    };
    let unified: Vec<Arc<Node>> = inputs
        .into_iter()
        .zip(wanted)
        .map(|(n, wanted)| {
            let (n, wanted) = read_through_broadcast(n, wanted, &shape, &out_chunks);
            if wanted == n.meta.chunks.as_lists() {
                n
            } else {
                rechunk_node(n, Chunks::from_lists(wanted))
            }
        })
        .collect();
    let meta = Meta {
        shape,
        chunks: Chunks::from_lists(out_chunks),
        dtype: U::DTYPE,
    };
    Array::build(Op::Elementwise(op), unified, meta)
}

/// An operand made by `broadcast_to` is replaced by what it broadcasts: the elementwise
/// kernel reads it with stride 0 along the stretched axes, so the broadcast chunks are
/// never materialised. Returns the node to read and the chunks it must have (the output's
/// on the axes it spans, one chunk on stretched length-1 axes).
fn read_through_broadcast(
    node: Arc<Node>,
    wanted: Vec<Vec<usize>>,
    shape: &[usize],
    out_chunks: &[Vec<usize>],
) -> (Arc<Node>, Vec<Vec<usize>>) {
    if !matches!(node.op, Op::BroadcastTo) {
        return (node, wanted);
    }
    let source = node.inputs[0].clone();
    let pad = shape.len() - source.meta.shape.len();
    let wanted = source
        .meta
        .shape
        .iter()
        .enumerate()
        .map(|(a, &len)| {
            if len == shape[pad + a] {
                out_chunks[pad + a].clone()
            } else {
                vec![len]
            }
        })
        .collect();
    (source, wanted)
}

/// `node` rechunked to `chunks` (which must fit its shape).
pub(crate) fn rechunk_node(node: Arc<Node>, chunks: Chunks) -> Arc<Node> {
    if !node.meta.chunks.is_known() {
        let error = super::unknown::unknown_error("rechunk", node.meta.chunks.unknown_axes());
        return Array::<bool>::poisoned(error).node().clone();
    }
    let meta = Meta {
        shape: node.meta.shape.clone(),
        chunks,
        dtype: node.meta.dtype,
    };
    Node::new(Op::Rechunk, vec![node], meta)
}

impl<T: Element> Array<T> {
    pub(super) fn unary<U: Element>(&self, op: UnaryOp) -> Array<U> {
        elementwise(ElemOp::Unary(op), vec![self.node().clone()])
    }

    pub(super) fn binary<'a, U: Element>(
        &self,
        op: BinaryOp,
        other: impl Into<Operand<'a, T>>,
    ) -> Array<U>
    where
        T: 'a,
    {
        elementwise(
            ElemOp::Binary(op),
            vec![self.node().clone(), other.into().node()],
        )
    }

    /// `self < other`, elementwise.
    pub fn lt<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<bool>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Lt, other)
    }
    /// `self <= other`, elementwise.
    pub fn le<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<bool>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Le, other)
    }
    /// `self > other`, elementwise.
    pub fn gt<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<bool>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Gt, other)
    }
    /// `self >= other`, elementwise.
    pub fn ge<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<bool>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Ge, other)
    }
    /// `self == other`, elementwise.
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(0, 4, 1, 2)?;
    /// assert_eq!(x.eq(2).compute()?.as_slice().unwrap(), &[false, false, true, false]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn eq<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<bool>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Eq, other)
    }
    /// `self != other`, elementwise.
    pub fn ne<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<bool>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Ne, other)
    }

    /// Converts every element to `U` as Rust's `as` does (floats to integers truncate and
    /// saturate, NaN becomes 0; nonzero becomes `true`).
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace(0.0, 2.0, 5, 2)?;
    /// assert_eq!(x.cast::<i32>().compute()?.as_slice().unwrap(), &[0, 0, 1, 1, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn cast<U: Element>(&self) -> Array<U> {
        if T::DTYPE == U::DTYPE {
            return Array::wrap(self.node().clone());
        }
        elementwise(ElemOp::Cast(U::DTYPE), vec![self.node().clone()])
    }

    /// Applies `f` to every element. The closure is fused with neighbouring elementwise
    /// operations; if it panics, `compute` returns an error naming the chunk's task.
    ///
    /// ```
    /// let x = chunkflow::Array::<i64>::arange(0, 5, 1, 2)?;
    /// let y = x.map(|v| if v % 2 == 0 { 1.0_f64 } else { 0.5 });
    /// assert_eq!(y.sum().scalar()?, 4.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn map<U: Element>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Array<U> {
        self.map_named("map", f)
    }

    /// Like [`Array::map`], with a name for labels and profiles.
    pub fn map_named<U: Element>(
        &self,
        name: &str,
        f: impl Fn(T) -> U + Send + Sync + 'static,
    ) -> Array<U> {
        let map = MapFn {
            name: name.to_string(),
            f,
            _types: PhantomData,
        };
        elementwise(
            ElemOp::Map(Arc::new(map), fresh_id()),
            vec![self.node().clone()],
        )
    }
}

impl<T: Num> Array<T> {
    /// The elementwise maximum (NaN if either is NaN, like NumPy's `maximum`).
    ///
    /// ```
    /// let x = chunkflow::Array::<i32>::arange(-2, 3, 1, 2)?;
    /// assert_eq!(x.maximum(0).compute()?.as_slice().unwrap(), &[0, 0, 0, 1, 2]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn maximum<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Maximum, other)
    }

    /// The elementwise minimum (NaN if either is NaN).
    pub fn minimum<'a>(&self, other: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Minimum, other)
    }

    /// Limits every element to `[low, high]`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::linspace(-2.0, 2.0, 5, 2)?;
    /// assert_eq!(x.clip(-1.0, 1.0).compute()?.as_slice().unwrap(), &[-1.0, -1.0, 0.0, 1.0, 1.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn clip(&self, low: T, high: T) -> Array<T> {
        let low = Operand::Scalar(low);
        let high = Operand::Scalar(high);
        self.binary::<T>(BinaryOp::Maximum, low)
            .binary(BinaryOp::Minimum, high)
    }
}

impl<T: Signed> Array<T> {
    /// The absolute value (integers wrap: `abs(i32::MIN) == i32::MIN`, as in NumPy).
    pub fn abs(&self) -> Array<T> {
        self.unary(UnaryOp::Abs)
    }
}

impl<T: Float> Array<T> {
    /// Each element to the integer power `n`.
    ///
    /// ```
    /// let x = chunkflow::Array::<f64>::full(&[3], 2.0, 2)?;
    /// assert_eq!(x.powi(3).sum().scalar()?, 24.0);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn powi(&self, n: i32) -> Array<T> {
        self.unary(UnaryOp::Powi(n))
    }

    /// Each element to the power `p` (a scalar or an array).
    pub fn powf<'a>(&self, p: impl Into<Operand<'a, T>>) -> Array<T>
    where
        T: 'a,
    {
        self.binary(BinaryOp::Pow, p)
    }
}

/// Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three (NumPy's
/// `where`).
///
/// ```
/// use chunkflow::{Array, where_};
/// let x = Array::<i32>::arange(0, 5, 1, 2)?;
/// let y = where_(&x.gt(2), &x, 0);
/// assert_eq!(y.compute()?.as_slice().unwrap(), &[0, 0, 0, 3, 4]);
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub fn where_<'a, 'b, T: Element>(
    cond: &Array<bool>,
    a: impl Into<Operand<'a, T>>,
    b: impl Into<Operand<'b, T>>,
) -> Array<T> {
    elementwise(
        ElemOp::Where,
        vec![cond.node().clone(), a.into().node(), b.into().node()],
    )
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $op:ident, $bound:ident) => {
        impl<T: $bound> ops::$trait<&Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl<T: $bound> ops::$trait<Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }
        impl<T: $bound> ops::$trait<&Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl<T: $bound> ops::$trait<Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }
        impl<T: $bound> ops::$trait<T> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.binary(BinaryOp::$op, Operand::Scalar(rhs))
            }
        }
        impl<T: $bound> ops::$trait<T> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.binary(BinaryOp::$op, Operand::Scalar(rhs))
            }
        }
    };
}

binary_operator!(Add, add, Add, Num);
binary_operator!(Sub, sub, Sub, Num);
binary_operator!(Mul, mul, Mul, Num);
binary_operator!(Div, div, Div, Num);
binary_operator!(Rem, rem, Rem, Num);
binary_operator!(BitAnd, bitand, And, Int);
binary_operator!(BitOr, bitor, Or, Int);
binary_operator!(BitXor, bitxor, Xor, Int);
binary_operator!(Shl, shl, Shl, Int);
binary_operator!(Shr, shr, Shr, Int);

/// `scalar op array` for each concrete numeric type (a generic impl is not allowed).
macro_rules! scalar_lhs {
    ($($t:ty),*) => {$(
        scalar_lhs!(@one $t, Add, add, Add);
        scalar_lhs!(@one $t, Sub, sub, Sub);
        scalar_lhs!(@one $t, Mul, mul, Mul);
        scalar_lhs!(@one $t, Div, div, Div);
        scalar_lhs!(@one $t, Rem, rem, Rem);
    )*};
    (@one $t:ty, $trait:ident, $method:ident, $op:ident) => {
        impl ops::$trait<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn $method(self, rhs: &Array<$t>) -> Array<$t> {
                elementwise(ElemOp::Binary(BinaryOp::$op), vec![const_node(self.to_scalar()), rhs.node().clone()])
            }
        }
        impl ops::$trait<Array<$t>> for $t {
            type Output = Array<$t>;
            fn $method(self, rhs: Array<$t>) -> Array<$t> {
                ops::$trait::$method(self, &rhs)
            }
        }
    };
}
scalar_lhs!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl<T: Signed> ops::Neg for &Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        self.unary(UnaryOp::Neg)
    }
}
impl<T: Signed> ops::Neg for Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        self.unary(UnaryOp::Neg)
    }
}

macro_rules! logic_operator {
    ($trait:ident, $method:ident, $op:ident) => {
        impl ops::$trait<&Array<bool>> for &Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: &Array<bool>) -> Array<bool> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl ops::$trait<Array<bool>> for Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: Array<bool>) -> Array<bool> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }
        impl ops::$trait<bool> for &Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: bool) -> Array<bool> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
    };
}
logic_operator!(BitAnd, bitand, And);
logic_operator!(BitOr, bitor, Or);
logic_operator!(BitXor, bitxor, Xor);

impl ops::Not for &Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        self.unary(UnaryOp::Not)
    }
}
impl ops::Not for Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        self.unary(UnaryOp::Not)
    }
}
