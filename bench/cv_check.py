"""The CV check's cost, for ordinary CVs and a hostile file: time and peak memory, checked in
the web worker's own process (as the site did) and contained in a child process (as it does).

    .venv/bin/python bench/cv_check.py

Each figure comes from a fresh process, so that one file's peak is not another's.
"""

import os
import subprocess
import sys

from harness import PROJECT_DIR, print_machine

from tests.support.pdfs import array_bomb, object_stream_bomb, pdf_of_size

FILES = {
    "ordinary CV, 1 MB": pdf_of_size(1_000_000),
    "CV at the form's limit, 7.3 MB": pdf_of_size(7_300_000),
    "2.4 million nested arrays, 7.2 MB": array_bomb(2_400_000),
    # Each stream inflates to just under qpdf's limit for one; in the worker, half a minute.
    "838 object streams, 6.9 MB": object_stream_bomb(838),
}
# Run in a fresh interpreter, the file on standard input: seconds, peak bytes, outcome.
MEASURE = """
import sys, time
from openpositions.enquiries.intake.contained_check import {check}, peak_memory
data = sys.stdin.buffer.read()
started = time.perf_counter()
problem = {check}(data)
print(time.perf_counter() - started, peak_memory(), problem.name if problem else "accepted")
"""
WAYS = {"in the worker": "cv_problem", "contained": "contained_cv_problem"}  # both importable there


def measure(check: str, data: bytes) -> tuple[float, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE.format(check=check)],
        input=data,
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )
    seconds, peak, outcome = done.stdout.decode().split()
    return float(seconds), int(peak), outcome


def main() -> None:
    print_machine("pikepdf")
    print(f"{'file':36} {'checked':14} {'seconds':>8} {'worker peak':>12}  outcome")
    for name, data in FILES.items():
        for way, check in WAYS.items():
            seconds, peak, outcome = measure(check, data)
            print(f"{name:36} {way:14} {seconds:8.2f} {peak / 2**20:9.0f} MB  {outcome}")
    print(
        "Contained, the child may take at most 2 s of CPU and 512 MB; the worker's peak is its own."
    )


if __name__ == "__main__":
    main()
