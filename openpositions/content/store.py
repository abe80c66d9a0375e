"""The loaded content of a running site, re-read on change while debugging."""

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from flask import Flask, current_app
from flask_babel import get_locale

from openpositions.content.loader import ContentError, content_fingerprint, load_content
from openpositions.content.models import Content

log = logging.getLogger(__name__)


class ContentStore:
    """Holds the content loaded at start; in debug mode, picks up edited files."""

    def __init__(
        self,
        content_dir: str | Path,
        display_root: Path | None = None,
        languages: Sequence[str] = ("en", "de"),
    ) -> None:
        self.content_dir = Path(content_dir)
        self.display_root = display_root
        self.languages = tuple(languages)
        self.content = self.load()
        self.watch = False

    def init_app(self, app: Flask) -> None:
        self.watch = app.debug
        app.extensions["openpositions.content"] = self

    def load(self) -> Content:
        return load_content(self.content_dir, self.display_root, self.languages)

    def current(self) -> Content:
        """The content in English, or in the language of the request or mail being made."""
        if self.watch and content_fingerprint(self.content_dir) != self.content.version:
            self.reload()
        locale = get_locale()
        return self.content.in_language(locale.language) if locale else self.content

    def reload(self) -> None:
        try:
            self.content = self.load()
        except ContentError as error:
            # Keep serving what last loaded; the maintainer sees why in the log.
            log.error("Content not reloaded:\n%s", error)
            stale_version = content_fingerprint(self.content_dir)
            self.content = replace(self.content, version=stale_version)


def current_content() -> Content:
    """The content of the app handling this request or command, in its language."""
    store: ContentStore = current_app.extensions["openpositions.content"]
    return store.current()
