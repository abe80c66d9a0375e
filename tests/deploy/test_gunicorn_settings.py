"""gunicorn.conf.py's hooks, called as gunicorn calls them."""

import logging
import runpy
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.paths import PROJECT_DIR

SETTINGS = runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))


def starting(caplog: pytest.LogCaptureFixture) -> list[str]:
    server: Any = SimpleNamespace(log=logging.getLogger("gunicorn.error"))
    with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
        SETTINGS["on_starting"](server)
    return [record.getMessage() for record in caplog.records]


def test_a_start_without_site_url_warns_what_to_set(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLASK_SITE_URL", raising=False)
    (warning,) = starting(caplog)
    assert warning.startswith("FLASK_SITE_URL is not set: set it to the address visitors use")


def test_a_start_with_site_url_says_nothing(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SITE_URL", "https://www.example.org")
    assert starting(caplog) == []


def test_workers_are_recycled_one_at_a_time() -> None:
    # A worker's memory is given back however it grew; the jitter spreads the restarts out.
    assert SETTINGS["max_requests"] >= 100
    assert 0 < SETTINGS["max_requests_jitter"] < SETTINGS["max_requests"]
