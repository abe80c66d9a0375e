"""The loaded content of a running site, re-read on change while debugging."""

import logging
from dataclasses import replace
from pathlib import Path

from flask import Flask, current_app

from openpositions.content.loader import ContentError, content_fingerprint, load_content
from openpositions.content.models import Content

log = logging.getLogger(__name__)


class ContentStore:
    """Holds the content loaded at start; in debug mode, picks up edited files."""

    def __init__(self, content_dir: str | Path, display_root: Path | None = None) -> None:
        self.content_dir = Path(content_dir)
        self.display_root = display_root
        self.content = load_content(self.content_dir, display_root)
        self.watch = False

    def init_app(self, app: Flask) -> None:
        self.watch = app.debug
        app.extensions["openpositions.content"] = self

    def current(self) -> Content:
        if self.watch and content_fingerprint(self.content_dir) != self.content.version:
            self.reload()
        return self.content

    def reload(self) -> None:
        try:
            self.content = load_content(self.content_dir, self.display_root)
        except ContentError as error:
            # Keep serving what last loaded; the maintainer sees why in the log.
            log.error("Content not reloaded:\n%s", error)
            stale_version = content_fingerprint(self.content_dir)
            self.content = replace(self.content, version=stale_version)


def current_content() -> Content:
    """The content of the app handling this request or command."""
    store: ContentStore = current_app.extensions["openpositions.content"]
    return store.current()
