//! Reading and writing arrays in files, chunk by chunk, and bags in text files.
//!
//! - [`npy`]: NumPy `.npy` files (always available).
//! - `zarr`: Zarr v3 arrays through the `zarrs` crate, with the cargo feature `zarr`.
//! - [`text`]: bags of lines from text files (plain, gzip, zstd, bzip2) and back.

pub mod npy;
pub mod text;
#[cfg(feature = "zarr")]
pub mod zarr;

use crate::array::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::graph::{FnKernel, Key, Task, Value};
use crate::options::Options;

/// The shared driver of the chunk-by-chunk writers (`to_npy`, `to_zarr`): lowers `array`
/// for storing, adds one task per chunk made by `store` from the chunk's block index and
/// key (`None` skips the chunk), and runs them all under `options`. Each chunk is written as
/// soon as it is computed and then dropped, so memory holds only the chunks in flight.
///
/// `finish`, if given, runs in the one task that follows every store (a format's metadata,
/// written last so an interrupted write leaves nothing that looks complete). Being a task,
/// it runs once even under a distributed scheduler, before any process's call returns;
/// its error is returned as it is, not wrapped in `Error::TaskFailed`.
pub(crate) fn store_chunks<T: Element>(
    array: &Array<T>,
    name: &str,
    options: &Options,
    mut store: impl FnMut(&[usize], Key) -> Option<Task>,
    finish: Option<Box<dyn Fn() -> Result<()> + Send + Sync>>,
) -> Result<()> {
    let (mut graph, chunk_keys) = crate::array::lower_for_store(array, options)?;
    let store_name = Key::unique_name(name);
    let mut stores = Vec::new();
    for (block, chunk_key) in array.meta().chunks.blocks().zip(chunk_keys) {
        if let Some(task) = store(&block, chunk_key) {
            let key = Key::chunk(store_name.as_str(), &block);
            graph.insert(key.clone(), task)?;
            stores.push(key);
        }
    }
    let done = Key::new(format!("{store_name}-done"));
    let all_stored = FnKernel::new("done", move |_| {
        if let Some(finish) = &finish {
            finish()?;
        }
        Ok(Value::new(()))
    });
    graph.insert(done.clone(), Task::call(all_stored, stores))?;
    let exec = graph.compile(std::slice::from_ref(&done))?;
    let done = done.to_string();
    options.run(&exec).map_err(|e| match e {
        // Only `finish` fails in the last task: return its error as it is.
        Error::TaskFailed { key, cause } if key == done => *cause,
        other => other,
    })?;
    Ok(())
}
