"""/metrics as deployed: gunicorn with two workers, PostgreSQL, a separate queue worker."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.forms import post_enquiry_over_http
from tests.support.metrics import parse_metrics
from tests.support.net import http_request
from tests.support.processes import ProcessGroup, environment, upgrade_database
from tests.support.services import postgres_database
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

ENQUIRIES = 6
SCRAPES = 12


def scrape(base_url: str) -> dict[str, float]:
    """One scrape on a connection of its own, so whichever worker accepts it answers."""
    status, body = http_request(base_url, "GET", "/metrics")
    assert status == 200, body
    return parse_metrics(body.decode())


def test_every_worker_answers_with_the_same_figures(tmp_path: Path, smtp: SmtpSink) -> None:
    with (
        postgres_database() as database_url,
        ProcessGroup(tmp_path / "logs") as processes,
    ):
        env = environment(
            {
                "SECRET_KEY": "metrics-serving-test",
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SQLALCHEMY_DATABASE_URI": database_url,
                "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
                # The web workers only store and queue; the separate worker sends.
                "QUEUE_IN_PROCESS": False,
                "MAIL_PORT": smtp.port,
                "ENQUIRY_RECIPIENT": "professor@rsim.example.org",
                "ENQUIRY_MIN_SECONDS": 0,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        upgrade_database(env)
        (base_url,) = processes.gunicorn_instances(env, count=1, workers=2)
        worker = processes.queue_worker(env)

        def send(number: int) -> tuple[int, int]:
            message = f"Enquiry number {number}: I would like to know more about the topics."
            enquiry = post_enquiry_over_http(base_url, message=message)
            spam = post_enquiry_over_http(base_url, message=message, website="http://spam.example")
            return enquiry, spam

        # At once, so that both web workers take some and add to the same totals together.
        with ThreadPoolExecutor(max_workers=ENQUIRIES) as pool:
            answers = list(pool.map(send, range(ENQUIRIES)))
        assert answers == [(303, 303)] * ENQUIRIES

        def all_sent() -> bool:
            """the queue worker has sent every enquiry (as /metrics tells)"""
            worker.require_running()
            return scrape(base_url)["openpositions_enquiries_sent_total"] == ENQUIRIES

        wait_until(all_sent, timeout=60, interval=0.2)
        scrapes = [scrape(base_url) for _ in range(SCRAPES)]

    first = scrapes[0]
    assert all(metrics == first for metrics in scrapes), "every worker tells the same"
    assert first["openpositions_enquiries_accepted_total"] == ENQUIRIES
    assert first['openpositions_spam_caught_total{trap="honeypot"}'] == ENQUIRIES
    assert first["openpositions_enquiry_delivery_attempts_total"] == ENQUIRIES
    assert first["openpositions_enquiry_send_duration_seconds_count"] == ENQUIRIES
    assert first["openpositions_enquiries_pending"] == 0
