//! Reading and writing arrays in files, chunk by chunk.
//!
//! - [`npy`]: NumPy `.npy` files (always available).
//! - `zarr`: Zarr v3 arrays through the `zarrs` crate, with the cargo feature `zarr`.

pub mod npy;
#[cfg(feature = "zarr")]
pub mod zarr;
