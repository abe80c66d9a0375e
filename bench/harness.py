"""What both benchmarks share beyond the tests' own helpers: the import path, a temporary
folder, percentiles, and a line about the machine the figures were taken on."""

import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The benchmarks run the site with the tests' helpers (tests.support.processes, tests.support.nginx,
# tests.support): one harness for both.
if str(PROJECT_DIR) not in sys.path:
    sys.path.append(str(PROJECT_DIR))


@contextmanager
def temporary_folder(prefix: str) -> Iterator[Path]:
    """A new temporary folder, removed on exit whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value at or above `fraction` of all."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def print_machine(*packages: str) -> None:
    """Cores, CPU, load and the versions that shape the figures: read ratios, not rates."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} cores, {model}; load average {load}")
    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    print(f"Python {platform.python_version()}; {versions}")
