"""Edited, added and removed content files show within a second or so, without a restart, and
files with errors never take the site down: it serves the last content that loaded without any."""

import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from openpositions.clock import system_clock
from openpositions.content import Content, ContentError, ContentStore
from openpositions.content.last_good import LastGoodContent
from openpositions.content.loader import content_version
from tests.support.app import make_app
from tests.support.content import SEED_FILE, copy_content, replace_in, write_position
from tests.support.processes import ProcessGroup, environment, site_files, upgrade_database
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

OLD_TITLE = "PhD candidates in Deep Learning"
NEW_TITLE = "Doctoral researchers in Deep Learning"


class CountingStore:
    """How often, and in which threads, the store read the content files.

    With `gate` set, each load waits for it first: a load under way for as long as a test likes.
    """

    def __init__(self, store: ContentStore, gate: threading.Event | None = None) -> None:
        self.threads: list[threading.Thread] = []
        self.started = threading.Event()
        load = store.load

        def counted() -> Content:
            self.threads.append(threading.current_thread())
            self.started.set()
            if gate is not None:
                gate.wait(timeout=10)
            return load()

        # Counts the loads of this one store; mypy refuses any assignment to a method.
        store.load = counted  # type: ignore[method-assign]

    @property
    def loads(self) -> int:
        return len(self.threads)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink, content: Path) -> tuple[Flask, ContentStore]:
    """The site outside debug mode, its watcher asleep for the test: it looks when told to."""
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), CONTENT_CHECK_INTERVAL=3600)
    store: ContentStore = app.extensions["openpositions.content"]
    return app, store


def listing(client: FlaskClient) -> str:
    return client.get("/openpositions").get_data(as_text=True)


def test_an_edit_shows_within_the_check_interval_without_a_restart(
    tmp_path: Path, smtp: SmtpSink, content: Path
) -> None:
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), CONTENT_CHECK_INTERVAL=0.05)
    client = app.test_client()
    assert OLD_TITLE in listing(client)
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")

    def edit_shows() -> bool:
        """the list shows the edited title"""
        return NEW_TITLE in listing(client)

    wait_until(edit_shows, timeout=10)


def test_a_request_never_waits_for_a_reload(tmp_path: Path, smtp: SmtpSink, content: Path) -> None:
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), CONTENT_CHECK_INTERVAL=0.05)
    client = app.test_client()
    assert OLD_TITLE in listing(client)
    gate = threading.Event()
    counting = CountingStore(app.extensions["openpositions.content"], gate)
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    try:
        assert counting.started.wait(timeout=10), "the watcher loads the edit by itself"
        # The load is under way (held at the gate): requests meanwhile get what is loaded.
        assert OLD_TITLE in listing(client)
    finally:
        gate.set()
    wait_until(lambda: NEW_TITLE in listing(client), timeout=10)
    assert threading.current_thread() not in counting.threads, "no request loaded the files"


def test_files_are_read_only_when_they_changed(
    site: tuple[Flask, ContentStore], content: Path
) -> None:
    app, store = site
    counting = CountingStore(store)
    client = app.test_client()
    for _ in range(5):
        store.reload_if_changed()  # What the watcher does every check_interval seconds.
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
    store.reload_if_changed()
    assert "PhD position added while the site runs" in listing(client)
    assert client.get("/openpositions/phd-new").status_code == 200
    assert counting.loads == 1
    (content / "positions" / "phd-new.md").unlink()
    store.reload_if_changed()
    assert client.get("/openpositions/phd-new").status_code == 404


def test_a_broken_edit_keeps_the_last_good_content_and_logs_why(
    site: tuple[Flask, ContentStore], content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, store = site
    client = app.test_client()
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    replace_in(content, SEED_FILE, "category: phd", "category: masters")
    store.reload_if_changed()
    page = client.get("/openpositions")
    assert page.status_code == 200
    assert OLD_TITLE in page.get_data(as_text=True)
    (record,) = [r for r in caplog.records if "not reloaded" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "status: 'opn' is not one of: open, closed" in record.getMessage()
    assert "category: 'masters' is not one of: phd, postdoc" in record.getMessage()
    store.reload_if_changed()
    listing(client)
    assert len([r for r in caplog.records if "not reloaded" in r.getMessage()]) == 1, (
        "a broken edit is reported once, not on every look"
    )
    replace_in(content, SEED_FILE, "status: opn", "status: open")
    replace_in(content, SEED_FILE, "category: masters", "category: phd")
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    store.reload_if_changed()
    assert NEW_TITLE in listing(client)


# --- A start on broken files ------------------------------------------------------------------


def test_a_restart_on_broken_files_serves_the_last_good_content_and_logs_why(
    site: tuple[Flask, ContentStore],
    tmp_path: Path,
    smtp: SmtpSink,
    content: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, store = site
    assert OLD_TITLE in listing(app.test_client())
    version = store.current().version
    replace_in(content, SEED_FILE, f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    store.reload_if_changed()  # A broken edit while it runs is not kept as the last good.
    restarted = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    page = restarted.test_client().get("/openpositions")
    assert page.status_code == 200
    assert OLD_TITLE in page.text and NEW_TITLE not in page.text
    assert restarted.extensions["openpositions.content"].current().version == version, (
        "the same version as before the restart: the pages' ETags still hold"
    )
    (record,) = [r for r in caplog.records if "Content files have errors" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "still serving the last good version" in record.getMessage()
    assert f"{content / SEED_FILE}: status: 'opn' is not one of: open, closed" in (
        record.getMessage()
    )


def test_a_first_start_on_broken_files_refuses_with_every_problem(
    tmp_path: Path, smtp: SmtpSink, content: Path
) -> None:
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    replace_in(content, SEED_FILE, "category: phd", "category: masters")
    with pytest.raises(ContentError) as refused:
        make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    assert str(refused.value).splitlines() == [
        f"{content / SEED_FILE}: category: 'masters' is not one of: phd, postdoc",
        f"{content / SEED_FILE}: status: 'opn' is not one of: open, closed",
    ]


def test_a_last_good_copy_that_cannot_be_read_is_not_served(
    site: tuple[Flask, ContentStore],
    tmp_path: Path,
    smtp: SmtpSink,
    content: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, store = site
    assert store.last_good is not None
    store.last_good.path.write_text("{not JSON", encoding="utf-8")
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    with pytest.raises(ContentError, match="status: 'opn' is not one of"):
        make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    assert f"The last good content in {store.last_good.path} cannot be used" in caplog.text


def test_files_edited_after_they_loaded_are_not_kept_as_the_last_good(
    tmp_path: Path, content: Path
) -> None:
    version = content_version(content)  # As they loaded; then edited before they are kept.
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    kept = LastGoodContent(tmp_path / "kept.jsonl")
    assert not kept.keep(content, version, system_clock())
    assert not kept.path.exists()


def test_the_kept_copy_gives_back_the_files_as_they_loaded(tmp_path: Path, content: Path) -> None:
    version = content_version(content)
    kept = LastGoodContent(tmp_path / "kept.jsonl")
    assert kept.keep(content, version, system_clock())
    restored = tmp_path / "restored"
    assert kept.restore(restored) is not None
    for name in ("site.yaml", SEED_FILE, SEED_FILE.replace(".md", ".de.md")):
        assert (restored / name).read_bytes() == (content / name).read_bytes()
    assert content_version(restored) == version, "the same version: the pages' ETags hold"


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
