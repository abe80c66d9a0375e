"""What loading the content costs as the positions grow: 10, 100 and 1,000 position files, each
with its German text, made in a temporary folder.

    .venv/bin/python bench/content.py [--sizes 10 100 1000] [--rounds 3]

For each size, in a fresh process: the first load (as a start pays it), a reload after one
file's edit (as each process's watcher pays it, off the request path), the memory the loaded
content holds, and the process's peak; then `flask positions check` as a maintainer runs it,
start to end. Times are CPU seconds, the median of the rounds: on a shared machine, wall time
says more about the neighbours than about the load. It prints figures and asserts nothing.
"""

import argparse
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from statistics import median

from harness import PROJECT_DIR, print_machine, temporary_folder
from measured import Measured, run_measured, site_environment

from tests.support.content import copy_content, write_position
from tests.support.processes import BIN

# A body as long as the shipped position's, with a list and a link.
BODY = """We are looking for a highly motivated researcher to join the Remote Sensing Image Analysis
group. The research will develop *machine learning* methods for the analysis of big data from
space, with a focus on deep learning for satellite images.

The main topics include:

1. deep neural networks that overcome data imbalance in satellite image classification;
2. active learning methods for the networks designed;
3. self-supervised learning from unlabelled archives.

An MSc degree in computer science or a related field is required. For details, please visit
[the official posting](https://stellenticket.de/72624/?lang=en).
"""
GERMAN_BODY = BODY.replace("We are looking for", "Wir suchen")

# Run in a fresh interpreter: the first load and a reload after one file's edit (CPU seconds:
# on a shared machine, what the load itself costs), and the peak RSS (bytes).
TIME_LOADS = """
import resource, sys, time
from pathlib import Path
from openpositions.content import load_content
folder = Path(sys.argv[1])
started = time.process_time(); load_content(folder); first = time.process_time() - started
edited = folder / "positions" / "phd-position-0000.md"
edited.write_text(edited.read_text() + "Edited.\\n")
started = time.process_time(); load_content(folder); again = time.process_time() - started
print(first, again, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""
# In a fresh interpreter of its own, as tracing slows the load: the bytes a load leaves held,
# the loaded content and the rendered bodies kept for the next load.
MEASURE_HELD = """
import sys, tracemalloc
from openpositions.content import load_content
tracemalloc.start()
content = load_content(sys.argv[1])
print(tracemalloc.get_traced_memory()[0])
"""


def make_content(folder: Path, count: int) -> Path:
    """The shipped site.yaml and `count` open positions, each with its German text."""
    content = copy_content(folder)
    shutil.rmtree(content / "positions")
    (content / "positions").mkdir()
    for number in range(count):
        slug = f"phd-position-{number:04d}"
        write_position(
            content,
            slug,
            f"{BODY}\nPosition number {number}.",
            title=f"PhD position {number} in Deep Learning for Satellite Image Analysis",
            category="phd" if number % 2 else "postdoc",
            status="open",
            date_posted=date(2026, 1, 1) + timedelta(days=number % 300),
            deadline="open-until-filled",
            start="As soon as possible",
            duration="3 years",
            working_time="Full time",
            employment_type="FULL_TIME",
            salary_grade="E13 TV-L Berliner Hochschulen",
            requirements=["MSc degree in computer science", "Very good command of English"],
            what_to_send="Your CV as a single PDF.",
            posting_url="https://stellenticket.de/72624/?lang=en",
            reference=f"IV-{number}/26",
        )
        (content / "positions" / f"{slug}.de.md").write_text(
            f"---\ntitle: Promotionsstelle {number}\nduration: 3 Jahre\n---\n"
            f"{GERMAN_BODY}\nStelle Nummer {number}.\n",
            encoding="utf-8",
        )
    return content


def in_fresh_python(script: str, content: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", script, str(content)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )
    return done.stdout.split()


def measure_load(content: Path) -> tuple[float, float, int, int]:
    (held,) = in_fresh_python(MEASURE_HELD, content)
    first, again, peak = in_fresh_python(TIME_LOADS, content)
    return float(first), float(again), int(held), int(peak)


def measure_check(content: Path, instance: Path) -> Measured:
    """`flask positions check` as a maintainer runs it."""
    env = site_environment(CONTENT_DIR=str(content), INSTANCE_PATH=str(instance))
    return run_measured([BIN / "flask", "--app", "app", "positions", "check"], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print_machine("pyyaml", "markdown", "nh3")
    print(
        f"{'positions':>9} {'files':>6} {'first load':>11} {'reload':>8} {'held':>8} "
        f"{'peak':>8}   {'positions check':>15} {'its peak':>9}"
    )
    for count in args.sizes:
        firsts, agains, checks = [], [], []
        held = peak = check_peak = 0
        for _ in range(args.rounds):
            with temporary_folder("bench-content-") as folder:
                content = make_content(folder, count)
                files = len(list((content / "positions").glob("*.md"))) + 1
                first, again, held, round_peak = measure_load(content)
                check = measure_check(content, folder / "instance")
                if check.exit_code != 0:
                    sys.exit(f"positions check failed at {count} positions: {check.output}")
            firsts.append(first)
            agains.append(again)
            checks.append(check.cpu_seconds)
            peak = max(peak, round_peak)
            check_peak = max(check_peak, check.peak_bytes)
        print(
            f"{count:9,} {files:6,} {median(firsts):9.2f} s {median(agains):6.2f} s "
            f"{held / 2**20:5.1f} MB {peak / 2**20:5.0f} MB   {median(checks):13.2f} s "
            f"{check_peak / 2**20:6.0f} MB"
        )
    print(
        "CPU seconds, medians of the rounds; held: what a load leaves in memory (the content, "
        "and the rendered bodies kept for the next load); peak: the process's largest size."
    )


if __name__ == "__main__":
    main()
