"""The app on temporary database and queue files, and reading what it stored and queued."""

import atexit
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from openpositions import create_app
from openpositions.clock import utcnow
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.queue import queue_of
from tests.support.paths import PROJECT_DIR

# The enquiry table's columns that revision 0002 requires, for tests that store rows there and
# then migrate: today's model has columns added since.
ENQUIRY_AT_0002 = sa.table(
    "enquiry",
    *(
        sa.column(name)
        for name in (
            "reference", "created_at", "name", "email", "transport_email", "position_slug",
            "position_title", "message", "language", "fingerprint", "status", "attempts",
        )
    ),
)  # fmt: skip


def store_as_at_0002(number: int, **values: Any) -> None:
    """Store enquiry number `number` as revision 0002's table held it (today's model has more
    columns), for the tests of later migrations; `values` sets status, attempts and so on."""
    row = {
        "reference": f"RS-0000-{number:04d}",
        "created_at": utcnow(),
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "transport_email": "ada@example.org",
        "position_slug": "general",
        "position_title": "General enquiry",
        "message": "A message long enough to be an enquiry.",
        "language": "en",
        "fingerprint": str(number),
        "status": "sent",
        "attempts": 1,
    }
    db.session.execute(sa.insert(ENQUIRY_AT_0002).values(**{**row, **values}))


def an_enquiry(**fields: Any) -> Enquiry:
    """A general enquiry from Ada Lovelace as the form makes one, not stored; `fields` change it."""
    email = fields.pop("email", "ada@example.org")
    values: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": email,
        "transport_email": email,
        "position_slug": "general",
        "position_title": "General enquiry",
        "message": "A message long enough to be an enquiry.",
        "language": "en",
    }
    return Enquiry(**{**values, **fields})


def app_config(tmp_path: Path, smtp_port: int, **overrides: Any) -> dict[str, Any]:
    """Settings that keep the app's files in `tmp_path` and send its mail to `smtp_port`."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'enquiries.sqlite3'}",
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
        "QUEUE_IN_PROCESS": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "RSiM open positions <positions@rsim.example.org>",
        "ENQUIRY_RECIPIENT": "professor@rsim.example.org",
        "ENQUIRY_MIN_SECONDS": 0,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return config


MIGRATIONS = str(PROJECT_DIR / "migrations")
# A SQLite database the migrations made once in this process, copied for each new one.
_migrated: list[Path] = []


def _migrated_sqlite_file() -> Path:
    if not _migrated:
        folder = Path(tempfile.mkdtemp(prefix="openpositions-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "migrated.sqlite3"
        app = create_app(app_config(folder, 0, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"))
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            db.engine.dispose()
        _migrated.append(path)
    return _migrated[0]


def make_app(tmp_path: Path, smtp_port: int, **overrides: Any) -> Flask:
    """The app with `app_config`'s settings, its database tables created: a new SQLite file
    starts as a copy of one the migrations made (running them again would make the same)."""
    config = app_config(tmp_path, smtp_port, **overrides)
    url = sa.make_url(config["SQLALCHEMY_DATABASE_URI"])
    copy = url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists()
    # The migrated file is made (by an app of its own) before this app: the extensions are
    # shared, and the last app made sets what is global in them, as the rate limiter's switch.
    template = _migrated_sqlite_file() if copy else None
    app = create_app(config)
    if template is not None and url.database:
        shutil.copyfile(template, url.database)
        return app
    with app.app_context():
        upgrade(directory=MIGRATIONS)
    return app


def stored_enquiries(app: Flask) -> list[Enquiry]:
    """Every enquiry in the app's database, oldest first, detached from the session."""
    with app.app_context():
        enquiries = list(db.session.scalars(sa.select(Enquiry).order_by(Enquiry.id)))
        db.session.expunge_all()
        return enquiries


def age_enquiries(app: Flask, days: float) -> None:
    """Make every stored enquiry `days` older, as if it had come in that long ago."""
    with app.app_context():
        db.session.execute(
            sa.update(Enquiry).values(created_at=Enquiry.created_at - timedelta(days=days))
        )
        db.session.commit()


def queued_tasks(app: Flask) -> int:
    """How many tasks wait in the app's queue."""
    return queue_of(app).pending_count()
