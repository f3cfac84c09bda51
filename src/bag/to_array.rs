//! A bag of numbers as a 1-D array (Dask's `Bag.to_dataframe`'s cousin for arrays): one
//! chunk per partition, of unknown size until the bag has run.
//!
//! The array is lazy: its chunks are made by the bag's own tasks, inserted into the array's
//! task graph when it lowers, so bag and array operations run in one computation. Partition
//! lengths are data-dependent, so the chunk sizes are unknown (Dask's NaN chunks): what
//! needs them waits for [`Array::compute_chunk_sizes`]. A bag has no bound on its
//! partitions' lengths, so each unknown chunk reports a size of 0 until then.

use std::any::Any;
use std::sync::Arc;

use ndarray::ArrayD;

use super::Bag;
use super::lowering::Lowering;
use crate::array::Array;
use crate::dtype::Element;
use crate::error::Result;
use crate::geometry::{Chunks, Meta};
use crate::graph::{Key, TaskGraph, Value};
use crate::kernel::source::{GraphSource, fresh_id};
use crate::plan::{Node, Op};

impl<T: Element> Bag<T> {
    /// The bag's items as a 1-D array, one chunk per partition in partition order, with
    /// unknown chunk sizes (call [`Array::compute_chunk_sizes`] before operations that need
    /// them: slicing, rechunking, storage).
    ///
    /// ```
    /// let b = chunkflow::Bag::range(10, 3)?.filter(|x| x % 3 != 0).map(|x| x as f64);
    /// let x = b.to_array();
    /// assert!(!x.chunks().is_known());
    /// assert_eq!(x.sum().scalar()?, 27.0);
    /// let known = x.compute_chunk_sizes()?;
    /// assert_eq!(known.chunks().axis(0), &[2, 2, 2]);
    /// assert_eq!(known.slice(ndarray::s![1..3])?.compute()?.as_slice().unwrap(), &[2.0, 4.0]);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn to_array(&self) -> Array<T> {
        let parts = self.npartitions();
        let chunks = Chunks::from_lists(vec![vec![0; parts]]).with_unknown(vec![true]);
        let meta = Meta {
            shape: vec![0],
            chunks,
            dtype: T::DTYPE,
        };
        let source = BagSource {
            bag: self.clone(),
            id: fresh_id(),
        };
        Array::wrap(Node::new(Op::Graph(Arc::new(source)), vec![], meta))
    }
}

/// A bag's partitions as chunks.
struct BagSource<T: Element> {
    bag: Bag<T>,
    id: u64,
}

impl<T: Element> GraphSource for BagSource<T> {
    fn name(&self) -> &str {
        "from_bag"
    }

    fn id(&self) -> u64 {
        self.id
    }

    fn insert(&self, graph: &mut TaskGraph, context: &mut (dyn Any + 'static)) -> Result<Vec<Key>> {
        // Computed with bags (`bag::compute`): lowered with them, memoised by node, so a bag
        // they read too is lowered, and run, once; its tasks stay in that lowering's graph.
        if let Some(cx) = context.downcast_mut::<Lowering>() {
            return cx.partitions(&self.bag.node);
        }
        // Computed as arrays alone: a lowering of its own (fused, whatever the options say),
        // whose tasks are copied in. A key already present is the same task: a bag's key
        // names are fresh per node (fixed when it is built for sources and chains) or fresh
        // per lowering (aggregations, shuffles), so two sources over one bag share what
        // has fixed names and never mix up the rest; `bag::compute` shares all of it.
        let mut cx = Lowering::new(true);
        let keys = cx.partitions(&self.bag.node)?;
        for (key, task) in cx.graph.iter() {
            if !graph.contains(key) {
                graph.insert(key.clone(), task.clone())?;
            }
        }
        Ok(keys)
    }

    fn chunk(&self, value: Value, key: &Key) -> Result<Value> {
        let items: Vec<T> = value.take(key)?;
        Ok(Value::new(
            ArrayD::from_shape_vec(vec![items.len()], items).map_err(|e| {
                crate::error::Error::Internal {
                    pass: "from_bag",
                    message: e.to_string(),
                }
            })?,
        ))
    }
}
