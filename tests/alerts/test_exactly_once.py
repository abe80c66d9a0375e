"""Exactly once, as deployed: two gunicorn instances, two queue workers, PostgreSQL and Redis.
Subscribers sign up through both instances and confirm; a content edit opens a position; the
workers' periodic checks and two `flask alerts send` run at once; each subscriber gets the
alert once."""

import subprocess
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.alerts.subscribers import NEW_POSTDOC, SITE_URL, open_position
from tests.support.content import copy_content
from tests.support.net import http_request
from tests.support.paths import PROJECT_DIR
from tests.support.processes import BIN, ProcessGroup, environment, upgrade_database
from tests.support.services import postgres_database, redis_prefix
from tests.support.smtp import Received, SmtpSink, body_text
from tests.support.waiting import wait_until

SUBSCRIBERS = 24


@dataclass
class Deployment:
    settings: dict[str, object]
    processes: ProcessGroup
    database: psycopg.Connection
    content_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return environment(self.settings)

    def count(self, query: str) -> int:
        row = self.database.execute(query).fetchone()
        assert row is not None
        return int(row[0])

    def send_now(self) -> str:
        """`flask --app app alerts send`, as the operator runs it; what it printed."""
        done = subprocess.run(
            [BIN / "flask", "--app", "app", "alerts", "send"],
            cwd=PROJECT_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout


@pytest.fixture
def deployment(tmp_path: Path, smtp: SmtpSink) -> Iterator[Deployment]:
    with (
        postgres_database() as database_url,
        redis_prefix() as (redis_url, prefix),
        psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as connection,
        ProcessGroup(tmp_path / "logs") as processes,
    ):
        content_dir = copy_content(tmp_path)
        settings: dict[str, object] = {
            "SECRET_KEY": "alerts-exactly-once",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "QUEUE_URL": redis_url,
            "QUEUE_NAME": prefix,
            "QUEUE_IN_PROCESS": False,
            "RATELIMIT_STORAGE_URI": redis_url,
            "RATELIMIT_KEY_PREFIX": prefix,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_TIMEOUT": 10,
            "MAIL_DEFAULT_SENDER": "RSiM open positions <positions@rsim.example.org>",
            "SITE_URL": SITE_URL,
            "CONTENT_DIR": str(content_dir),
            # Posted by this script, not a browser: no form token (tested on its own).
            "WTF_CSRF_ENABLED": False,
            # Each worker's scheduler offers the check each minute: a turn is due at every one.
            "ALERTS_INTERVAL": 60,
        }
        yield Deployment(settings, processes, connection, content_dir)


def key_of(mail: Received) -> str:
    """The subscription's key, from the confirmation link in its mail."""
    (link,) = [word for word in body_text(mail.message, "plain").split() if "/confirm/" in word]
    return link.rsplit("/", 1)[1]


def test_each_subscriber_gets_an_opening_once_from_two_instances_and_two_workers(
    deployment: Deployment, smtp: SmtpSink
) -> None:
    env = deployment.env
    upgrade_database(env)
    instances = deployment.processes.gunicorn_instances(env, count=2, workers=2)
    deployment.processes.queue_worker(env, "worker-1")
    deployment.processes.queue_worker(env, "worker-2")

    def subscribe(number: int) -> int:
        fields = {
            "email": f"subscriber{number}@example.org",
            "categories": "postdoc",
            "consent": "y",
        }
        return http_request(instances[number % 2], "POST", "/alerts", fields)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert Counter(pool.map(subscribe, range(SUBSCRIBERS))) == {303: SUBSCRIBERS}
    confirmations = smtp.wait_for(SUBSCRIBERS, timeout=60)

    def confirm(numbered: tuple[int, Received]) -> int:
        number, mail = numbered
        return http_request(instances[number % 2], "POST", f"/alerts/confirm/{key_of(mail)}")[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert Counter(pool.map(confirm, enumerate(confirmations))) == {303: SUBSCRIBERS}
    assert deployment.count(
        "SELECT count(*) FROM alert_subscription WHERE state = 'confirmed'"
    ) == (SUBSCRIBERS)

    open_position(deployment.content_dir, NEW_POSTDOC, "postdoc")
    # The operator's command twice at once, beside the workers' own checks.
    with ThreadPoolExecutor(max_workers=2) as pool:
        printed = list(pool.map(lambda _: deployment.send_now(), range(2)))
    assert sum(f"Newly open: {NEW_POSTDOC}." in output for output in printed) <= 1

    def all_sent() -> bool:
        """an alert to every subscriber is recorded as sent"""
        return deployment.count("SELECT count(*) FROM alert_mail WHERE status = 'sent'") == (
            SUBSCRIBERS
        )

    wait_until(all_sent, timeout=90, interval=0.2)
    assert "Alert mails made: 0; queued: 0." in deployment.send_now()
    alerts = [mail for mail in smtp.wait_for(2 * SUBSCRIBERS) if mail.message["List-Id"]]
    recipients = Counter(mail.rcpt_tos[0] for mail in alerts)
    assert recipients == {f"subscriber{number}@example.org": 1 for number in range(SUBSCRIBERS)}
    assert len({mail.message["Message-ID"] for mail in alerts}) == SUBSCRIBERS
    assert deployment.count("SELECT count(*) FROM alert_mail") == SUBSCRIBERS
    assert deployment.count("SELECT count(*) FROM alert_mail_position") == SUBSCRIBERS
