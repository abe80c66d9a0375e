"""The enquiry form's latency while the mail server is slow, and how fast the queue delivers.

The site as one machine runs it: `gunicorn -c gunicorn.conf.py` with 2 workers, SQLite
database and queue, an SMTP server in this process. CSRF and the minimum fill time are off so
that the benchmark can post directly; the rate limit is on with a ceiling no run reaches.

(a) Client threads post valid enquiries while the SMTP server answers at once ("instant") and
    while it holds every mail 5 s ("slow"), in alternating rounds, the queue running inside the
    web workers. Were mail sent inside the request, slow posts would take 5 s; it is queued, so
    both should show about the same latency (goal: p95 slow / p95 instant at most 1.2).
(b) Enquiries are posted to the site with QUEUE_IN_PROCESS=false (stored and queued, nothing
    sends), then one `flask queue worker` starts: mails per second until all have arrived.

In both, every accepted enquiry must reach the professor exactly once (distinct Message-IDs).
It prints figures and asserts nothing.
"""

import argparse
import sqlite3
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import percentile, print_machine, temporary_folder

from tests.support.forms import post_enquiry_over_http
from tests.support.net import free_port
from tests.support.processes import ProcessGroup, environment, site_files, upgrade_database
from tests.support.smtp import SmtpSink, serving

PROFESSOR = "professor@example.org"
SLOW_SECONDS = 5.0
P95_GOAL = 1.2


def site_settings(folder: Path, smtp_port: int, **more: object) -> dict[str, object]:
    return {
        "SECRET_KEY": "bench-enquiry",
        **site_files(folder),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_DEFAULT_SENDER": "Bench <bench@example.org>",
        "ENQUIRY_RECIPIENT": PROFESSOR,
        "ENQUIRY_MIN_SECONDS": 0,
        "WTF_CSRF_ENABLED": False,
        "ENQUIRY_RATE_LIMIT": "1000000 per hour",
        "ENQUIRY_FLOOD_LIMIT": "1000000 per hour",
        **more,
    }


def post(url: str, number: int) -> tuple[float, int]:
    """POST one valid enquiry of its own (repeats are dropped); (seconds, status)."""
    started = time.perf_counter()
    status = post_enquiry_over_http(
        url,
        timeout=60,
        email=f"applicant{number}@example.org",
        message=f"Benchmark enquiry number {number}: I would like to hear about the positions.",
    )
    return time.perf_counter() - started, status


def post_many(url: str, numbers: range, threads: int) -> list[tuple[float, int]]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda number: post(url, number), numbers))


def stored(folder: Path) -> Counter[str]:
    with sqlite3.connect(folder / "site.sqlite3") as database:
        rows = database.execute("SELECT status, count(*) FROM enquiry GROUP BY status")
        return Counter({status: count for status, count in rows})


def professor_mails(sink: SmtpSink) -> tuple[int, int]:
    """How many mails reached the professor, and how many distinct ones."""
    ids = [mail.message["Message-ID"] for mail in sink.received if mail.rcpt_tos == [PROFESSOR]]
    return len(ids), len(set(ids))


def form_latency(folder: Path, sink: SmtpSink, args: argparse.Namespace) -> float:
    """Part (a); the ratio p95 slow / p95 instant."""
    env = environment(site_settings(folder, sink.port))
    upgrade_database(env)
    latencies: dict[str, list[float]] = {"instant": [], "slow": []}
    accepted = 0
    with ProcessGroup(folder / "logs") as processes:
        _, url = processes.gunicorn_as_deployed(env, workers=2)
        accepted += sum(status == 303 for _, status in post_many(url, range(-8, 0), 4))
        sink.wait_for(2 * accepted, timeout=60)  # Warm-up: consumers started, templates built.
        for number in range(args.rounds * 2):
            mode = ("instant", "slow")[(number + number // 2) % 2]  # instant slow slow instant
            sink.delay = SLOW_SECONDS if mode == "slow" else 0.0
            first = number * args.posts
            results = post_many(url, range(first, first + args.posts), args.threads)
            sink.delay = 0.0  # Timed posts done: the backlog drains at full speed.
            latencies[mode] += [seconds for seconds, status in results if status == 303]
            accepted += sum(status == 303 for _, status in results)
            times = [seconds for seconds, _ in results]
            print(
                f"  {mode:7} {args.posts} posts: p50 {percentile(times, 0.5) * 1000:6.1f} ms, "
                f"p95 {percentile(times, 0.95) * 1000:6.1f} ms"
            )
            sink.wait_for(2 * accepted, timeout=60 + SLOW_SECONDS * args.posts)
    total, distinct = professor_mails(sink)
    print(f"  accepted {accepted}, stored {dict(stored(folder))}, to the professor {total}", end="")
    print(f" ({distinct} distinct)")
    for mode, values in latencies.items():
        p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
        print(f"(a) mail {mode:7}: p50 {p50:6.1f} ms, p95 {p95:6.1f} ms")
    return percentile(latencies["slow"], 0.95) / percentile(latencies["instant"], 0.95)


def delivery_rate(folder: Path, sink: SmtpSink, args: argparse.Namespace) -> float:
    """Part (b); mails per second from the first to the last arrival."""
    env = environment(site_settings(folder, sink.port, QUEUE_IN_PROCESS=False))
    upgrade_database(env)
    with ProcessGroup(folder / "logs") as processes:
        _, url = processes.gunicorn_as_deployed(env, workers=2)
        results = post_many(url, range(args.queued), args.threads)
        accepted = sum(status == 303 for _, status in results)
        sink.received.clear()
        processes.queue_worker(env)
        sink.wait_for(1, timeout=60)
        first = time.monotonic()
        sink.wait_for(2 * accepted, timeout=60 + accepted)
        seconds = time.monotonic() - first
    total, distinct = professor_mails(sink)
    print(f"  accepted {accepted}, stored {dict(stored(folder))}, to the professor {total}", end="")
    print(f" ({distinct} distinct)")
    return (2 * accepted - 1) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100, help="timed posts per batch")
    parser.add_argument("--rounds", type=int, default=2, help="instant and slow batches each")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--queued", type=int, default=300, help="enquiries for part (b)")
    args = parser.parse_args()
    print_machine("flask", "gunicorn", "huey", "aiosmtpd")
    with serving(SmtpSink(port=free_port())) as sink:
        with temporary_folder("bench-form-") as folder:
            ratio = form_latency(folder, sink, args)
        verdict = "met" if ratio <= P95_GOAL else "NOT met"
        print(f"(a) p95 slow / instant: {ratio:.2f} (goal at most {P95_GOAL}: {verdict})")
        sink.reset()
        with temporary_folder("bench-delivery-") as folder:
            rate = delivery_rate(folder, sink, args)
        print(f"(b) delivery by one `flask queue worker`: {rate:.0f} mails/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
