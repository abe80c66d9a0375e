"""Pages per second against honest baselines, all taken in one run with wrk.

1. Through the shipped nginx (deploy/nginx/openpositions.conf over TLS, in front of
   `gunicorn -c gunicorn.conf.py` with 2 workers): GET /openpositions, answered from the edge
   cache, against the same bytes as a static file from the same nginx and server block, the
   way it serves the site's static files (/static/). Goal: at least 0.9.
   And against a stricter baseline: the same response (bytes and headers) from a file, logged
   like the pages and with the open-file cache the pages' location has, from a location the
   benchmark adds: a static file served by nginx at its best, doing what the page does.
   Beside the rates, nginx's own CPU time per answer (its workers' user and system time over
   each run): what the edge cache costs nginx, less swayed than the rates by whatever else
   the machine runs meanwhile.
2. Straight from gunicorn (gunicorn.conf.py, 2 workers, no nginx): the same page against a
   trivial WSGI app (bench/trivial_wsgi.py) answering the same bytes under the same gunicorn and
   workers: what the site's own Python costs per request.

Each pair runs in alternating rounds (page, baseline, then baseline, page, ...) so that the
machine's drift falls on both alike; the medians are compared. wrk shares the cores with the
servers. It prints figures and asserts nothing.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness import PROJECT_DIR, print_machine, temporary_folder

from tests.support.nginx import Nginx, nginx_folder
from tests.support.processes import ProcessGroup, environment, site_files, upgrade_database
from tests.support.visitor import Answer, Visitor

PAGE = "/openpositions"
STATIC = "/static/bench-openpositions.html"
SAME_RESPONSE = "/bench-same-response"
NGINX_GOAL = 0.9
# What nginx itself writes for a static file; the page's other headers the baseline copies.
NGINX_OWN_HEADERS = {
    "server", "date", "content-type", "content-length", "connection", "vary", "etag",
    "last-modified", "accept-ranges", "x-request-id", "x-cache-status",
}  # fmt: skip


@dataclass
class WrkRun:
    rate: float
    requests: int
    bad: int  # non-2xx/3xx answers and socket errors
    cpu_per_request: float = 0.0  # the server's CPU seconds per request, where measured


def wrk(url: str, seconds: int, connections: int) -> WrkRun:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    total = re.search(r"(\d+) requests in", done.stdout)
    if done.returncode != 0 or rate is None or total is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}{done.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    errors = re.search(r"Socket errors: (.*)", done.stdout)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    bad += sum(int(n) for n in re.findall(r"\d+", errors.group(1))) if errors else 0
    return WrkRun(float(rate.group(1)), int(total.group(1)), bad)


@dataclass
class Pair:
    """The medians of a target and its baseline, measured in alternating rounds."""

    target: float
    baseline: float
    bad: int
    # The server's CPU per request (seconds), where measured: less swayed than req/s by what
    # else the machine runs meanwhile.
    target_cpu: float = 0.0
    baseline_cpu: float = 0.0

    @property
    def ratio(self) -> float:
        return self.target / self.baseline


def worker_cpu_seconds(master: int) -> float:
    """The CPU time (user and system) used so far by the worker processes of a server."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command's closing parenthesis: state, ppid, ..., utime and stime.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # A process that ended meanwhile.
        if int(fields[1]) == master:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def compare(
    label: str,
    target: str,
    baseline: str,
    rounds: int,
    seconds: int,
    connections: int,
    server: int | None = None,
) -> Pair:
    """Alternating wrk runs of both URLs; with `server` (its master's pid), its workers' CPU
    per request too."""
    for url in (target, baseline):
        wrk(url, 1, connections)  # Untimed warm-up: templates compiled, caches filled.
    runs: dict[str, list[WrkRun]] = {target: [], baseline: []}
    for number in range(rounds):
        order = [target, baseline] if number % 2 == 0 else [baseline, target]
        for url in order:
            used = worker_cpu_seconds(server) if server else 0.0
            run = wrk(url, seconds, connections)
            if server:
                run.cpu_per_request = (worker_cpu_seconds(server) - used) / run.requests
            runs[url].append(run)
        pair = runs[target][-1].rate, runs[baseline][-1].rate
        print(
            f"  {label} round {number + 1}: {pair[0]:9.0f} against {pair[1]:9.0f} req/s"
            f" ({pair[0] / pair[1]:.2f})"
        )
    return Pair(
        statistics.median(run.rate for run in runs[target]),
        statistics.median(run.rate for run in runs[baseline]),
        sum(run.bad for url in runs for run in runs[url]),
        statistics.median(run.cpu_per_request for run in runs[target]),
        statistics.median(run.cpu_per_request for run in runs[baseline]),
    )


def site_settings(folder: Path, behind_nginx: bool) -> dict[str, object]:
    return {
        "SECRET_KEY": "bench-pages",
        **site_files(folder),
        # One public address: the same bytes whichever way the page is asked for.
        "SITE_URL": "https://www.example.org",
        "TRUSTED_PROXIES": int(behind_nginx),
        "HTTPS": behind_nginx,
        # As deployed: behind the shipped nginx, which adds them, the site leaves out the
        # security headers that are the same on every answer; alone, it sends them itself.
        "EDGE_ADDS_SECURITY_HEADERS": behind_nginx,
    }


def static_root(run: Path, body: bytes) -> Path:
    """A copy of the project's static/ with the page's bytes in it, for nginx's /static/."""
    root = run / "root"
    shutil.copytree(PROJECT_DIR / "static", root / "static")
    (root / "static" / Path(STATIC).name).write_bytes(body)
    return root


def same_response_location(page: Answer, root: Path) -> str:
    """A location answering the page's bytes from a file, with the page's own headers, logged
    and with open_file_cache as `location /` is: a static file served as the page is."""
    copied = [(n, v) for n, v in page.headers.items() if n.lower() not in NGINX_OWN_HEADERS]
    if any('"' in value for _, value in copied):
        raise RuntimeError(f"a header of the page cannot be written in nginx quotes: {copied}")
    headers = [f'        add_header {name} "{value}";' for name, value in copied]
    return "\n".join(
        [
            f"    location = {SAME_RESPONSE} {{",
            f"        alias {root / 'static' / Path(STATIC).name};",
            "        default_type text/html;",
            "        types { }",
            "        charset utf-8;",
            "        open_file_cache max=1000 inactive=60s;",
            "        open_file_cache_valid 10s;",
            *headers,
            # As a stored page: no request id (its log line has one: a little in the page's favour).
            "        add_header X-Cache-Status $upstream_cache_status always;",
            "    }",
            "",
        ]
    )


def header_bytes(answer: Answer) -> int:
    return sum(len(f"{name}: {value}\r\n") for name, value in answer.headers.items())


def through_nginx(folder: Path, args: argparse.Namespace) -> tuple[Pair, Pair]:
    env = environment(site_settings(folder / "edge", behind_nginx=True))
    upgrade_database(env)
    with nginx_folder() as run, ProcessGroup(folder / "logs-edge") as processes:
        _, site_url = processes.gunicorn_as_deployed(env, workers=2)
        upstream = site_url.removeprefix("http://")
        # Started once to take the page's bytes and headers, then again with them as a file.
        probe = Nginx(run / "probe", upstream)
        probe_process = probe.start(processes)
        probe_page = Visitor(probe.base_url, probe.certificate.client_context()).get(PAGE)
        probe_process.terminate()
        root = static_root(run, probe_page.body)
        extra = same_response_location(probe_page, root)
        nginx = Nginx(run / "edge", upstream, root=root, extra_locations=extra)
        nginx_process = nginx.start(processes)
        visitor = Visitor(nginx.base_url, nginx.certificate.client_context())
        visitor.get(PAGE)  # Stored; the page is measured as answered from the store.
        page, same, static = visitor.get(PAGE), visitor.get(SAME_RESPONSE), visitor.get(STATIC)
        if page.header("X-Cache-Status") != "HIT":
            raise RuntimeError("the page was not answered from the edge's store the second time")
        if {page.body, same.body, static.body} != {probe_page.body}:
            raise RuntimeError("the page and the static files answer different bytes")
        print(f"nginx: all answer the same {len(page.body)} bytes over TLS (HTTP/1.1, no gzip)")
        for label, answer in (("page", page), ("same response", same), ("/static/", static)):
            print(f"  {label}: {len(answer.headers)} headers, {header_bytes(answer)} bytes")
        # What nginx reads back with every answer from the store, besides the body.
        for stored in nginx.cached_files():
            head = stored.read_bytes().partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]
            print(f"  page as stored: {len(head)} headers, {sum(len(h) + 2 for h in head)} bytes")
        urls = nginx.base_url + PAGE, nginx.base_url + SAME_RESPONSE, nginx.base_url + STATIC
        master = nginx_process.popen.pid
        static_pair = compare("nginx, /static/", urls[0], urls[2], *wrk_args(args), master)
        same_pair = compare("nginx, same response", urls[0], urls[1], *wrk_args(args), master)
        print(f"  the page was answered {visitor.get(PAGE).header('X-Cache-Status')} at the end")
    return static_pair, same_pair


def from_gunicorn(folder: Path, args: argparse.Namespace) -> Pair:
    env = environment(site_settings(folder / "direct", behind_nginx=False))
    upgrade_database(env)
    with ProcessGroup(folder / "logs-direct") as processes:
        _, site_url = processes.gunicorn_as_deployed(env, workers=2)
        with urllib.request.urlopen(site_url + PAGE, timeout=10) as response:
            body = response.read()
        (folder / "body.html").write_bytes(body)
        trivial = {**env, "BENCH_BODY": str(folder / "body.html")}
        _, trivial_url = processes.gunicorn_as_deployed(
            trivial, workers=2, app="bench.trivial_wsgi:app", name="trivial"
        )
        print(f"gunicorn: the site and the trivial app answer the same {len(body)} bytes")
        return compare("gunicorn", site_url + PAGE, trivial_url + PAGE, *wrk_args(args))


def wrk_args(args: argparse.Namespace) -> tuple[int, int, int]:
    return args.rounds, args.seconds, args.connections


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each target")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    print_machine("flask", "gunicorn")
    nginx_version = subprocess.run(["/usr/sbin/nginx", "-v"], capture_output=True, text=True)
    print(f"{nginx_version.stderr.strip()}; wrk -t2 -c{args.connections} -d{args.seconds}s\n")
    with temporary_folder("bench-pages-") as folder:
        edge, edge_same = through_nginx(folder, args)
        direct = from_gunicorn(folder, args)
    verdict = "met" if edge.ratio >= NGINX_GOAL else "NOT met"
    rows = [
        ("page through nginx (edge cache)", "same bytes from /static/", edge),
        ("page through nginx (edge cache)", "same response from a file", edge_same),
        ("page from gunicorn, 2 workers", "trivial WSGI app", direct),
    ]
    print(f"\n{'':34}{'req/s':>9}  {'baseline':<28}{'req/s':>9}{'ratio':>8}")
    for label, baseline_label, pair in rows:
        print(
            f"{label:34}{pair.target:9.0f}  {baseline_label:<28}{pair.baseline:9.0f}"
            f"{pair.ratio:8.2f}"
        )
    print(f"nginx page / static file from /static/: goal at least {NGINX_GOAL}: {verdict}")
    for baseline_label, pair in (("/static/", edge), ("the same response", edge_same)):
        print(
            f"nginx's CPU per answer: page {pair.target_cpu * 1e6:.1f} µs, {baseline_label}"
            f" {pair.baseline_cpu * 1e6:.1f} µs ({pair.target_cpu / pair.baseline_cpu:.2f})"
        )
    bad = edge.bad + edge_same.bad + direct.bad
    if bad:
        print(
            f"! {bad} answers were errors or not 2xx/3xx (through nginx {edge.bad} and"
            f" {edge_same.bad}, from gunicorn {direct.bad})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
