"""The array workloads' Python peers (DESIGN.md's table): numexpr and NumPy on in-memory
inputs, Dask on lazy inputs (random numbers generated inside the graph, as chunkflow's are)
with the threaded scheduler. Checksums as the `workloads` runner prints them."""
import argparse

from common import THREADS, measure

import numpy as np
import numexpr as ne

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=float, default=1e8)
parser.add_argument("--chunk", type=float, default=4e6)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--only", default="poly,pi")
args = parser.parse_args()
n, chunk = int(args.n), int(args.chunk)
only = set(args.only.split(","))
ne.set_num_threads(THREADS)

if "poly" in only:
    x = np.linspace(-1.0, 1.0, n)
    measure("poly", "numexpr", lambda: ne.evaluate("0.25*x**3 + 0.75*x**2 - 1.5*x - 2")[n // 3],
            runs=args.runs, n=n)
    measure("poly", "numpy", lambda: (0.25 * x**3 + 0.75 * x**2 - 1.5 * x - 2)[n // 3],
            runs=args.runs, n=n)
    del x

import dask
import dask.array as da

if "pi" in only:
    def dask_pi():
        rs = da.random.RandomState(7)
        x = rs.uniform(-1, 1, size=n, chunks=chunk)
        y = rs.uniform(-1, 1, size=n, chunks=chunk)
        return 4.0 * (x * x + y * y < 1).sum().compute() / n

    with dask.config.set(scheduler="threads", num_workers=THREADS):
        measure("pi", "dask-lazy-random", dask_pi, runs=args.runs, n=n, chunk=chunk)
