"""What each hostile file of issue 13 costs the server, before and after the checks. Prints a table.

    python bench/bench_bombs.py [--only NAME]

Each case runs in a fresh Python process that first imports what the server has loaded (numpy, Keras,
TensorFlow), so the baseline is the same; the figures are that process's peak resident memory
(ru_maxrss) above the baseline, the bytes it wrote to disk (/proc/self/io), the wall time, and what it
answered. "before" is the code as it was (the upload written to upload.keras and loaded by Keras, then
shape-checked on two images; an MNIST .gz unpacked whole); "after" is uploads.load_upload and
data.load_mnist.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import bombs  # noqa: E402
from tests.conftest import write_idx_set  # noqa: E402

CHILD = textwrap.dedent("""
    import json, os, resource, sys, time, tempfile, gzip
    from pathlib import Path
    import numpy, keras  # what the server has loaded: the same baseline for both versions
    from mnist_core import data, models, uploads
    from mnist_core.errors import MnistLabError

    def io_written():
        for line in open("/proc/self/io"):
            if line.startswith("write_bytes"):
                return int(line.split()[1])
        return 0

    kind, version, path = sys.argv[1:4]
    path = Path(path)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base_io = io_written()
    start = time.perf_counter()
    try:
        if kind == "upload" and version == "before":
            with tempfile.TemporaryDirectory() as tmp:
                file = Path(tmp) / "upload.keras"
                file.write_bytes(path.read_bytes())
                models.load_model(file)
            answer = "accepted"
        elif kind == "upload":
            uploads.load_upload(path.read_bytes(), path.name)
            answer = "accepted"
        elif version == "before":
            raw = gzip.decompress((path / "train-images-idx3-ubyte.gz").read_bytes())
            data.parse_idx_images(raw, "train-images-idx3-ubyte.gz")
            answer = "accepted"
        else:
            data.load_mnist(path)
            answer = "accepted"
    except MnistLabError as err:
        answer = "refused: " + str(err)
    except Exception as err:
        answer = f"crashed: {type(err).__name__}: {err}"
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "peak_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024,
                      "written_mb": (io_written() - base_io) / 2**20, "answer": answer[:160]}))
""")


def cases(folder: Path) -> dict[str, tuple[str, Path]]:
    valid = bombs.keras_bytes(bombs.tiny_model())
    made = {
        "upsampling x50 model": ("upload", "upsample.keras", bombs.upsampling_bomb()),
        "config.json padded to 1 GiB": ("upload", "padded.keras", bombs.padded_config_bomb(valid)),
        "8 members of 250 MiB": ("upload", "extra.keras", bombs.extra_members_bomb(valid)),
    }
    out = {}
    for name, (kind, filename, payload) in made.items():
        path = folder / filename
        path.write_bytes(payload)
        out[name] = (kind, path)
    for honest in (True, False):
        mnist = folder / f"mnist-{'honest' if honest else 'lying'}"
        write_idx_set(mnist)
        (mnist / "train-images-idx3-ubyte.gz").write_bytes(bombs.idx_gzip_bomb(honest_header=honest))
        out[f"1 MB .gz of 1 GiB ({'honest' if honest else 'lying'} header)"] = ("data", mnist)
    return out


def run(kind: str, version: str, path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, kind, version, str(path)], cwd=REPO, capture_output=True,
                          text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin",
                                          "MNIST_LAB_HOME": str(path.parent / "home")}, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"seconds": 0, "peak_mb": 0, "written_mb": 0, "answer": f"died ({proc.returncode}): "
                + proc.stderr.strip().splitlines()[-1][:120] if proc.stderr.strip() else "no output"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, (kind, path) in cases(folder).items():
            if args.only and args.only not in name:
                continue
            size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.iterdir())) / 2**20
            print(f"\n{name} ({size:.1f} MB on disk)")
            for version in ("before", "after"):
                r = run(kind, version, path)
                print(f"  {version:6}  peak +{r['peak_mb']:7.0f} MB  wrote {r['written_mb']:6.0f} MB  "
                      f"{r['seconds']:6.2f} s  {r['answer']}")


if __name__ == "__main__":
    main()
