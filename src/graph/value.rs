//! Values held by a task graph: type-erased, shared, and cheap to clone.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::dtype::with_dtype;
use crate::error::{Error, Result};

/// One computed (or literal) value of a task graph.
///
/// A `Value` is an `Arc` around any `Send + Sync` type, tagged with the type's name so that a
/// wrong-type read gives an [`Error::TypeMismatch`] that says both types. Users seldom touch it:
/// the typed helpers on [`TaskGraph`](super::TaskGraph) wrap and unwrap values for them.
///
/// ```
/// use chunkflow::graph::{Key, Value};
/// let v = Value::new(2_i64);
/// assert_eq!(v.get::<i64>(&Key::new("a")).unwrap(), &2);
/// assert!(v.get::<f64>(&Key::new("a")).is_err());
/// ```
#[derive(Clone)]
pub struct Value {
    inner: Arc<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl Value {
    /// Wraps a value.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Value {
            inner: Arc::new(value),
            type_name: std::any::type_name::<T>(),
        }
    }

    /// The name of the wrapped type.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The `TypeId` of the wrapped value (not of the `Arc` around it).
    pub fn wrapped_type_id(&self) -> std::any::TypeId {
        Any::type_id(&*self.inner)
    }

    /// The bytes of element data the value holds, when it is an array chunk (`ArrayD` of
    /// an element type) or `()`; `None` for other types. Reports use it for memory figures.
    ///
    /// ```
    /// use chunkflow::graph::Value;
    /// assert_eq!(Value::new(ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[4, 2]))).nbytes(), Some(64));
    /// assert_eq!(Value::new(()).nbytes(), Some(0));
    /// assert_eq!(Value::new("text").nbytes(), None);
    /// ```
    pub fn nbytes(&self) -> Option<usize> {
        if self.downcast_ref::<()>().is_some() {
            return Some(0);
        }
        crate::dtype::DType::ALL.into_iter().find_map(|dtype| {
            with_dtype!(dtype, T => self
                .downcast_ref::<ndarray::ArrayD<T>>()
                .map(|a| a.len() * std::mem::size_of::<T>()))
        })
    }

    /// The shape of the wrapped value when it is an array chunk (`ArrayD` of an element
    /// type); `None` for other types.
    ///
    /// ```
    /// use chunkflow::graph::Value;
    /// let v = Value::new(ndarray::ArrayD::<u8>::zeros(ndarray::IxDyn(&[3, 2])));
    /// assert_eq!(v.array_shape(), Some(vec![3, 2]));
    /// assert_eq!(Value::new(1.5).array_shape(), None);
    /// ```
    pub fn array_shape(&self) -> Option<Vec<usize>> {
        crate::dtype::DType::ALL.into_iter().find_map(|dtype| {
            with_dtype!(dtype, T => self
                .downcast_ref::<ndarray::ArrayD<T>>()
                .map(|a| a.shape().to_vec()))
        })
    }

    /// A reference to the wrapped value if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.inner.downcast_ref::<T>()
    }

    /// A reference to the wrapped value, or a type-mismatch error naming `key`.
    pub fn get<T: Any>(&self, key: &super::Key) -> Result<&T> {
        self.downcast_ref::<T>().ok_or_else(|| Error::TypeMismatch {
            key: key.to_string(),
            expected: std::any::type_name::<T>(),
            found: self.type_name,
        })
    }

    /// Takes the value out if it is a `T`: without a copy when this is the last reference,
    /// by cloning otherwise. Errors name `key` on a type mismatch.
    ///
    /// ```
    /// use chunkflow::graph::{Key, Value};
    /// let v = Value::new(vec![1, 2, 3]);
    /// let owned: Vec<i32> = v.take(&Key::new("v")).unwrap();
    /// assert_eq!(owned, [1, 2, 3]);
    /// ```
    pub fn take<T: Any + Send + Sync + Clone>(self, key: &super::Key) -> Result<T> {
        let type_name = self.type_name;
        match self.inner.downcast::<T>() {
            Ok(arc) => Ok(Arc::try_unwrap(arc).unwrap_or_else(|shared| (*shared).clone())),
            Err(_) => Err(Error::TypeMismatch {
                key: key.to_string(),
                expected: std::any::type_name::<T>(),
                found: type_name,
            }),
        }
    }

    /// Takes the value out if it is a `T` and this is the last reference to it; otherwise
    /// gives the `Value` back. Kernels use this to reuse an input's buffer in place.
    pub fn try_unwrap<T: Any + Send + Sync>(self) -> std::result::Result<T, Value> {
        let type_name = self.type_name;
        match self.inner.downcast::<T>() {
            Ok(arc) => Arc::try_unwrap(arc).map_err(|arc| Value {
                inner: arc,
                type_name,
            }),
            Err(inner) => Err(Value { inner, type_name }),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value<{}>", self.type_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Key;

    #[test]
    fn mismatch_names_both_types() {
        let err = Value::new(1_u8).get::<String>(&Key::new("k")).unwrap_err();
        assert_eq!(
            err,
            Error::TypeMismatch {
                key: "k".into(),
                expected: "alloc::string::String",
                found: "u8"
            }
        );
    }

    #[test]
    fn try_unwrap_only_when_unique() {
        let v = Value::new(String::from("x"));
        let w = v.clone();
        let v = v.try_unwrap::<String>().unwrap_err();
        drop(w);
        assert_eq!(v.try_unwrap::<String>().unwrap(), "x");
    }
}
