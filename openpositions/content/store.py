"""The loaded content of a running site, re-read within a second of any edit, and its today."""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from flask_babel import get_locale

from openpositions.clock import Clock, local_date, system_clock
from openpositions.content.entities import Content
from openpositions.content.loader import content_version, load_content
from openpositions.content.problems import ContentError

log = logging.getLogger(__name__)


class ContentStore:
    """Holds the content loaded at start and replaces it when the files change.

    Every `check_interval` seconds at most (per process), a request compares the content
    folder's fingerprint (names, sizes, times: no file is read) with the one last loaded; on a
    change it loads the files again. A broken edit keeps the last good content serving.
    """

    def __init__(
        self,
        content_dir: str | Path,
        display_root: Path | None = None,
        languages: Sequence[str] = ("en", "de"),
        timezone: str = "Europe/Berlin",
        check_interval: float = 1.0,
        clock: Clock = system_clock,
        seconds: Callable[[], float] = time.monotonic,
    ) -> None:
        self.content_dir = Path(content_dir)
        self.display_root = display_root
        self.languages = tuple(languages)
        self.timezone = timezone
        self.check_interval = check_interval
        # "Now" for deadlines; tests set it to any moment.
        self.clock = clock
        # When to look at the files again; apart from the clock, so that tests may set it too.
        self.seconds = seconds
        self._checking = threading.Lock()
        self._seen = content_version(self.content_dir)
        self.content = self.load()
        # When the files were last looked at, in seconds().
        self.checked_at = self.seconds()
        # Told when first served rather than here, where every command (`flask enquiries
        # list`, `flask positions check` which prints them itself) would repeat them.
        self._warned = False

    def init_app(self, app: Flask) -> None:
        if app.debug:
            self.check_interval = 0  # While editing with the debugger on: on every request.
        app.extensions["openpositions.content"] = self

    def today(self) -> date:
        """Today in the group's time zone: a deadline day is open until its midnight there."""
        return local_date(self.clock(), self.timezone)

    def load(self) -> Content:
        """The content as the files are now; raises ContentError listing every problem."""
        return load_content(self.content_dir, self.display_root, self.languages, self.today())

    def current(self) -> Content:
        """The content in English, or in the language of the request or mail being made."""
        self.reload_if_changed()
        if not self._warned:
            self._warned = True
            self._log_warnings(self.content)
        locale = get_locale()
        return self.content.in_language(locale.language) if locale else self.content

    def reload_if_changed(self) -> None:
        now = self.seconds()
        # One thread checks; others serve what is loaded rather than wait for it.
        if now - self.checked_at < self.check_interval:
            return
        if not self._checking.acquire(blocking=False):
            return
        try:
            self.checked_at = now
            fingerprint = content_version(self.content_dir)
            if fingerprint != self._seen:
                # Noted before loading: a broken edit is reported once, not on every check.
                self._seen = fingerprint
                self.reload()
        finally:
            self._checking.release()

    def reload(self) -> None:
        try:
            content = self.load()
        except ContentError as error:
            # Keep serving what last loaded; the maintainer sees why in the log.
            log.warning("Content not reloaded; still serving the last good version:\n%s", error)
            return
        self.content = content
        log.info("Content reloaded (version %s)", content.version)
        self._warned = False

    def _log_warnings(self, content: Content) -> None:
        for warning in content.warnings:
            log.warning("%s", warning)


def current_store() -> ContentStore:
    store: ContentStore = current_app.extensions["openpositions.content"]
    return store


def current_content() -> Content:
    """The content of the app handling this request or command, in its language."""
    return current_store().current()


def current_day() -> date:
    """Today in the group's time zone, from the app's clock: what is open depends on it."""
    return current_store().today()
