"""Shared timing for the peer scripts: median and minimum of timed runs after a warm-up."""
import json
import os
import statistics
import time

THREADS = int(os.environ.get("PEER_THREADS", "2"))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(var, str(THREADS))


def measure(workload, engine, run, runs=5, warmup=1, **extra):
    """Times `run()` `runs` times after `warmup` untimed calls; prints one JSON line."""
    for _ in range(warmup):
        checksum = run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        checksum = run()
        times.append(time.perf_counter() - start)
    line = {
        "workload": workload,
        "engine": engine,
        "threads": THREADS,
        "seconds_median": statistics.median(times),
        "seconds_min": min(times),
        "checksum": float(checksum),
    }
    line.update(extra)
    print(json.dumps(line), flush=True)
