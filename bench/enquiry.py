"""Latency of sending the enquiry form, and how fast the queue delivers the mails.

(a) The site runs under gunicorn (2 workers, each delivering from its own in-process queue
consumer, as deployed by default) against an SMTP sink in this process. Valid enquiries are
POSTed by a few client threads while the sink answers at once ("instant") and while it holds
every message 5 s before answering ("delayed"); the two modes alternate in rounds. If sending
happened inside the request, delayed posts would take 5 s or more; if it happens in the queue,
both modes show about the same p50 and p95 (goal: p95 delayed / p95 instant at most 1.2).
Afterwards every stored enquiry must have reached the professor exactly once.

(b) 500 enquiries are stored and queued with the app's own code while no consumer runs; then
`flask queue worker --workers 2` starts and the mails per second until all of them (professor
plus acknowledgement: 1000 messages) arrived at the sink are reported.

CSRF, the rate limit and the minimum fill time are turned off so that the benchmark can post
directly; everything else is the site as configured by default. Only figures are printed.
"""

import argparse
import http.client
import logging
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _support import (
    PROJECT_DIR,
    VENV_BIN,
    SmtpSink,
    app_env,
    base_settings,
    gunicorn,
    percentile,
    print_load,
    print_machine,
    smtp_sink,
    stop,
    stop_cleanly_on_sigterm,
    tail,
)

PROFESSOR = "prof@example.org"
SINK_DELAY = 5.0
P95_GOAL = 1.2
MODES = ("instant", "delayed")


def site_settings(tmp: Path, sink_port: int) -> dict[str, Any]:
    return {
        **base_settings(tmp),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": sink_port,
        "MAIL_DEFAULT_SENDER": "Bench <bench@example.org>",
        "ENQUIRY_RECIPIENT": PROFESSOR,
        "ENQUIRY_MIN_SECONDS": 0,
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    }


def flask_command(env: dict[str, str], *args: str) -> str:
    """Run `flask --app app ARGS` in the project with `env`; its standard output."""
    command = [str(VENV_BIN / "flask"), "--app", "app", *args]
    done = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def enquiry_message(run: str, number: int) -> str:
    # Distinct per post: the site drops the same email and message within 10 min as a repeat.
    return f"Benchmark enquiry {number} of run {run}: I would like to hear about open positions."


def post_enquiry(url: str, run: str, number: int) -> tuple[float, int]:
    """POST one valid enquiry without following the redirect; (seconds, status or 0 on error)."""
    form = {
        "name": f"Applicant {number}",
        "email": f"applicant{number}@example.org",
        "position": "general",
        "message": enquiry_message(run, number),
        "consent": "y",
    }
    body = urllib.parse.urlencode(form)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    address = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request("POST", "/enquiry", body, headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return time.perf_counter() - started, status


def post_many(url: str, run: str, numbers: range, threads: int) -> list[tuple[float, int]]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda number: post_enquiry(url, run, number), numbers))


def wait_for_mails(sink: SmtpSink, expected: int, timeout: float) -> None:
    if not sink.wait_for(expected, timeout):
        print(f"  ! only {sink.count()} of {expected} mails arrived within {timeout:.0f}s")


def enquiry_statuses(database: Path) -> dict[str, int]:
    """How many stored enquiries are in each state, read straight from the SQLite file."""
    connection = sqlite3.connect(database)
    try:
        return dict(connection.execute("SELECT status, count(*) FROM enquiry GROUP BY status"))
    finally:
        connection.close()


def wait_until_recorded(database: Path, timeout: float = 30) -> dict[str, int]:
    """Wait until no enquiry is pending: the last mail reaches the sink just before the
    consumer records it as sent, and stopping the server in between would cut that short."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.2)):
        statuses = enquiry_statuses(database)
        if not statuses.get("pending") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return statuses


def form_latency(sink: SmtpSink, tmp: Path, posts: int, rounds: int, threads: int) -> dict:
    """Part (a): POST latency per sink mode, then the count of stored against delivered."""
    env = app_env(site_settings(tmp, sink.port))
    flask_command(env, "db", "upgrade")
    run = str(int(time.time()))
    latencies: dict[str, list[float]] = {mode: [] for mode in MODES}
    refused: Counter[int] = Counter()
    accepted = 0
    per_batch = max(1, posts // rounds)
    with gunicorn("app:app", env, tmp / "gunicorn.log", workers=2) as server:
        # Untimed warm-up: both workers start their consumers and compile their templates.
        for _, status in post_many(server.url, run, range(-8, 0), threads):
            accepted += status == 303
        wait_for_mails(sink, 2 * accepted, 60)
        for round_number in range(rounds):
            order = MODES if round_number % 2 == 0 else MODES[::-1]
            for mode in order:
                first = (round_number * len(MODES) + MODES.index(mode)) * per_batch
                sink.delay = SINK_DELAY if mode == "delayed" else 0.0
                started = time.perf_counter()
                results = post_many(server.url, run, range(first, first + per_batch), threads)
                elapsed = time.perf_counter() - started
                # Timed posts done: let the backlog drain at full speed before the next batch.
                sink.delay = 0.0
                for latency, status in results:
                    if status == 303:
                        latencies[mode].append(latency)
                        accepted += 1
                    else:
                        refused[status] += 1
                print(
                    f"round {round_number + 1} {mode:7}: {per_batch} posts in {elapsed:5.1f}s, "
                    f"p50 {percentile([r[0] for r in results], 0.5) * 1000:6.1f} ms, "
                    f"p95 {percentile([r[0] for r in results], 0.95) * 1000:6.1f} ms"
                )
                wait_for_mails(sink, 2 * accepted, 60 + SINK_DELAY + per_batch * 0.5)
        wait_for_mails(sink, 2 * accepted, 30)
        statuses = wait_until_recorded(tmp / "enquiries.sqlite3")
    print(f"gunicorn stopped in {server.stop_seconds:.1f}s after SIGTERM")
    if refused:
        print(f"  ! answers other than 303: {dict(refused)}; log:\n{tail(server.log)}")

    to_professor = [a.message_id for a in sink.arrivals if PROFESSOR in a.rcpt_tos]
    return {
        "latencies": latencies,
        "accepted": accepted,
        "stored": sum(statuses.values()),
        "statuses": statuses,
        "professor": len(to_professor),
        "professor_distinct": len(set(to_professor)),
        "acknowledgements": len(sink.arrivals) - len(to_professor),
    }


def delivery_rate(sink: SmtpSink, tmp: Path, count: int, workers: int) -> dict:
    """Part (b): queue `count` enquiries with no consumer, then time a worker delivering them."""
    settings = {**site_settings(tmp, sink.port), "QUEUE_IN_PROCESS": False}
    env = app_env(settings)
    flask_command(env, "db", "upgrade")
    sys.path.insert(0, str(PROJECT_DIR))
    from openpositions import create_app
    from openpositions.extensions import db
    from openpositions.inbox.records import Submission, record_enquiry

    app = create_app(settings)
    logging.getLogger("openpositions").setLevel(logging.WARNING)  # Not a line per enquiry.
    queue = app.extensions["openpositions.queue"]
    run = str(int(time.time()))
    started = time.perf_counter()
    with app.app_context():
        for number in range(count):
            submission = Submission(
                name=f"Applicant {number}",
                email=f"applicant{number}@example.org",
                position_slug="general",
                position_title="General enquiry",
                message=enquiry_message(run, number),
                language="en",
            )
            queue.enqueue(record_enquiry(submission))
        db.engine.dispose()
    queued_seconds = time.perf_counter() - started
    print(f"{count} enquiries stored and queued in {queued_seconds:.1f}s (no consumer running)")

    sink.delay = 0.0
    sink.clear()
    expected = 2 * count
    log = tmp / "worker.log"
    command = [str(VENV_BIN / "flask"), "--app", "app", "queue", "worker", "--workers"]
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [*command, str(workers)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = time.monotonic()
        wait_for_mails(sink, expected, 300)
        finished = time.monotonic()
        statuses = wait_until_recorded(tmp / "enquiries.sqlite3")
    finally:
        stop(worker)
    arrivals = [a.at for a in sink.arrivals]
    if len(arrivals) < expected:
        print(f"worker log:\n{tail(log)}")
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    return {
        "messages": len(arrivals),
        "expected": expected,
        "rate": (len(arrivals) - 1) / span if len(arrivals) > 1 else 0.0,
        "span": span,
        "wall": finished - started,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200, help="timed posts per sink mode")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two modes")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--queued", type=int, default=500, help="enquiries for the rate test")
    parser.add_argument("--queue-workers", type=int, default=2, help="worker threads in (b)")
    args = parser.parse_args()
    stop_cleanly_on_sigterm()

    print_machine("flask", "gunicorn", "huey", "aiosmtpd", "sqlalchemy")
    print(
        "CSRF, the rate limit and the minimum fill time are OFF so the benchmark can post "
        "directly;\nacknowledgements are ON (2 mails per enquiry); all traffic on 127.0.0.1.\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-enquiry-") as tmp_name, smtp_sink() as sink:
        tmp = Path(tmp_name)
        print(f"(a) POST /enquiry, gunicorn -w 2 with in-process consumers, {args.threads} clients")
        (tmp / "a").mkdir()
        form = form_latency(sink, tmp / "a", args.posts, args.rounds, args.threads)
        sink.clear()
        worker = f"flask queue worker --workers {args.queue_workers}"
        print(f"\n(b) {args.queued} queued enquiries, then `{worker}`")
        (tmp / "b").mkdir()
        rate = delivery_rate(sink, tmp / "b", args.queued, args.queue_workers)

    if not all(form["latencies"].values()):
        print("No post was accepted in one of the modes; see the messages above.")
        return 1
    p50 = {mode: percentile(form["latencies"][mode], 0.5) * 1000 for mode in MODES}
    p95 = {mode: percentile(form["latencies"][mode], 0.95) * 1000 for mode in MODES}
    ratio = p95["delayed"] / p95["instant"]
    lost = form["stored"] - form["professor_distinct"]
    repeated = form["professor"] - form["professor_distinct"]
    rows = [
        ("POST p50, sink instant", f"{p50['instant']:.1f} ms"),
        ("POST p95, sink instant", f"{p95['instant']:.1f} ms"),
        (f"POST p50, sink delays {SINK_DELAY:.0f} s", f"{p50['delayed']:.1f} ms"),
        (f"POST p95, sink delays {SINK_DELAY:.0f} s", f"{p95['delayed']:.1f} ms"),
        ("p95 delayed / instant", f"{ratio:.2f} (goal <= {P95_GOAL}: "
         + ("met)" if ratio <= P95_GOAL else "NOT met)")),
        ("enquiries accepted (303)", str(form["accepted"])),
        ("enquiries stored", f"{form['stored']} {form['statuses']}"),
        ("mails to professor", f"{form['professor']} ({form['professor_distinct']} distinct)"),
        ("acknowledgements", str(form["acknowledgements"])),
        ("lost / sent twice", f"{lost} / {repeated}" + (" (none lost)" if lost == 0 else "")),
        ("(b) mails arrived", f"{rate['messages']} of {rate['expected']}"),
        ("(b) enquiries stored", str(rate["statuses"])),
        ("(b) delivery rate", f"{rate['rate']:.1f} mails/s over {rate['span']:.1f} s"),
        ("(b) worker start to last mail", f"{rate['wall']:.1f} s"),
    ]  # fmt: skip
    print("\nSummary")
    for label, value in rows:
        print(f"  {label:<32}{value}")
    print_load()
    return 0


if __name__ == "__main__":
    sys.exit(main())
