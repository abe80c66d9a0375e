"""Configuration in a fixed order: documented defaults, then FLASK_* variables, then tests."""

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

PATH_SETTINGS = ("CONTENT_DIR", "INSTANCE_PATH", "BABEL_TRANSLATION_DIRECTORIES")


class SettingError(ValueError):
    """A setting that cannot work; the message names it and says what to set instead."""


def load(app: Flask, project_dir: Path, test_config: Mapping[str, Any] | None) -> None:
    """Fill app.config: defaults < environment < test mapping; then derived values."""
    app.config.from_pyfile(str(project_dir / "config" / "defaults.py"))
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    for name in PATH_SETTINGS:
        app.config[name] = str(project_dir / app.config[name])
    app.instance_path = app.config["INSTANCE_PATH"]
    app.config["TIMEZONE"] = check_timezone(app.config["TIMEZONE"])
    app.config["ENQUIRY_RETENTION_DAYS"] = check_retention(app.config["ENQUIRY_RETENTION_DAYS"])
    # Dates that Flask-Babel formats are in the group's time zone.
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if app.config.get("SECRET_KEY") is not None:
        # FLASK_SECRET_KEY=12345 arrives parsed as JSON, an int: a key is text.
        app.config["SECRET_KEY"] = str(app.config["SECRET_KEY"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        database = Path(app.instance_path) / "openpositions.sqlite3"
        database.parent.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"


def instance_secret_key(instance_dir: Path) -> str:
    """Return the secret kept in the instance folder, generating it on first use."""
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        # Only the site's own user may read it; it appears whole or not at all, and when two
        # workers start at once the first link wins and both then read the same key.
        partial = instance_dir / f".secret_key.{os.getpid()}"
        partial.write_text(secrets.token_hex(32))
        partial.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(partial, key_file)
        partial.unlink()
    return key_file.read_text().strip()


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"FLASK_TIMEZONE: {name!r} is not a time zone; use an IANA name like Europe/Berlin"
        ) from None
    return str(name)


def check_retention(days: object) -> int:
    # Below one day, the daily purge would delete enquiries as they arrive.
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise SettingError(
            f"FLASK_ENQUIRY_RETENTION_DAYS: {days!r} is not a number of days; "
            "set a whole number of at least 1, like 180"
        )
    return days
