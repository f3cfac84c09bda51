//! Reading and writing arrays in files, chunk by chunk.

pub mod npy;
