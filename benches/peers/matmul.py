"""`A @ B` for two n x n f64 matrices: NumPy (its BLAS) on the whole arrays, and Dask on
chunk x chunk blocks with the threaded scheduler. Checksum: the sum of the product."""
import argparse

from common import THREADS, measure  # sets the thread variables before NumPy loads

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=4096)
parser.add_argument("--chunk", type=int, default=1024)
parser.add_argument("--runs", type=int, default=3)
args = parser.parse_args()

rng = np.random.default_rng(7)
a = rng.standard_normal((args.n, args.n))
b = rng.standard_normal((args.n, args.n))
measure("matmul", "numpy", lambda: (a @ b).sum(), runs=args.runs, n=args.n,
        blas=np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"])

import dask
import dask.array as da

da_a = da.from_array(a, chunks=args.chunk)
da_b = da.from_array(b, chunks=args.chunk)
with dask.config.set(scheduler="threads", num_workers=THREADS):
    measure("matmul", "dask", lambda: (da_a @ da_b).sum().compute(), runs=args.runs,
            n=args.n, chunk=args.chunk)
