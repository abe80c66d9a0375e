"""Latency of sending the enquiry form, and how fast the queue delivers the mails.

(a) The site runs in one of the set-ups of setups.py against an SMTP sink in this process:
--setup embedded (default): one gunicorn with 2 workers, each delivering from its own
in-process queue consumer, as a fresh install does; --setup shared: two gunicorns with 1 worker
each on two ports, a separate `flask queue worker`, PostgreSQL and Redis (the client threads
send their posts to the ports in turn, round-robin). Valid enquiries are POSTed by a few client
threads while the sink answers at once ("instant") and while it holds every message 5 s before
answering ("delayed"); the two modes alternate in rounds. If sending happened inside the
request, delayed posts would take 5 s or more; if it happens in the queue, both modes show
about the same p50 and p95 (goal: p95 delayed / p95 instant at most 1.2). Afterwards every
accepted post must be stored and have reached the professor exactly once (goal: accepted ==
stored == professor mails with distinct Message-IDs).

(b) 500 enquiries are stored and queued with the app's own code while no consumer runs, in a
fresh database and queue of the same set-up; then `flask queue worker --workers 2` starts and
the mails per second until all of them (professor plus acknowledgement: 1000 messages) arrived
at the sink are reported. Here too every stored enquiry must reach the professor once.

CSRF and the minimum fill time are turned off so that the benchmark can post directly. The rate
limit stays on, counted where the set-up counts it (memory or Redis), with a ceiling no run
reaches ("1000000 per hour"), so every post pays for its count and none is refused.
Everything else is the site as configured by default. Only figures are printed.
"""

import argparse
import math
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from _support import (
    PROJECT_DIR,
    SmtpSink,
    app_env,
    percentile,
    print_load,
    print_machine,
    run_main,
    smtp_sink,
    tail,
    temporary_folder,
)
from setups import SetupUnavailable, add_setup_option, queue_worker, site, storage

from tests.support.forms import post_enquiry_over_http

PROFESSOR = "prof@example.org"
SINK_DELAY = 5.0
P95_GOAL = 1.2
MODES = ("instant", "delayed")
RATE_LIMIT = "1000000 per hour"
# Distinct per post: the site drops the same email and message within 10 min as a repeat.
MESSAGE = "Benchmark enquiry {number} of run {run}: I would like to hear about open positions."

# Part (b)'s filler, run by the venv's Python in the project folder with the set-up's settings.
ENQUEUE = """
import logging, sys
from openpositions import create_app
from openpositions.extensions import db
from openpositions.enquiries.accept import record_enquiry
from openpositions.enquiries.models import Enquiry

count, message = int(sys.argv[1]), sys.argv[2]
app = create_app()
logging.getLogger("openpositions").setLevel(logging.WARNING)  # Not a line per enquiry.
queue = app.extensions["openpositions.queue"]
failed = 0
with app.app_context():
    for number in range(count):
        submission = Enquiry(
            name=f"Applicant {number}",
            email=f"applicant{number}@example.org",
            transport_email=f"applicant{number}@example.org",
            position_slug="general",
            position_title="General enquiry",
            message=message.format(number=number),
            language="en",
        )
        failed += not queue.enqueue(record_enquiry(submission))
    db.engine.dispose()
sys.exit(f"{failed} of {count} enquiries stored but not queued" if failed else 0)
"""


def site_settings(sink_port: int) -> dict[str, Any]:
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": sink_port,
        "MAIL_DEFAULT_SENDER": "Bench <bench@example.org>",
        "ENQUIRY_RECIPIENT": PROFESSOR,
        "ENQUIRY_MIN_SECONDS": 0,
        "RATELIMIT_ENABLED": True,
        "ENQUIRY_RATE_LIMIT": RATE_LIMIT,
        "WTF_CSRF_ENABLED": False,
    }


def run_id(setup: str) -> str:
    return f"{setup}-{time.time():.0f}"


def post_enquiry(url: str, run: str, number: int) -> tuple[float, int]:
    """POST one valid enquiry without following the redirect; (seconds, status or 0 on error)."""
    started = time.perf_counter()
    try:
        status = post_enquiry_over_http(
            url,
            timeout=60,
            name=f"Applicant {number}",
            email=f"applicant{number}@example.org",
            position="general",
            message=MESSAGE.format(number=number, run=run),
            consent="y",
        )
    except OSError:
        status = 0
    return time.perf_counter() - started, status


def post_many(urls: list[str], run: str, numbers: range, threads: int) -> list[tuple[float, int]]:
    """POST every numbered enquiry, `threads` at a time, to the `urls` in turn (round-robin)."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(
            pool.map(lambda number: post_enquiry(urls[number % len(urls)], run, number), numbers)
        )


def wait_for_mails(sink: SmtpSink, expected: int, timeout: float) -> None:
    if not sink.wait_for(expected, timeout):
        print(f"  ! only {sink.count()} of {expected} mails arrived within {timeout:.0f}s")


def professor_ids(sink: SmtpSink) -> list[str]:
    """The Message-IDs of the mails to the professor (the same on every attempt of one)."""
    with sink.changed:
        return [arrival.message_id for arrival in sink.arrivals if PROFESSOR in arrival.rcpt_tos]


@dataclass
class FormRun:
    """Part (a): the posts' latencies, and what was stored and delivered of them."""

    layout: str
    latencies: dict[str, list[float]]
    accepted: int
    refused: dict[int, int]
    statuses: dict[str, int]
    professor: list[str]
    acknowledgements: int

    @property
    def stored(self) -> int:
        return sum(self.statuses.values())

    @property
    def distinct(self) -> int:
        return len(set(self.professor))

    @property
    def lost(self) -> int:
        return max(0, max(self.accepted, self.stored) - self.distinct)

    @property
    def complete(self) -> bool:
        return self.accepted == self.stored == self.distinct

    def ms(self, mode: str, fraction: float) -> float:
        values = self.latencies[mode]
        return percentile(values, fraction) * 1000 if values else math.nan


@dataclass
class DeliveryRun:
    """Part (b): how fast a separate worker delivered a full queue, and what it delivered."""

    queued: int
    queued_seconds: float
    statuses: dict[str, int]
    professor: list[str]
    messages: int
    expected: int
    rate: float  # mails per second, first to last arrival
    span: float
    wall: float  # worker start to last mail

    @property
    def stored(self) -> int:
        return sum(self.statuses.values())

    @property
    def distinct(self) -> int:
        return len(set(self.professor))

    @property
    def lost(self) -> int:
        return max(0, max(self.queued, self.stored) - self.distinct)

    @property
    def complete(self) -> bool:
        return self.queued == self.stored == self.distinct


@dataclass
class EnquiryResult:
    setup: str
    form: FormRun
    delivery: DeliveryRun

    @property
    def p95_ratio(self) -> float:
        return self.form.ms("delayed", 0.95) / self.form.ms("instant", 0.95)

    @property
    def latency_met(self) -> bool:
        return self.p95_ratio <= P95_GOAL

    @property
    def lost(self) -> int:
        return self.form.lost + self.delivery.lost

    @property
    def repeated(self) -> int:
        form, delivery = self.form, self.delivery
        return len(form.professor) - form.distinct + len(delivery.professor) - delivery.distinct

    @property
    def none_lost(self) -> bool:
        return self.form.complete and self.delivery.complete


def form_latency(
    setup: str,
    sink: SmtpSink,
    posts: int,
    rounds: int,
    threads: int,
    queue_workers: int,
    workers: int | None,
) -> FormRun:
    """Part (a): POST latency per sink mode, then the count of stored against delivered."""
    run = run_id(setup)
    latencies: dict[str, list[float]] = {mode: [] for mode in MODES}
    refused: Counter[int] = Counter()
    accepted = 0
    per_batch = max(1, posts // rounds)
    settings = site_settings(sink.port)
    with temporary_folder("bench-enquiry-") as tmp, storage(setup, tmp) as store:
        with site(store, settings, tmp, workers=workers, queue_workers=queue_workers) as running:
            urls = running.urls
            spread = ", round-robin over the ports" if len(urls) > 1 else ""
            print(f"[{setup}] (a) {running.layout}; {threads} client threads{spread}")
            # Untimed warm-up: every worker starts its consumer and compiles its templates.
            for _, status in post_many(urls, run, range(-8, 0), threads):
                accepted += status == 303
            wait_for_mails(sink, 2 * accepted, 60)
            for round_number in range(rounds):
                order = MODES if round_number % 2 == 0 else MODES[::-1]
                for mode in order:
                    first = (round_number * len(MODES) + MODES.index(mode)) * per_batch
                    sink.delay = SINK_DELAY if mode == "delayed" else 0.0
                    started = time.perf_counter()
                    results = post_many(urls, run, range(first, first + per_batch), threads)
                    elapsed = time.perf_counter() - started
                    # Timed posts done: let the backlog drain at full speed before the next.
                    sink.delay = 0.0
                    for latency, status in results:
                        if status == 303:
                            latencies[mode].append(latency)
                            accepted += 1
                        else:
                            refused[status] += 1
                    times = [result[0] for result in results]
                    print(
                        f"  round {round_number + 1} {mode:7}: {per_batch} posts in "
                        f"{elapsed:5.1f}s, p50 {percentile(times, 0.5) * 1000:6.1f} ms, "
                        f"p95 {percentile(times, 0.95) * 1000:6.1f} ms"
                    )
                    wait_for_mails(sink, 2 * accepted, 60 + SINK_DELAY + per_batch * 0.5)
            wait_for_mails(sink, 2 * accepted, 30)
            statuses = store.wait_until_recorded()
        stops = ", ".join(f"{server.stop_seconds:.1f}s" for server in running.servers)
        print(f"  gunicorn stopped in {stops} after SIGTERM")
        if refused:
            print(f"  ! answers other than 303: {dict(refused)}")
            for server in running.servers:
                print(f"  log of {server.url}:\n{tail(server.log)}")

    to_professor = professor_ids(sink)
    return FormRun(
        layout=running.layout,
        latencies=latencies,
        accepted=accepted,
        refused=dict(refused),
        statuses=statuses,
        professor=to_professor,
        acknowledgements=sink.count() - len(to_professor),
    )


def delivery_rate(setup: str, sink: SmtpSink, count: int, threads: int) -> DeliveryRun:
    """Part (b): queue `count` enquiries with no consumer, then time a worker delivering them."""
    with temporary_folder("bench-delivery-") as tmp, storage(setup, tmp) as store:
        env = app_env({**store.settings, **site_settings(sink.port), "QUEUE_IN_PROCESS": False})
        message = MESSAGE.replace("{run}", run_id(setup))
        started = time.perf_counter()
        filled = subprocess.run(
            [sys.executable, "-c", ENQUEUE, str(count), message],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60 + count * 0.5,
        )
        if filled.returncode != 0:
            raise RuntimeError(f"queueing enquiries failed:\n{filled.stdout}{filled.stderr}")
        queued_seconds = time.perf_counter() - started
        print(
            f"[{setup}] (b) {count} enquiries stored and queued in {queued_seconds:.1f}s "
            f"(no consumer running), then `flask queue worker --workers {threads}`"
        )

        sink.delay = 0.0
        sink.clear()
        expected = 2 * count
        log = tmp / "worker.log"
        with queue_worker(env, threads, log):
            started = time.monotonic()
            wait_for_mails(sink, expected, 60 + count * 0.2)
            finished = time.monotonic()
            statuses = store.wait_until_recorded()
        if sink.count() < expected:
            print(f"  worker log:\n{tail(log)}")
    arrivals = [arrival.at for arrival in sink.arrivals]
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else math.nan
    return DeliveryRun(
        queued=count,
        queued_seconds=queued_seconds,
        statuses=statuses,
        professor=professor_ids(sink),
        messages=len(arrivals),
        expected=expected,
        rate=(len(arrivals) - 1) / span if len(arrivals) > 1 else 0.0,
        span=span,
        wall=finished - started,
    )


def measure(
    setup: str,
    posts: int = 200,
    rounds: int = 2,
    threads: int = 4,
    queued: int = 500,
    queue_workers: int = 2,
    workers: int | None = None,
) -> EnquiryResult:
    """Parts (a) and (b) on `setup`, each in a fresh database and queue.

    Raises SetupUnavailable when the set-up cannot run here.
    """
    with smtp_sink() as sink:
        form = form_latency(setup, sink, posts, rounds, threads, queue_workers, workers)
        sink.clear()
        delivery = delivery_rate(setup, sink, queued, queue_workers)
    return EnquiryResult(setup, form, delivery)


def summary(result: EnquiryResult) -> list[tuple[str, str]]:
    form, delivery = result.form, result.delivery
    verdict = "met" if result.latency_met else "NOT met"
    lost = f"{form.lost} / {len(form.professor) - form.distinct}"
    delivered = f"{len(delivery.professor)} ({delivery.distinct} distinct)"
    return [
        ("POST p50, sink instant", f"{form.ms('instant', 0.5):.1f} ms"),
        ("POST p95, sink instant", f"{form.ms('instant', 0.95):.1f} ms"),
        (f"POST p50, sink delays {SINK_DELAY:.0f} s", f"{form.ms('delayed', 0.5):.1f} ms"),
        (f"POST p95, sink delays {SINK_DELAY:.0f} s", f"{form.ms('delayed', 0.95):.1f} ms"),
        ("p95 delayed / instant", f"{result.p95_ratio:.2f} (goal <= {P95_GOAL}: {verdict})"),
        ("enquiries accepted (303)", str(form.accepted)),
        ("enquiries stored", f"{form.stored} {form.statuses}"),
        ("mails to professor", f"{len(form.professor)} ({form.distinct} distinct)"),
        ("acknowledgements", str(form.acknowledgements)),
        ("lost / sent twice", lost + (" (none lost)" if form.complete else "")),
        ("(b) mails arrived", f"{delivery.messages} of {delivery.expected}"),
        ("(b) enquiries stored", f"{delivery.stored} {delivery.statuses}"),
        ("(b) mails to professor", delivered),
        ("(b) lost", str(delivery.lost) + (" (none lost)" if delivery.complete else "")),
        ("(b) delivery rate", f"{delivery.rate:.1f} mails/s over {delivery.span:.1f} s"),
        ("(b) worker start to last mail", f"{delivery.wall:.1f} s"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_setup_option(parser)
    parser.add_argument("--posts", type=int, default=200, help="timed posts per sink mode")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two modes")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--queued", type=int, default=500, help="enquiries for the rate test")
    parser.add_argument(
        "--queue-workers", type=int, default=2, help="delivery threads per queue consumer"
    )
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers per instance (default: 2 embedded, 1 shared)"
    )
    args = parser.parse_args()

    print_machine("flask", "gunicorn", "huey", "aiosmtpd", "sqlalchemy", "psycopg", "redis")
    print(
        "CSRF and the minimum fill time are OFF so the benchmark can post directly; the rate "
        f"limit is ON\nwith a ceiling of {RATE_LIMIT}; acknowledgements are ON (2 mails per "
        "enquiry); all traffic on 127.0.0.1.\n"
    )
    try:
        result = measure(
            args.setup,
            args.posts,
            args.rounds,
            args.threads,
            args.queued,
            args.queue_workers,
            args.workers,
        )
    except SetupUnavailable as reason:
        print(f"The {args.setup} set-up cannot run here: {reason}", file=sys.stderr)
        return 2
    if not all(result.form.latencies.values()):
        print("No post was accepted in one of the modes; see the messages above.")
        return 1
    print(f"\nSummary ({args.setup})")
    for label, value in summary(result):
        print(f"  {label:<32}{value}")
    print_load()
    return 0


if __name__ == "__main__":
    run_main(main)
