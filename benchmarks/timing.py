"""Best-of-N timing and peak resident memory, shared by the benchmark scripts beside this file."""

from __future__ import annotations

import contextlib
import ctypes
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def reset_peak_memory() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux); False when it cannot.

    The C allocator is first asked to hand back the memory freed since (glibc's malloc_trim): kept, it would stay
    resident and count as the next step's peak.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing handed back
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def peak_memory_bytes() -> int:
    """Peak resident memory of this process since the last reset (or since it started)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class Timing:
    """Best wall time, best CPU time of this process and highest peak memory over the runs of one side of a
    comparison."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.seconds = float("inf")
        self.cpu_seconds = float("inf")
        self.peak_bytes = -1
        self.result: Any = None

    def run(self) -> None:
        """One more run."""
        reset = reset_peak_memory()
        start, cpu_start = time.perf_counter(), time.process_time()
        self.result = self.function()
        self.seconds = min(self.seconds, time.perf_counter() - start)
        self.cpu_seconds = min(self.cpu_seconds, time.process_time() - cpu_start)
        self.peak_bytes = max(self.peak_bytes, peak_memory_bytes() if reset else -1)
