"""The content a running site serves, kept current as its files change, and its today."""

import logging
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from flask import Flask, current_app
from flask_babel import get_locale

from openpositions.clock import Clock, local_date, system_clock
from openpositions.content.entities import Content
from openpositions.content.last_good import LastGoodContent
from openpositions.content.loader import content_version, load_content
from openpositions.content.problems import ContentError, summarised

log = logging.getLogger(__name__)


class ContentStore:
    """The content served, loaded once and replaced when the files change.

    `start` loads it (the app factory calls it, except under the `flask` command, where the
    first command that needs the content does). From then on a watcher thread in each process
    looks at the content folder every `check_interval` seconds, comparing its fingerprint
    (names, sizes, times: no file is read) with the one last loaded, and loads the files again
    on a change: a request only reads the content loaded, and never waits for a load. With
    `check_interval` 0 (debug mode) each request looks first instead, so that an edit shows on
    the next reload of the page.

    Files with errors never replace what is served: that stays the last content that loaded
    without any, which `last_good` keeps in the instance folder for the next start.
    """

    def __init__(
        self,
        content_dir: str | Path,
        display_root: Path | None = None,
        languages: Sequence[str] = ("en", "de"),
        timezone: str = "Europe/Berlin",
        check_interval: float = 1.0,
        clock: Clock = system_clock,
        last_good: LastGoodContent | None = None,
    ) -> None:
        self.content_dir = Path(content_dir)
        self.display_root = display_root
        self.languages = tuple(languages)
        self.timezone = timezone
        self.check_interval = check_interval
        # "Now" for deadlines; tests set it to any moment.
        self.clock = clock
        self.last_good = last_good
        # What is served; None until started.
        self.loaded: Content | None = None
        # The fingerprint of the files when they were last loaded.
        self._seen = ""
        self._starting = threading.Lock()
        self._checking = threading.Lock()
        self._watcher_pid: int | None = None
        # Told when first served rather than at each load, where every command (`flask
        # positions check`, which prints them itself, too) would repeat them.
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

    def start(self) -> Content:
        """Load the files and serve them, or the last good content where they have errors.

        Raises ContentError, listing the problems, only when the files have errors and no
        content ever loaded without any: then there is nothing to serve.
        """
        with self._starting:
            if self.loaded is not None:
                return self.loaded
            self._seen = content_version(self.content_dir)
            try:
                content = self.load()
            except ContentError as error:
                content = self._last_good_instead(error)
            else:
                self._serve(content)
            return content

    def current(self) -> Content:
        """The content in English, or in the language of the request or mail being made."""
        content = self.loaded or self.start()
        if self.check_interval > 0:
            self._watch_from_this_process()
        else:
            self.reload_if_changed()
            content = self.loaded or content
        if not self._warned:
            self._warned = True
            for line in summarised(content.warnings):
                log.warning("%s", line)
        locale = get_locale()
        return content.in_language(locale.language) if locale else content

    def reload_if_changed(self) -> None:
        """Load the files again if any was edited, added or removed since they were loaded."""
        # One thread looks; another asking meanwhile serves what is loaded rather than wait.
        if not self._checking.acquire(blocking=False):
            return
        try:
            fingerprint = content_version(self.content_dir)
            if fingerprint != self._seen:
                # Noted before loading: a broken edit is reported once, not on every look.
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
        self._serve(content)
        log.info("Content reloaded (version %s)", content.version)

    def _serve(self, content: Content) -> None:
        self.loaded = content
        self._warned = False
        if self.last_good is None:
            return
        try:
            self.last_good.keep(self.content_dir, content.version, self.clock())
        except (OSError, ValueError) as error:
            # The site serves on; only a later start on broken files would lack the copy.
            log.warning(
                "Could not keep the content as the last good version in %s: %s",
                self.last_good.path,
                error,
            )

    def _last_good_instead(self, error: ContentError) -> Content:
        """The content kept from the last good load, served while the files have errors."""
        restored = self._restore_last_good()
        if restored is None:
            raise error
        content, kept_at = restored
        self.loaded = content
        log.warning(
            "Content files have errors; still serving the last good version (kept %s):\n%s",
            kept_at.isoformat(timespec="seconds"),
            error,
        )
        return content

    def _restore_last_good(self) -> tuple[Content, datetime] | None:
        if self.last_good is None:
            return None
        with tempfile.TemporaryDirectory(prefix="openpositions-last-good-") as folder:
            try:
                kept_at = self.last_good.restore(Path(folder))
                if kept_at is None:
                    return None
                content = load_content(folder, None, self.languages, self.today())
            except (OSError, ValueError, ContentError) as error:
                log.warning(
                    "The last good content in %s cannot be used: %s", self.last_good.path, error
                )
                return None
        # Its warnings name the copy's temporary files: the files' own problems are told instead.
        return replace(content, warnings=()), kept_at

    def _watch_from_this_process(self) -> None:
        # Started by the first use in each process rather than with the app: gunicorn may make
        # the app before it forks its workers, and a thread does not outlive a fork.
        pid = os.getpid()
        if self._watcher_pid == pid:
            return
        with self._starting:
            if self._watcher_pid == pid:
                return
            watcher = threading.Thread(
                target=watch, args=(weakref.ref(self),), name="content-watcher", daemon=True
            )
            watcher.start()
            self._watcher_pid = pid


def watch(store_ref: "weakref.ref[ContentStore]") -> None:
    """Every check_interval seconds, load the content files again if they changed."""
    while True:
        store = store_ref()
        if store is None or store.check_interval <= 0:
            return  # Its app is gone (a test's, once it ends), or each request looks itself.
        interval = store.check_interval
        del store  # Not held while asleep, so that an app no longer used can go.
        time.sleep(interval)
        store = store_ref()
        if store is None:
            return
        try:
            store.reload_if_changed()
        except Exception:  # Anything unforeseen must not stop every later edit from showing.
            log.exception("Could not look for edited content files")
        del store


def current_store() -> ContentStore:
    store: ContentStore = current_app.extensions["openpositions.content"]
    return store


def current_content() -> Content:
    """The content of the app handling this request or command, in its language."""
    return current_store().current()


def current_day() -> date:
    """Today in the group's time zone, from the app's clock: what is open depends on it."""
    return current_store().today()
