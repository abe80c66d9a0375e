"""A command run in a process of its own, as an operator runs it: seconds from start to exit,
the CPU seconds it used, and its peak memory.

On a shared machine other work stretches the wall time; the CPU time is what the command
itself cost, and changes much less from run to run.
"""

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness import PROJECT_DIR


@dataclass(frozen=True)
class Measured:
    seconds: float
    cpu_seconds: float
    peak_bytes: int
    exit_code: int
    output: str


def run_measured(command: list[str | Path], env: Mapping[str, str]) -> Measured:
    """Run `command` in the project folder; what it printed on standard output, and its cost."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()  # Read while it runs: a full pipe would stall it.
    # wait4 gives this child's own peak, not the largest of all children so far.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(seconds, cpu, usage.ru_maxrss * 1024, process.returncode, output)


def site_environment(**settings: str) -> dict[str, str]:
    """This environment without any FLASK_ setting of its own, and `settings` as FLASK_*."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FLASK_")}
    env.update({f"FLASK_{name}": value for name, value in settings.items()})
    return env
