"""Word count over text files: Python's `collections.Counter` line by line, and
`dask.bag.read_text(files).str.split().flatten().frequencies()` on the threaded scheduler.
Checksum: the total number of words."""
import argparse
import collections

from common import THREADS, measure

parser = argparse.ArgumentParser()
parser.add_argument("files", nargs="+")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--blocksize", default="64MiB")
parser.add_argument("--skip-counter", action="store_true")
args = parser.parse_args()


def counter():
    counts = collections.Counter()
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                counts.update(line.split())
    return sum(counts.values())


if not args.skip_counter:
    measure("wordcount_files", "python-counter", counter, runs=args.runs, warmup=0)

import dask
import dask.bag as db


def dask_count():
    bag = db.read_text(args.files, blocksize=args.blocksize)
    freq = bag.str.split().flatten().frequencies()
    return sum(c for _, c in freq.compute())


with dask.config.set(scheduler="threads", num_workers=THREADS):
    measure("wordcount_files", "dask", dask_count, runs=args.runs, warmup=0,
            blocksize=args.blocksize)
