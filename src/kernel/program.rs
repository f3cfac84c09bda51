//! The fused elementwise program: a register-based instruction list (the numexpr idea),
//! the IR that fusion builds and that [`eval`](super::eval) runs over a chunk in strips.
//!
//! Every instruction writes its own register (SSA), so no instruction reads a register it is
//! overwriting. Constants are instruction operands, not columns; a user closure is a
//! [`StripMap`] applied a strip at a time.

use std::fmt::Write;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use super::ops::{BinaryOp, UnaryOp};
use crate::dtype::{Col, DType, Element, Scalar};
use crate::error::Result;

/// Where an instruction reads an operand: a program input or an earlier register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Src {
    /// Input number `k` of the program.
    Input(usize),
    /// The register written by instruction `r`.
    Reg(usize),
}

/// A user closure applied elementwise, over a strip at a time.
pub trait StripMap: Send + Sync {
    /// The name shown in labels.
    fn name(&self) -> &str;
    /// `out[..len] = f(args[0][..len], args[1][..len], ...)`.
    fn apply(&self, args: &[&Col<'_>], out: &mut Col<'static>, len: usize) -> Result<()>;
}

/// A typed closure `T -> U` as a [`StripMap`].
pub(crate) struct MapFn<T, U, F> {
    pub(crate) name: String,
    pub(crate) f: F,
    pub(crate) _types: PhantomData<fn(T) -> U>,
}

impl<T: Element, U: Element, F: Fn(T) -> U + Send + Sync> StripMap for MapFn<T, U, F> {
    fn name(&self) -> &str {
        &self.name
    }
    fn apply(&self, args: &[&Col<'_>], out: &mut Col<'static>, len: usize) -> Result<()> {
        let a = strip::<T>(args, 0, len)?;
        let o = out_strip::<U>(out, len)?;
        for (o, &x) in o.iter_mut().zip(a) {
            *o = (self.f)(x);
        }
        Ok(())
    }
}

/// A typed closure `(A, B) -> U` as a [`StripMap`] over two operands.
pub(crate) struct ZipFn2<A, B, U, F> {
    pub(crate) name: String,
    pub(crate) f: F,
    pub(crate) _types: PhantomData<fn(A, B) -> U>,
}

impl<A: Element, B: Element, U: Element, F: Fn(A, B) -> U + Send + Sync> StripMap
    for ZipFn2<A, B, U, F>
{
    fn name(&self) -> &str {
        &self.name
    }
    fn apply(&self, args: &[&Col<'_>], out: &mut Col<'static>, len: usize) -> Result<()> {
        let (a, b) = (strip::<A>(args, 0, len)?, strip::<B>(args, 1, len)?);
        let o = out_strip::<U>(out, len)?;
        for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
            *o = (self.f)(x, y);
        }
        Ok(())
    }
}

/// A typed closure `(A, B, C) -> U` as a [`StripMap`] over three operands.
pub(crate) struct ZipFn3<A, B, C, U, F> {
    pub(crate) name: String,
    pub(crate) f: F,
    pub(crate) _types: PhantomData<fn(A, B, C) -> U>,
}

impl<A: Element, B: Element, C: Element, U: Element, F: Fn(A, B, C) -> U + Send + Sync> StripMap
    for ZipFn3<A, B, C, U, F>
{
    fn name(&self) -> &str {
        &self.name
    }
    fn apply(&self, args: &[&Col<'_>], out: &mut Col<'static>, len: usize) -> Result<()> {
        let (a, b, c) = (
            strip::<A>(args, 0, len)?,
            strip::<B>(args, 1, len)?,
            strip::<C>(args, 2, len)?,
        );
        let o = out_strip::<U>(out, len)?;
        for (((o, &x), &y), &z) in o.iter_mut().zip(a).zip(b).zip(c) {
            *o = (self.f)(x, y, z);
        }
        Ok(())
    }
}

/// Operand `k` of a closure as a typed strip of `len` elements.
fn strip<'a, T: Element>(args: &[&'a Col<'_>], k: usize, len: usize) -> Result<&'a [T]> {
    args.get(k)
        .and_then(|c| T::col(c))
        .and_then(|s| s.get(..len))
        .ok_or_else(|| super::internal(format!("map operand {k} is not a {} strip", T::DTYPE)))
}

/// The output register of a closure, resized to `len`.
fn out_strip<'a, T: Element>(out: &'a mut Col<'static>, len: usize) -> Result<&'a mut [T]> {
    let o = T::col_vec(out).ok_or_else(|| super::internal("map output strip type"))?;
    o.resize(len, T::default());
    Ok(&mut o[..len])
}

/// What an instruction computes.
#[derive(Clone)]
pub enum InstrOp {
    /// A constant, filled once per chunk.
    Const(Scalar),
    /// A one-operand operation.
    Unary(UnaryOp),
    /// A two-operand operation (operands of one type).
    Binary(BinaryOp),
    /// A two-operand operation with a constant operand, on the left if the flag is set.
    BinaryScalar(BinaryOp, Scalar, bool),
    /// `where(cond, a, b)`.
    Where,
    /// A type conversion.
    Cast(DType),
    /// A user closure, with its identity (equal ids: the same closure).
    Map(Arc<dyn StripMap>, u64),
}

/// One instruction: an operation, its operands and its result type.
#[derive(Clone)]
pub struct Instr {
    /// The operation.
    pub op: InstrOp,
    /// Its operands.
    pub args: Vec<Src>,
    /// The type of the register it writes.
    pub dtype: DType,
}

/// A straight-line elementwise program over `inputs.len()` input chunks.
#[derive(Clone)]
pub struct Program {
    /// The element type of each input.
    pub inputs: Vec<DType>,
    /// The instructions; instruction `i` writes register `i`.
    pub instrs: Vec<Instr>,
    /// Where the result is.
    pub output: Src,
}

/// Programs hash by structure (operations, parameters, operand wiring, types, and the
/// identity of user closures), so equal programs built twice hash alike.
impl Hash for InstrOp {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            InstrOp::Const(v) => (v.dtype(), v.bits()).hash(h),
            InstrOp::Unary(op) => op.hash(h),
            InstrOp::Binary(op) => op.hash(h),
            InstrOp::BinaryScalar(op, v, left) => (op, v.dtype(), v.bits(), left).hash(h),
            InstrOp::Where => {}
            InstrOp::Cast(to) => to.hash(h),
            InstrOp::Map(_, id) => id.hash(h),
        }
    }
}

impl Hash for Instr {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (&self.op, &self.args, self.dtype).hash(h);
    }
}

impl Hash for Program {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (&self.inputs, &self.instrs, self.output).hash(h);
    }
}

impl Program {
    /// The result type.
    pub fn out_dtype(&self) -> DType {
        match self.output {
            Src::Input(k) => self.inputs[k],
            Src::Reg(r) => self.instrs[r].dtype,
        }
    }

    /// The program as an expression over inputs named `names`, e.g. `sqrt((a - b)^2)`.
    ///
    /// Rendered register by register (no recursion, so a chain of any length is fine), and
    /// an operand whose text is longer than [`MAX_OPERAND_TEXT`] shows as `…`: a DAG with
    /// sharing (`y = y * y` forty times) would otherwise double its text at every step.
    pub fn expr(&self, names: &[String]) -> String {
        let mut texts: Vec<String> = Vec::with_capacity(self.instrs.len());
        for instr in &self.instrs {
            let text = self.render(instr, names, &texts);
            texts.push(text);
        }
        self.operand_text(self.output, names, &texts, usize::MAX)
    }

    /// The text of an operand, `…` past `limit` characters.
    fn operand_text(&self, src: Src, names: &[String], texts: &[String], limit: usize) -> String {
        let text = match src {
            Src::Input(k) => return names.get(k).cloned().unwrap_or_else(|| format!("in{k}")),
            Src::Reg(r) => &texts[r],
        };
        if text.chars().count() > limit {
            "…".to_string()
        } else {
            text.clone()
        }
    }

    fn render(&self, instr: &Instr, names: &[String], texts: &[String]) -> String {
        let arg = |k: usize| self.operand_text(instr.args[k], names, texts, MAX_OPERAND_TEXT);
        let mut out = String::new();
        let _ = match &instr.op {
            InstrOp::Const(v) => write!(out, "{v}"),
            InstrOp::Unary(UnaryOp::Powi(n)) => write!(out, "{}^{n}", wrap(&arg(0))),
            InstrOp::Unary(UnaryOp::Neg) => write!(out, "-{}", wrap(&arg(0))),
            InstrOp::Unary(op) => write!(out, "{op}({})", arg(0)),
            InstrOp::Binary(op) if op.is_function() => {
                write!(out, "{}({}, {})", op.symbol(), arg(0), arg(1))
            }
            InstrOp::Binary(op) => {
                write!(out, "({} {} {})", arg(0), op.symbol(), arg(1))
            }
            InstrOp::BinaryScalar(op, s, left) => {
                let (x, y) = if *left {
                    (s.to_string(), arg(0))
                } else {
                    (arg(0), s.to_string())
                };
                if op.is_function() {
                    write!(out, "{}({x}, {y})", op.symbol())
                } else {
                    write!(out, "({x} {} {y})", op.symbol())
                }
            }
            InstrOp::Where => write!(out, "where({}, {}, {})", arg(0), arg(1), arg(2)),
            InstrOp::Cast(to) => write!(out, "{to}({})", arg(0)),
            InstrOp::Map(f, _) => {
                let args: Vec<String> = (0..instr.args.len()).map(arg).collect();
                write!(out, "{}({})", f.name(), args.join(", "))
            }
        };
        out
    }
}

/// The longest operand text a rendered expression shows; longer ones show as `…`.
pub const MAX_OPERAND_TEXT: usize = 120;

/// Parenthesises `s` unless it is a plain name, a number or already parenthesised.
fn wrap(s: &str) -> String {
    let simple = s
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        || (s.starts_with('(') && s.ends_with(')'));
    if simple {
        s.to_string()
    } else {
        format!("({s})")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `(a - b)^2` over two f64 inputs.
    pub(crate) fn diff_squared() -> Program {
        Program {
            inputs: vec![DType::F64, DType::F64],
            instrs: vec![
                Instr {
                    op: InstrOp::Binary(BinaryOp::Sub),
                    args: vec![Src::Input(0), Src::Input(1)],
                    dtype: DType::F64,
                },
                Instr {
                    op: InstrOp::Unary(UnaryOp::Powi(2)),
                    args: vec![Src::Reg(0)],
                    dtype: DType::F64,
                },
            ],
            output: Src::Reg(1),
        }
    }

    #[test]
    fn renders_the_composite_expression() {
        let names = vec!["a".to_string(), "b".to_string()];
        assert_eq!(diff_squared().expr(&names), "(a - b)^2");
    }
}
