//! Tasks: a literal value, or a kernel applied to the values of other keys.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::{Key, Value};
use crate::error::{Error, Result};

/// What a task runs: a named function from its input values to its output value.
///
/// Inputs arrive owned, in the order the task lists its keys. An input whose last consumer is
/// this task arrives as the only reference to its value, so a kernel may reuse its buffer
/// (see [`Value::try_unwrap`]).
///
/// ```
/// use chunkflow::graph::{Kernel, Key, Value};
/// struct Double;
/// impl Kernel for Double {
///     fn name(&self) -> &str { "double" }
///     fn call(&self, inputs: Vec<Value>) -> chunkflow::Result<Value> {
///         let x: &i64 = inputs[0].get(&Key::new("x"))?;
///         Ok(Value::new(2 * x))
///     }
/// }
/// assert_eq!(Double.call(vec![Value::new(21_i64)]).unwrap().downcast_ref::<i64>(), Some(&42));
/// ```
pub trait Kernel: Send + Sync {
    /// A short name for the function, used in DOT labels, events and profiles.
    fn name(&self) -> &str;
    /// Runs the function.
    fn call(&self, inputs: Vec<Value>) -> Result<Value>;
}

/// A [`Kernel`] made from a closure over the raw input values.
///
/// ```
/// use chunkflow::graph::{FnKernel, Kernel, Value};
/// let k = FnKernel::new("count", |inputs| Ok(Value::new(inputs.len())));
/// assert_eq!(k.call(vec![Value::new(()), Value::new(())]).unwrap().downcast_ref::<usize>(), Some(&2));
/// ```
pub struct FnKernel<F> {
    name: String,
    f: F,
}

impl<F> FnKernel<F>
where
    F: Fn(Vec<Value>) -> Result<Value> + Send + Sync,
{
    /// A kernel called `name` that runs `f`.
    pub fn new(name: impl Into<String>, f: F) -> Self {
        FnKernel {
            name: name.into(),
            f,
        }
    }
}

impl<F> Kernel for FnKernel<F>
where
    F: Fn(Vec<Value>) -> Result<Value> + Send + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, inputs: Vec<Value>) -> Result<Value> {
        (self.f)(inputs)
    }
}

/// One entry of a task graph.
#[derive(Clone)]
pub enum Task {
    /// A value known before the run (Dask's `{"a": 2}`).
    Literal(Value),
    /// A kernel applied to the values of `inputs`, in order (Dask's `(add, "a", "b")`).
    Call {
        /// The function to run.
        kernel: Arc<dyn Kernel>,
        /// The keys whose values are passed to it.
        inputs: Vec<Key>,
    },
}

impl Task {
    /// A literal task holding `value`.
    ///
    /// ```
    /// let t = chunkflow::graph::Task::literal(2_i64);
    /// assert!(t.inputs().is_empty());
    /// ```
    pub fn literal<T: Any + Send + Sync>(value: T) -> Self {
        Task::Literal(Value::new(value))
    }

    /// A task running `kernel` on the values of `inputs`.
    pub fn call(kernel: impl Kernel + 'static, inputs: Vec<Key>) -> Self {
        Task::Call {
            kernel: Arc::new(kernel),
            inputs,
        }
    }

    /// A task applying `f` to one typed input.
    ///
    /// ```
    /// use chunkflow::graph::Task;
    /// let t = Task::map1("neg", |x: &i64| -x, "a");
    /// assert_eq!(t.label(), "neg");
    /// ```
    pub fn map1<A, R>(
        name: &str,
        f: impl Fn(&A) -> R + Send + Sync + 'static,
        a: impl Into<Key>,
    ) -> Self
    where
        A: Any,
        R: Any + Send + Sync,
    {
        Self::try_map1(name, move |a: &A| Ok(f(a)), a)
    }

    /// Like [`Task::map1`] for a function that may fail.
    pub fn try_map1<A, R>(
        name: &str,
        f: impl Fn(&A) -> Result<R> + Send + Sync + 'static,
        a: impl Into<Key>,
    ) -> Self
    where
        A: Any,
        R: Any + Send + Sync,
    {
        let a = a.into();
        let key_a = a.clone();
        let name = name.to_string();
        let kernel_name = name.clone();
        Task::call(
            FnKernel::new(name, move |inputs: Vec<Value>| {
                check_arity(&kernel_name, 1, inputs.len())?;
                f(inputs[0].get::<A>(&key_a)?).map(Value::new)
            }),
            vec![a],
        )
    }

    /// A task applying `f` to two typed inputs: Dask's `(add, "a", "b")`.
    ///
    /// ```
    /// use chunkflow::graph::Task;
    /// let t = Task::map2("add", |a: &i64, b: &i64| a + b, "a", "b");
    /// assert_eq!(t.inputs().len(), 2);
    /// ```
    pub fn map2<A, B, R>(
        name: &str,
        f: impl Fn(&A, &B) -> R + Send + Sync + 'static,
        a: impl Into<Key>,
        b: impl Into<Key>,
    ) -> Self
    where
        A: Any,
        B: Any,
        R: Any + Send + Sync,
    {
        Self::try_map2(name, move |a: &A, b: &B| Ok(f(a, b)), a, b)
    }

    /// Like [`Task::map2`] for a function that may fail.
    pub fn try_map2<A, B, R>(
        name: &str,
        f: impl Fn(&A, &B) -> Result<R> + Send + Sync + 'static,
        a: impl Into<Key>,
        b: impl Into<Key>,
    ) -> Self
    where
        A: Any,
        B: Any,
        R: Any + Send + Sync,
    {
        let (a, b) = (a.into(), b.into());
        let (key_a, key_b) = (a.clone(), b.clone());
        let name = name.to_string();
        let kernel_name = name.clone();
        Task::call(
            FnKernel::new(name, move |inputs: Vec<Value>| {
                check_arity(&kernel_name, 2, inputs.len())?;
                f(inputs[0].get::<A>(&key_a)?, inputs[1].get::<B>(&key_b)?).map(Value::new)
            }),
            vec![a, b],
        )
    }

    /// A task applying `f` to any number of inputs of one type (a sum over a list, say).
    ///
    /// ```
    /// use chunkflow::graph::Task;
    /// let t = Task::map_many("sum", |xs: &[&i64]| xs.iter().copied().sum::<i64>(), ["a", "b", "c"]);
    /// assert_eq!(t.inputs().len(), 3);
    /// ```
    pub fn map_many<A, R, K>(
        name: &str,
        f: impl Fn(&[&A]) -> R + Send + Sync + 'static,
        inputs: impl IntoIterator<Item = K>,
    ) -> Self
    where
        A: Any,
        R: Any + Send + Sync,
        K: Into<Key>,
    {
        let keys: Vec<Key> = inputs.into_iter().map(Into::into).collect();
        let input_keys = keys.clone();
        Task::call(
            FnKernel::new(name, move |inputs: Vec<Value>| {
                let typed = inputs
                    .iter()
                    .zip(&input_keys)
                    .map(|(v, k)| v.get::<A>(k))
                    .collect::<Result<Vec<&A>>>()?;
                Ok(Value::new(f(&typed)))
            }),
            keys,
        )
    }

    /// The keys this task reads.
    pub fn inputs(&self) -> &[Key] {
        match self {
            Task::Literal(_) => &[],
            Task::Call { inputs, .. } => inputs,
        }
    }

    /// A label for the task: the kernel's name, or `literal`.
    pub fn label(&self) -> &str {
        match self {
            Task::Literal(_) => "literal",
            Task::Call { kernel, .. } => kernel.name(),
        }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Task::Literal(v) => write!(f, "{v:?}"),
            Task::Call { kernel, inputs } => write!(f, "{}{:?}", kernel.name(), inputs),
        }
    }
}

fn check_arity(kernel: &str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::Arity {
            kernel: kernel.to_string(),
            expected,
            found,
        })
    }
}
