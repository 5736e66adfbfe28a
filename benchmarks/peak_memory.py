"""Peak resident memory of the running benchmark, shared by the scripts beside this file."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def reset_peak_memory() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux); False when it cannot."""
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
