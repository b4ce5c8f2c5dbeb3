"""Time the handwriting store on N samples (default 1000) in a temporary folder; prints the figures.

    python -m bench.bench_handwriting [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mnist_core.handwriting import PNG_SIGNATURE, HandwritingStore


def timed(fn, repeat: int = 5) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(n: int = 1000) -> None:
    rng = np.random.default_rng(0)
    png = PNG_SIGNATURE + rng.integers(0, 256, 8_000, dtype=np.uint8).tobytes()  # ~ a canvas PNG's size
    with tempfile.TemporaryDirectory() as folder:
        store = HandwritingStore(Path(folder) / "bench.sqlite")
        adds = []
        for i in range(n):
            x = rng.random((28, 28), dtype=np.float32)
            start = time.perf_counter()
            store.add(i % 10, png, x)
            adds.append(time.perf_counter() - start)
        print(f"{n} samples, database {store.path.stat().st_size / 2**20:.1f} MB")
        print(f"add            median {statistics.median(adds) * 1e3:6.1f} ms  "
              f"p95 {np.percentile(adds, 95) * 1e3:6.1f} ms  (one transaction + fsync each)")
        for name, fn in [
            ("open store", lambda: HandwritingStore(store.path)),
            ("counts", store.counts),
            ("list 12 (page)", lambda: store.list(limit=12, offset=120)),
            ("list 12 of a digit", lambda: store.list(label=3, limit=12)),
            ("list all", store.list),
            ("arrays", store.arrays),
            ("export_npz", store.export_npz),
            ("export_csv", store.export_csv),
        ]:
            print(f"{name:<18} median {timed(fn) * 1e3:6.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
