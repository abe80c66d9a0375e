"""Edited, added and removed content files show within a second or so, without a restart."""

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from openpositions.content import Content, ContentStore
from tests.support.app import make_app
from tests.support.content import SEED_FILE, copy_content, replace_in, write_position
from tests.support.processes import ProcessGroup, environment, site_files, upgrade_database
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

OLD_TITLE = "PhD candidates in Deep Learning"
NEW_TITLE = "Doctoral researchers in Deep Learning"


class SettableSeconds:
    """A stand-in for time.monotonic that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """How often the store read the content files."""

    def __init__(self, store: ContentStore) -> None:
        self.loads = 0
        load = store.load

        def counted() -> Content:
            self.loads += 1
            return load()

        # Counts the loads of this one store; mypy refuses any assignment to a method.
        store.load = counted  # type: ignore[method-assign]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink, content: Path) -> tuple[Flask, SettableSeconds]:
    """The site outside debug mode, looking at its files at most once a second (the default)."""
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    seconds = SettableSeconds()
    store: ContentStore = app.extensions["openpositions.content"]
    store.seconds = seconds
    store.checked_at = seconds.now  # As if it had just looked.
    return app, seconds


def listing(client: FlaskClient) -> str:
    return client.get("/openpositions").get_data(as_text=True)


def test_an_edit_shows_once_a_second_has_passed(
    site: tuple[Flask, SettableSeconds], content: Path
) -> None:
    app, seconds = site
    client = app.test_client()
    assert OLD_TITLE in listing(client)
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    seconds.now += 0.5
    assert OLD_TITLE in listing(client), "not looked at again within the second"
    seconds.now += 0.5
    assert NEW_TITLE in listing(client)


def test_files_are_read_only_when_they_changed(
    site: tuple[Flask, SettableSeconds], content: Path
) -> None:
    app, seconds = site
    counting = CountingStore(app.extensions["openpositions.content"])
    client = app.test_client()
    for _ in range(5):
        seconds.now += 1
        listing(client)
    assert counting.loads == 0, "unchanged files: names, sizes and times compared, none read"
    write_position(
        content,
        "phd-new",
        "A new position.",
        title="PhD position added while the site runs",
        category="phd",
        status="open",
        date_posted="2026-11-30",
    )
    seconds.now += 1
    assert "PhD position added while the site runs" in listing(client)
    assert client.get("/openpositions/phd-new").status_code == 200
    assert counting.loads == 1
    (content / "positions" / "phd-new.md").unlink()
    seconds.now += 1
    assert client.get("/openpositions/phd-new").status_code == 404


def test_a_broken_edit_keeps_the_last_good_content_and_logs_why(
    site: tuple[Flask, SettableSeconds], content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, seconds = site
    client = app.test_client()
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    replace_in(content, SEED_FILE, "category: phd", "category: masters")
    seconds.now += 1
    page = client.get("/openpositions")
    assert page.status_code == 200
    assert OLD_TITLE in page.get_data(as_text=True)
    (record,) = [r for r in caplog.records if "not reloaded" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "status: 'opn' is not one of: open, closed" in record.getMessage()
    assert "category: 'masters' is not one of: phd, postdoc" in record.getMessage()
    seconds.now += 1
    listing(client)
    assert len([r for r in caplog.records if "not reloaded" in r.getMessage()]) == 1, (
        "a broken edit is reported once, not on every look"
    )
    replace_in(content, SEED_FILE, "status: opn", "status: open")
    replace_in(content, SEED_FILE, "category: masters", "category: phd")
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    seconds.now += 1
    assert NEW_TITLE in listing(client)


@pytest.fixture
def gunicorn(tmp_path: Path, smtp: SmtpSink, content: Path) -> Iterator[str]:
    """gunicorn with two workers on the content copy, in production mode; its base URL."""
    settings = {
        "SECRET_KEY": "reload-test",
        **site_files(tmp_path),
        "QUEUE_IN_PROCESS": False,
        "MAIL_PORT": smtp.port,
        "CONTENT_DIR": str(content),
    }
    env = environment(settings)
    env.pop("FLASK_DEBUG", None)
    upgrade_database(env)
    with ProcessGroup(tmp_path / "logs") as processes:
        (base_url,) = processes.gunicorn_instances(env, count=1, workers=2)
        yield base_url


def test_a_running_gunicorn_serves_an_edit_without_a_restart(gunicorn: str, content: Path) -> None:
    def page() -> str:
        with urllib.request.urlopen(f"{gunicorn}/openpositions", timeout=5) as response:
            return str(response.read().decode())

    assert OLD_TITLE in page()
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")

    def both_workers_serve_it() -> bool:
        """ten answers in a row (from either worker) show the edited title"""
        return all(NEW_TITLE in page() for _ in range(10))

    wait_until(both_workers_serve_it, timeout=15, interval=0.1)
