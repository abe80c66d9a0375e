"""Requests per second of GET /openpositions against the same bytes served as a static file.

Both are served in one run by the same gunicorn (same worker count) and the same app: gunicorn
loads a small wrapper module, written to a temporary folder, that imports the site's `app` and
registers one blueprint whose static folder is that temporary folder. The positions page is
fetched once and its exact bytes are written there, so the second target is the very same body
served by Flask's own static-file view (the code behind /static/), with the same request hooks.
Nothing is written into the project's static/ folder.

wrk runs the two targets in alternation (ABBA order: page, static, static, page, ...) so that
the machine's drift falls on both alike. Read the medians and their ratio: 1.0 means the page
costs no more per request than a static file through the same app; the goal is at least 0.9.

--setup embedded (default): one gunicorn with 2 workers, one wrk (-t2 -c16) against its port.
--setup shared: two gunicorns with 1 worker each on two ports (see setups.py); one wrk per
port (-t1 -c8 each, so the same 2 threads and 16 connections in all) run at the same time,
and their rates are added.
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from _support import (
    http_get,
    print_load,
    print_machine,
    run_main,
    temporary_folder,
)
from setups import SetupUnavailable, add_setup_option, site, storage

GOAL = 0.9
PAGE = "/openpositions"
STATIC = "/bench-static/openpositions.html"
WRAPPER = '''"""The site as gunicorn serves it, plus its static-file view over this folder."""

from pathlib import Path

from flask import Blueprint

from app import app

here = Path(__file__).resolve().parent
app.register_blueprint(
    Blueprint("bench_static", __name__, static_folder=here / "static",
              static_url_path="/bench-static")
)
'''


@dataclass
class WrkRun:
    requests_per_second: float
    requests: int
    bad_responses: int
    socket_errors: int
    # Shared set-up: the rate each instance served, which add up to requests_per_second.
    parts: list[float] = field(default_factory=list)


def wrk_command(url: str, duration: int, connections: int, threads: int) -> list[str]:
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", url]


def parse_wrk(output: str) -> WrkRun:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rps is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return WrkRun(
        float(rps.group(1)),
        int(total.group(1)),
        int(bad.group(1)) if bad else 0,
        sum(int(n) for n in re.findall(r"\d+", errors.group(1))) if errors else 0,
    )


def wrk_split(urls: int, connections: int) -> tuple[int, int]:
    """Threads and connections of each wrk when `urls` share 2 threads and `connections`."""
    threads = max(1, 2 // urls)
    return threads, max(threads, connections // urls)


def run_wrk(urls: list[str], duration: int, connections: int) -> WrkRun:
    """Load every URL at once, one wrk each, sharing 2 threads and `connections` between them
    (one URL: wrk -t2 -cN; two: wrk -t1 -cN/2 twice); their rates added."""
    threads, share = wrk_split(len(urls), connections)
    processes = [
        subprocess.Popen(
            wrk_command(url, duration, share, threads),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for url in urls
    ]
    outputs = []
    try:
        for process in processes:
            output, _ = process.communicate(timeout=duration + 30)
            if process.returncode != 0:
                raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
            outputs.append(output)
    finally:
        for process in processes:  # Only after an error: the others are not left running.
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    runs = [parse_wrk(output) for output in outputs]
    return WrkRun(
        sum(run.requests_per_second for run in runs),
        sum(run.requests for run in runs),
        sum(run.bad_responses for run in runs),
        sum(run.socket_errors for run in runs),
        [run.requests_per_second for run in runs] if len(runs) > 1 else [],
    )


@dataclass
class PagesResult:
    setup: str
    layout: str
    page: float  # median req/s of the positions page
    static: float  # median req/s of the same bytes from the static view
    bad_responses: int
    socket_errors: int

    @property
    def ratio(self) -> float:
        return self.page / self.static

    @property
    def met(self) -> bool:
        return self.ratio >= GOAL


def fetch_same_bytes(urls: list[str], static_folder: Path) -> bytes:
    """Write the page's bytes as the static file; check every instance serves both alike."""
    status, _, body = http_get(urls[0] + PAGE)
    if status != 200:
        raise RuntimeError(f"GET {PAGE} answered {status}")
    (static_folder / "openpositions.html").write_bytes(body)
    for url in urls:
        page_status, page_headers, page_body = http_get(url + PAGE)
        static_status, static_headers, static_body = http_get(url + STATIC)
        if page_status != 200 or static_status != 200 or static_body != body:
            raise RuntimeError(f"{url}: {STATIC} answered {static_status} with other bytes")
        if page_body != body:
            print(f"  ! {url}{PAGE} answers other bytes than the first instance")
        if url == urls[0]:
            for name, headers in (("page", page_headers), ("static", static_headers)):
                shown = ("Content-Type", "Cache-Control", "ETag", "Vary")
                print(f"  {name:6}: " + "; ".join(f"{h}: {headers.get(h, '-')}" for h in shown))
    return body


def measure(
    setup: str,
    duration: int = 5,
    rounds: int = 3,
    connections: int = 16,
    workers: int | None = None,
) -> PagesResult:
    """Run the page against static benchmark on `setup`; print each round, return the medians.

    Raises SetupUnavailable when the set-up cannot run here.
    """
    with temporary_folder("bench-pages-") as tmp, storage(setup, tmp) as store:
        (tmp / "bench_static_wsgi.py").write_text(WRAPPER)
        (tmp / "static").mkdir()
        app = "bench_static_wsgi:app"
        extra = ("--pythonpath", str(tmp))
        with site(store, {}, tmp, app=app, extra=extra, workers=workers) as running:
            urls = running.urls
            threads, share = wrk_split(len(urls), connections)
            added = ", rates added" if len(urls) > 1 else ""
            print(f"[{setup}] {running.layout}")
            print(
                f"[{setup}] wrk -t{threads} -c{share} -d{duration}s against each of {len(urls)} "
                f"port(s) at once{added}; {rounds} rounds per target"
            )
            body = fetch_same_bytes(urls, tmp / "static")
            print(f"  both targets answer 200 with the same {len(body)} bytes")

            targets = {"page": PAGE, "static": STATIC}
            for path in targets.values():  # Warm up every worker's page cache and templates.
                run_wrk([url + path for url in urls], 1, connections)
            results: dict[str, list[WrkRun]] = {name: [] for name in targets}
            for round_number in range(rounds):
                order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
                for name in order:
                    run = run_wrk([url + targets[name] for url in urls], duration, connections)
                    results[name].append(run)
                    parts = " + ".join(f"{part:.1f}" for part in run.parts)
                    print(
                        f"  round {round_number + 1} {name:6} {run.requests_per_second:9.1f} req/s"
                        + (f" (= {parts})" if parts else "")
                        + f"  ({run.requests} requests, {run.bad_responses} non-2xx/3xx, "
                        f"{run.socket_errors} socket errors)"
                    )
                pair = [results[name][-1].requests_per_second for name in targets]
                print(f"  round {round_number + 1} ratio page / static: {pair[0] / pair[1]:.2f}")
        stops = ", ".join(f"{server.stop_seconds:.1f}s" for server in running.servers)
        print(f"  gunicorn stopped in {stops} after SIGTERM")

    every = [run for runs in results.values() for run in runs]
    return PagesResult(
        setup=setup,
        layout=running.layout,
        page=statistics.median(run.requests_per_second for run in results["page"]),
        static=statistics.median(run.requests_per_second for run in results["static"]),
        bad_responses=sum(run.bad_responses for run in every),
        socket_errors=sum(run.socket_errors for run in every),
    )


def wrk_version() -> str:
    output = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10).stdout
    return output.splitlines()[0] if output else "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_setup_option(parser)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each target")
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers per instance (default: 2 embedded, 1 shared)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in all")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed. Install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    print_machine("flask", "werkzeug", "gunicorn")
    print(f"wrk: {wrk_version()}\n")
    try:
        result = measure(args.setup, args.duration, args.rounds, args.connections, args.workers)
    except SetupUnavailable as reason:
        print(f"The {args.setup} set-up cannot run here: {reason}", file=sys.stderr)
        return 2

    print(f"\n{'target':<28}{'median req/s':>14}")
    print(f"{'GET ' + PAGE:<28}{result.page:>14.1f}")
    print(f"{'same bytes, static view':<28}{result.static:>14.1f}")
    print(f"{'ratio page / static':<28}{result.ratio:>14.2f}")
    verdict = "met" if result.met else "NOT met"
    print(f"Goal: page at least {GOAL:.0%} of static speed: {verdict}")
    print_load()
    return 0


if __name__ == "__main__":
    run_main(main)
