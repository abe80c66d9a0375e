"""The CV check run where a hostile file cannot harm the web worker: in a child process held to
a few seconds of CPU and a few hundred MB, one child for the files of one request.
"""

import contextlib
import logging
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openpositions.enquiries.intake.cv_check import CvProblem, cv_problem

log = logging.getLogger(__name__)

# A file that takes more than this to check is refused as too complex: a hostile PDF (millions
# of nested arrays, hundreds of object streams each inflating to the qpdf limit) could otherwise
# hold a web worker for half a minute and take gigabytes. Ordinary CVs take well under a second.
CHECK_SECONDS = 2
CHECK_MEMORY = 512 * 1024 * 1024
# Where this module is importable from, for the child process.
PROJECT_DIR = str(Path(__file__).resolve().parents[3])


# One child checks the files of one request in turn, starting once: a start costs far more than
# checking an ordinary file (about 0.3 s against a few milliseconds). It checks at most this
# many before the next starts afresh, each within CHECK_SECONDS of its own.
FILES_PER_CHILD = 12
# Each file goes to the child as its length (8 bytes, big-endian) and its bytes; the child
# answers each with one line: "ok" or the problem's name. A length of 0 ends it.
LENGTH_BYTES = 8


def contained_cv_problem(data: bytes) -> CvProblem | None:
    """cv_problem, run in a child process held to CHECK_SECONDS of CPU and CHECK_MEMORY.

    Whatever the file does to qpdf, the web worker waits about two seconds at most and its own
    memory does not grow: past either limit the child is stopped and the file refused.
    """
    with ContainedChecks() as checks:
        return checks.problem(data)


class ContainedChecks:
    """A child process that checks files one after the other, as cv_problem would, each held
    to CHECK_SECONDS of CPU, all to CHECK_MEMORY: the files of one request, without a start
    for each. Only the file being checked is in this process's memory, once.

    A file that stops the child (past a limit) is refused as too complex, and the next file
    gets a new child.
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.errors: Any = None
        self.checked = 0

    def __enter__(self) -> "ContainedChecks":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child: it exits at the end of its input, or is stopped."""
        child, self.child = self.child, None
        if child is None:
            return
        try:
            assert child.stdin is not None
            child.stdin.write(bytes(LENGTH_BYTES))
            child.stdin.close()
            child.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        finally:
            for stream in (child.stdin, child.stdout, self.errors):
                if stream is not None:
                    with contextlib.suppress(OSError):  # A pipe the child broke.
                        stream.close()
            self.errors = None

    def start(self) -> None:
        self.errors = tempfile.TemporaryFile()
        self.child = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env={**os.environ, "PYTHONPATH": PROJECT_DIR},
        )
        self.checked = 0

    def problem(self, data: bytes) -> CvProblem | None:
        """What is wrong with this file as a CV to mail on, checked in the child."""
        if self.child is None or self.checked >= FILES_PER_CHILD:
            self.close()
            try:
                self.start()
            except OSError:
                self.errors.close()
                self.errors = None
                # No child could be started (no process left, say): checked here, as before,
                # rather than refusing every file.
                log.exception("The CV check could not start its child process; checking in-process")
                return cv_problem(data)
        self.checked += 1
        answer = self.answer_for(data)
        if answer == "ok":
            return None
        if answer in CvProblem.__members__:
            return CvProblem[answer]
        self.stopped(answer)
        return CvProblem.TOO_COMPLEX

    def answer_for(self, data: bytes) -> str:
        """The child's answer line for `data`; "" if it gave none in time (it is stopped)."""
        child = self.child
        assert child is not None and child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(len(data).to_bytes(LENGTH_BYTES, "big"))
            child.stdin.write(data)
            child.stdin.flush()
        except OSError:  # It exited before it read the file: the answer says why.
            pass
        # The CPU limit stops a busy child first; this one, a child that waits, or a start
        # slowed by a machine under load.
        deadline = time.monotonic() + CHECK_SECONDS + 8
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.stdout], [], [], left)[0]:
                child.kill()
                break
            chunk = os.read(child.stdout.fileno(), 64)
            if not chunk:
                break
            line += chunk
        return line.decode("ascii", "replace").strip()

    def stopped(self, answer: str) -> None:
        """The child was stopped, or answered nonsense: say why, and start afresh next time."""
        child = self.child
        assert child is not None
        if child.poll() is None:
            child.kill()
        code = child.wait()
        said = ""
        if self.errors is not None:
            self.errors.seek(0)
            said = self.errors.read().decode("utf-8", "replace").strip()[-300:]
        if not answer and code in (0, -9):
            log.warning(
                "A file took longer than %d s to check; refused as too complex", CHECK_SECONDS
            )
        else:
            log.warning(
                "A file's check was stopped (exit %d: %s); refused as too complex",
                code,
                said or answer,
            )
        self.close()


def check_standard_input() -> None:
    """The child: read files on standard input (each its length, then its bytes), and print
    each one's problem's name or "ok", until a length of 0 or the end of its input."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    started = used.ru_utime + used.ru_stime
    # A limit for all the files this child may check; each file's own is set below.
    ceiling = int(started) + CHECK_SECONDS * FILES_PER_CHILD + 1
    resource.setrlimit(resource.RLIMIT_CPU, (ceiling, ceiling + 1))
    resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY, CHECK_MEMORY))
    source = sys.stdin.buffer
    while True:
        length = int.from_bytes(source.read(LENGTH_BYTES) or bytes(LENGTH_BYTES), "big")
        if not length:
            return
        data = source.read(length)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = min(int(used.ru_utime + used.ru_stime) + CHECK_SECONDS, ceiling)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, ceiling + 1))
        peak_before = peak_memory()
        problem = cv_problem(data)
        del data
        grew = peak_memory() > max(peak_before, CHECK_MEMORY // 2)
        if problem is CvProblem.DAMAGED and grew:
            # qpdf ran out of the memory it may have, and says so as it would of a broken file.
            problem = CvProblem.TOO_COMPLEX
        print("ok" if problem is None else problem.name, flush=True)


def peak_memory() -> int:
    """This process's peak resident memory in bytes (0 where the system does not say).

    Not getrusage's ru_maxrss: Linux carries that over from the parent across exec.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    check_standard_input()
