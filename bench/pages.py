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
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _support import (
    app_env,
    base_settings,
    gunicorn,
    http_get,
    print_load,
    print_machine,
    stop_cleanly_on_sigterm,
)

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


def run_wrk(url: str, duration: int, connections: int) -> WrkRun:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each target")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    args = parser.parse_args()
    stop_cleanly_on_sigterm()
    if shutil.which("wrk") is None:
        print("wrk is not installed. Install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    print_machine("flask", "werkzeug", "gunicorn")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10).stdout
    print(f"wrk: {wrk_version.splitlines()[0] if wrk_version else 'unknown'}")
    print(
        f"Setup: gunicorn -w {args.workers} (sync), wrk -t2 -c{args.connections} "
        f"-d{args.duration}s, {args.rounds} rounds per target, all on 127.0.0.1\n"
    )

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "bench_static_wsgi.py").write_text(WRAPPER)
        (tmp / "static").mkdir()
        env = app_env({**base_settings(tmp), "QUEUE_IN_PROCESS": False})
        extra = ("--pythonpath", str(tmp))
        with gunicorn("bench_static_wsgi:app", env, tmp / "gunicorn.log", args.workers, extra) as s:
            status, page_headers, body = http_get(s.url + PAGE)
            if status != 200:
                print(f"GET {PAGE} answered {status}", file=sys.stderr)
                return 1
            (tmp / "static" / "openpositions.html").write_bytes(body)
            status, static_headers, static_body = http_get(s.url + STATIC)
            if status != 200 or static_body != body:
                print(f"GET {STATIC} answered {status} with other bytes", file=sys.stderr)
                return 1
            print(f"Both targets answer 200 with the same {len(body)} bytes.")
            for name, headers in (("page", page_headers), ("static", static_headers)):
                shown = ("Content-Type", "Cache-Control", "ETag", "Vary")
                print(f"  {name:6}: " + "; ".join(f"{h}: {headers.get(h, '-')}" for h in shown))
            print()

            targets = {"page": s.url + PAGE, "static": s.url + STATIC}
            for url in targets.values():  # Warm up every worker's page cache and templates.
                run_wrk(url, 1, args.connections)
            results: dict[str, list[WrkRun]] = {name: [] for name in targets}
            for round_number in range(args.rounds):
                order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
                for name in order:
                    run = run_wrk(targets[name], args.duration, args.connections)
                    results[name].append(run)
                    print(
                        f"round {round_number + 1} {name:6} {run.requests_per_second:9.1f} req/s"
                        f"  ({run.requests} requests, {run.bad_responses} non-2xx/3xx, "
                        f"{run.socket_errors} socket errors)"
                    )
                pair = [results[name][-1].requests_per_second for name in targets]
                print(f"round {round_number + 1} ratio page / static: {pair[0] / pair[1]:.2f}")
        print(f"\ngunicorn stopped in {s.stop_seconds:.1f}s after SIGTERM")

    page = statistics.median(r.requests_per_second for r in results["page"])
    static = statistics.median(r.requests_per_second for r in results["static"])
    ratio = page / static
    print(f"\n{'target':<28}{'median req/s':>14}")
    print(f"{'GET ' + PAGE:<28}{page:>14.1f}")
    print(f"{'same bytes, static view':<28}{static:>14.1f}")
    print(f"{'ratio page / static':<28}{ratio:>14.2f}")
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"Goal: page at least {GOAL:.0%} of static speed: {verdict}")
    print_load()
    return 0


if __name__ == "__main__":
    sys.exit(main())
