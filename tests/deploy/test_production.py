"""The site as deployed: two gunicorn instances, PostgreSQL, Redis, a queue worker, real SMTP."""

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.forms import REFERENCE, post_enquiry_over_http
from tests.support.net import free_port, http_request
from tests.support.paths import PROJECT_DIR
from tests.support.processes import (
    PrivateRedis,
    Process,
    ProcessGroup,
    environment,
    redis_server_binary,
    upgrade_database,
)
from tests.support.services import postgres_database, redis_prefix
from tests.support.smtp import Received, SmtpSink, serving
from tests.support.waiting import wait_until

PROFESSOR = "professor@rsim.example.org"

# What queue_lost_enquiries() does each minute in the worker, done once, now, by a process
# with the deployment's own environment (so the same configuration as the site and worker).
SWEEP_SCRIPT = """
from app import app
from openpositions.enquiries.delivery.tasks import queue_lost_enquiries
with app.app_context():
    print(queue_lost_enquiries())
"""


class Inbox:
    """The deployment's stored enquiries, read straight from PostgreSQL."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def statuses(self) -> Counter[str]:
        rows = self.connection.execute("SELECT status, count(*) FROM enquiry GROUP BY status")
        return Counter({status: count for status, count in rows})

    def references(self) -> set[str]:
        rows = self.connection.execute("SELECT reference FROM enquiry")
        return {reference for (reference,) in rows}

    def count_where(self, condition: str) -> int:
        row = self.connection.execute(f"SELECT count(*) FROM enquiry WHERE {condition}").fetchone()
        assert row is not None
        return int(row[0])

    def claimed(self) -> set[str]:
        """Pending enquiries a worker has claimed and whose claim has not yet run out."""
        rows = self.connection.execute(
            "SELECT reference FROM enquiry"
            " WHERE status = 'pending' AND claimed_until > (now() AT TIME ZONE 'utc')"
        )
        return {reference for (reference,) in rows}

    def attempts(self) -> dict[str, int]:
        rows = self.connection.execute("SELECT reference, attempts FROM enquiry")
        return {reference: attempts for reference, attempts in rows}

    def overdue(self, seconds: int) -> int:
        """Pending enquiries whose next try is more than `seconds` overdue (the sweep's test)."""
        return self.count_where(
            "status = 'pending' AND next_attempt_at < "
            f"(now() AT TIME ZONE 'utc') - interval '{int(seconds)} seconds'"
        )


@dataclass
class Deployment:
    """One production-like deployment of the site for a test: its settings and processes."""

    settings: dict[str, object]
    processes: ProcessGroup
    inbox: Inbox

    @property
    def env(self) -> dict[str, str]:
        return environment(self.settings)

    def serve(self, instances: int) -> list[str]:
        """Upgrade the database, then start gunicorn instances (2 workers each); their URLs."""
        env = self.env
        upgrade_database(env)
        return self.processes.gunicorn_instances(env, instances, workers=2)

    def start_worker(self, name: str = "worker") -> Process:
        return self.processes.queue_worker(self.env, name)

    def sweep(self) -> int:
        """Queue lost enquiries again, as the worker's periodic sweep does; how many."""
        done = subprocess.run(
            [sys.executable, "-c", SWEEP_SCRIPT],
            cwd=PROJECT_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            pytest.fail(f"the sweep failed:\n{done.stderr[-3000:]}")
        return int(done.stdout.split()[-1])


def production_settings(
    tmp_path: Path, database_url: str, redis_url: str, prefix: str, smtp_port: int
) -> dict[str, object]:
    return {
        # Shared by every instance, as behind a load balancer.
        "SECRET_KEY": "production-test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "QUEUE_URL": redis_url,
        "QUEUE_NAME": prefix,
        "QUEUE_IN_PROCESS": False,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 10,
        "MAIL_DEFAULT_SENDER": "RSiM open positions <positions@rsim.example.org>",
        "ENQUIRY_RECIPIENT": PROFESSOR,
        # The forms are posted by this script, not filled in a browser: no CSRF token and no
        # minimum time to fill the form (both have tests of their own).
        "WTF_CSRF_ENABLED": False,
        "ENQUIRY_MIN_SECONDS": 0,
    }


@dataclass
class AnswerHoldingSink(SmtpSink):
    """An SMTP server that keeps each mail at once but, while `holding`, does not answer.

    A worker killed while it waits for the answer never learns that its mail went: the window
    where at-least-once delivery sends a mail twice. (The `delay` of SmtpSink comes before the
    mail is kept, and a lost connection cancels it: no mail is kept twice that way.)
    """

    holding: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.arrived:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            self.arrived.notify_all()
        while self.holding:
            await asyncio.sleep(0.02)
        return "250 OK"


@pytest.fixture
def answer_holding_smtp() -> Iterator[AnswerHoldingSink]:
    with serving(AnswerHoldingSink(port=free_port())) as sink:
        try:
            yield sink
        finally:
            sink.holding = False  # Let the last answer go, so that the server can stop.


def postgres_connection(database_url: str) -> psycopg.Connection:
    # psycopg takes the URL without SQLAlchemy's "+psycopg" driver part.
    return psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True)


@pytest.fixture
def deployment(tmp_path: Path, smtp: SmtpSink) -> Iterator[Deployment]:
    """The site on one PostgreSQL database and the machine's Redis (a prefix of its own)."""
    # Left in reverse: processes stopped, then Redis keys deleted, then the database dropped.
    with (
        postgres_database() as database_url,
        redis_prefix() as (redis_url, prefix),
        postgres_connection(database_url) as connection,
        ProcessGroup(tmp_path / "logs") as processes,
    ):
        settings = production_settings(tmp_path, database_url, redis_url, prefix, smtp.port)
        yield Deployment(settings, processes, Inbox(connection))


@pytest.fixture
def deployment_on_private_redis(
    tmp_path: Path, smtp: SmtpSink
) -> Iterator[tuple[Deployment, PrivateRedis]]:
    """The site on one PostgreSQL database and a redis-server of the test's own."""
    redis_server_binary()  # Skip (or fail under CI) before creating anything.
    with (
        postgres_database() as database_url,
        postgres_connection(database_url) as connection,
        ProcessGroup(tmp_path / "logs") as processes,
    ):
        redis_server = PrivateRedis(processes)
        redis_server.start()
        settings = production_settings(
            tmp_path, database_url, redis_server.url, "openpositions", smtp.port
        )
        yield Deployment(settings, processes, Inbox(connection)), redis_server


def numbered_message(number: int) -> str:
    """An enquiry's message of its own, so that the site does not drop it as a repeat."""
    return f"Enquiry number {number}: I would like to know more about the PhD topics."


def mails_by_enquiry(smtp: SmtpSink) -> dict[tuple[str, str], list[str]]:
    """Each (reference, recipient)'s Message-IDs at the sink, one per copy that arrived."""
    copies: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mail in smtp.received:
        match = REFERENCE.search(mail.message["Subject"])
        assert match is not None, f"no reference in {mail.message['Subject']!r}"
        copies[(match.group(), mail.rcpt_tos[0])].append(mail.message["Message-ID"])
    return copies


def test_the_rate_limit_counts_across_both_instances(deployment: Deployment) -> None:
    deployment.settings["ENQUIRY_RATE_LIMIT"] = "3 per hour"
    first, second = deployment.serve(instances=2)
    deployment.start_worker()

    instances = [first, second, first, second, first]
    answers = [
        post_enquiry_over_http(base_url, message=numbered_message(number))
        for number, base_url in enumerate(instances)
    ]

    # Counted per process, each of the four workers would have let these through.
    assert answers == [303, 303, 303, 429, 429]

    def delivered() -> bool:
        """the three accepted enquiries are stored and sent"""
        return deployment.inbox.statuses() == {"sent": 3}

    wait_until(delivered, timeout=30)


def test_200_concurrent_enquiries_are_each_stored_and_mailed_once(
    deployment: Deployment, smtp: SmtpSink
) -> None:
    # One address posts them all, at once: a limit no real applicant comes near, so that the
    # rate limit (tested above) does not refuse them.
    deployment.settings["ENQUIRY_RATE_LIMIT"] = "1000 per hour"
    deployment.settings["ENQUIRY_FLOOD_LIMIT"] = "1000 per hour"
    instances = deployment.serve(instances=2)
    deployment.start_worker()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(
            pool.map(
                lambda number: post_enquiry_over_http(
                    instances[number % 2], message=numbered_message(number)
                ),
                range(200),
            )
        )
    assert Counter(answers) == {303: 200}

    def all_sent() -> bool:
        """all 200 enquiries are sent"""
        return deployment.inbox.statuses() == {"sent": 200}

    wait_until(all_sent, timeout=90, interval=0.2)
    # A mail is recorded as sent once the server accepted it: all of them are here by now.
    professor_mails = [mail for mail in smtp.wait_for(400) if mail.rcpt_tos == [PROFESSOR]]
    message_ids = Counter(mail.message["Message-ID"] for mail in professor_mails)
    assert len(professor_mails) == 200
    assert len(message_ids) == 200, f"duplicates: {message_ids.most_common(3)}"
    references = {REFERENCE.findall(message_id)[0] for message_id in message_ids}
    assert references == deployment.inbox.references()


def test_a_worker_killed_while_delivering_loses_no_enquiry(
    deployment: Deployment, answer_holding_smtp: AnswerHoldingSink
) -> None:
    smtp = answer_holding_smtp
    deployment.settings.update(
        MAIL_PORT=smtp.port,
        ENQUIRY_RATE_LIMIT="1000 per hour",
        ENQUIRY_FLOOD_LIMIT="1000 per hour",
        # A claim of the killed worker runs out after 5 s; then an enquiry 1 s overdue is lost.
        ENQUIRY_DELIVERY_LEASE=5,
        ENQUIRY_SWEEP_GRACE=1,
    )
    (site,) = deployment.serve(instances=1)
    worker = deployment.start_worker("worker-1")
    # One enquiry end to end first, so that the worker is up before the others are sent.
    assert post_enquiry_over_http(site, message=numbered_message(0)) == 303
    smtp.wait_for(2)

    smtp.holding = True  # From now on the server keeps each mail but does not answer.
    for number in range(1, 21):
        assert post_enquiry_over_http(site, message=numbered_message(number)) == 303
    smtp.wait_for(3)  # One of these is at the server; the worker waits for its answer.
    worker.kill()
    smtp.holding = False
    in_flight = deployment.inbox.claimed()
    assert in_flight, "a delivery was under way when the worker died"
    assert len(smtp.received) < 42, "the worker was to die before all the mail went"

    # Their tasks died with the worker. A replacement, started once the dead worker's claims
    # ran out (as a supervisor restarts it), finds them: Huey's scheduler runs the periodic
    # sweep on its first tick, then each minute; with the claims run out, that first sweep
    # already takes them.
    def claims_ran_out() -> bool:
        """no pending enquiry is still claimed by the killed worker"""
        return not deployment.inbox.claimed()

    wait_until(claims_ran_out, timeout=20)
    deployment.start_worker("worker-2")

    def all_sent() -> bool:
        """all 21 enquiries are sent"""
        return deployment.inbox.statuses() == {"sent": 21}

    wait_until(all_sent, timeout=60, interval=0.2)

    attempts = deployment.inbox.attempts()
    assert all(attempts[reference] >= 2 for reference in in_flight), "tried again after the kill"
    copies = mails_by_enquiry(smtp)
    references = deployment.inbox.references()
    # Every enquiry reached both the professor and the applicant...
    assert set(copies) == {(ref, to) for ref in references for to in (PROFESSOR, "ada@example.org")}
    # ...the mail the server had kept, unanswered, went again (at least once)...
    assert any(len(message_ids) > 1 for message_ids in copies.values())
    # ...and every copy of a mail is the same mail, with the same Message-ID, which mail
    # clients show once.
    for (reference, recipient), message_ids in copies.items():
        assert len(set(message_ids)) == 1, f"{reference} to {recipient}: {message_ids}"


def test_the_site_serves_and_keeps_enquiries_while_redis_is_down(
    deployment_on_private_redis: tuple[Deployment, PrivateRedis], smtp: SmtpSink
) -> None:
    deployment, redis_server = deployment_on_private_redis
    deployment.settings["ENQUIRY_SWEEP_GRACE"] = 1
    (site,) = deployment.serve(instances=1)
    worker = deployment.start_worker()
    assert http_request(site, "GET", "/readyz")[0] == 200
    # An enquiry end to end first, so that the worker is up (and its start-up sweep done).
    assert post_enquiry_over_http(site, message=numbered_message(1)) == 303
    smtp.wait_for(2)

    redis_server.stop()
    for _ in range(4):  # Both gunicorn workers, more than once.
        started = time.monotonic()
        assert http_request(site, "GET", "/openpositions")[0] == 200
        # A page takes tens of milliseconds; 2 s is QUEUE_REDIS_TIMEOUT, one wait on Redis.
        assert time.monotonic() - started < 2
    assert post_enquiry_over_http(site, message=numbered_message(2)) == 303
    assert deployment.inbox.statuses() == {"sent": 1, "pending": 1}, "stored, not queued"
    status, body = http_request(site, "GET", "/readyz")
    assert status == 503
    readiness = json.loads(body)
    assert readiness["queue"].startswith("unreachable")
    assert "database" not in readiness

    # Back on the same port, empty (it keeps nothing on disk): the enquiry sent meanwhile
    # was never in it.
    redis_server.start()

    def ready() -> bool:
        """/readyz answers 200 again"""
        return http_request(site, "GET", "/readyz")[0] == 200

    wait_until(ready, timeout=20)

    # The worker sweeps for lost enquiries each minute; rather than wait for that minute,
    # this runs the same sweep now, with the deployment's configuration. The worker, which
    # has been running through the outage, then delivers.
    def overdue() -> bool:
        """the pending enquiry is overdue by more than ENQUIRY_SWEEP_GRACE"""
        return deployment.inbox.overdue(seconds=1) == 1

    wait_until(overdue, timeout=10)
    assert deployment.sweep() == 1
    smtp.wait_for(4)

    def sent() -> bool:
        """the enquiry sent during the outage is sent"""
        return deployment.inbox.statuses() == {"sent": 2}

    wait_until(sent, timeout=20)
    worker.require_running()
