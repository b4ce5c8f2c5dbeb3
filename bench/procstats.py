"""What a running app server costs, read from Linux /proc: its CPU time and memory (with its children)."""

from __future__ import annotations

import os
from pathlib import Path


def server_pid(url: str) -> int | None:
    """The pid of the `streamlit run` process serving `url` (found by its --server.port)."""
    port = url.rstrip("/").rsplit(":", 1)[1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmd = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "streamlit" in cmd and f"--server.port={port}" in cmd:
            return int(cmdline.parent.name)
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (its threads included, children not)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def rss_mb(pid: int, tree: bool = True) -> float:
    """Resident memory of the process (and, with `tree`, of all its descendants), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        if tree:
            todo += _children(p)
    return total / 1024


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (the machine is shared: say how busy it was)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
