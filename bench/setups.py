"""The two set-ups the benchmarks run the site in, started and removed again.

"embedded" (the default of a fresh install): a SQLite database and a SQLite queue in a temporary
instance folder, rate limits counted in each process's memory, one gunicorn with 2 sync workers,
each of which delivers mail from its own in-process queue consumer (QUEUE_WORKERS threads).

"shared" (several instances behind a load balancer): a PostgreSQL database created for the run
(openpositions_bench_<random>, dropped after), the queue and the rate limits in Redis under a
prefix of the run's own (the same name; its keys are deleted after), 2 gunicorn instances on 2
loopback ports with 1 sync worker each (2 workers each would put 4 web processes and a queue
worker on a 2-core machine), FLASK_QUEUE_IN_PROCESS=false and one separate
`flask --app app queue worker` process delivering the mail.

Everything runs on 127.0.0.1; PostgreSQL and Redis are expected on their default loopback ports
(user postgres without password). When either cannot be reached, `shared_unavailable` says why
and the benchmarks skip that set-up.
"""

import argparse
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _support import (
    VENV_BIN,
    Popen,
    Server,
    app_env,
    background,
    base_settings,
    flask_command,
    gunicorn,
    shielded,
    tail,
)

SETUPS = ("embedded", "shared")
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_SQLALCHEMY = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/0"
# One gunicorn with 2 workers, or 2 gunicorns with 1 worker each: 2 web processes either way.
INSTANCES = {"embedded": 1, "shared": 2}
WEB_WORKERS = {"embedded": 2, "shared": 1}
STATUS_QUERY = "SELECT status, count(*) FROM enquiry GROUP BY status"


class SetupUnavailable(RuntimeError):
    """The set-up cannot run on this machine (a server it needs is not reachable)."""


def add_setup_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--setup",
        choices=SETUPS,
        default="embedded",
        help="embedded: SQLite, in-process queue, 1 gunicorn x 2 workers; shared: PostgreSQL, "
        "Redis queue and limits, 2 gunicorns x 1 worker, a separate queue worker",
    )


def shared_unavailable() -> str | None:
    """Why the shared set-up cannot run here; None if PostgreSQL and Redis both answer."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # Absent server, refused login, missing driver: all the same.
        return f"PostgreSQL is not reachable at 127.0.0.1:5432 ({describe(error)})"
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:
        return f"Redis is not reachable at 127.0.0.1:6379 ({describe(error)})"
    return None


def describe(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def service_versions() -> str:
    """The PostgreSQL and Redis servers' versions, where they answer."""
    found = []
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            found.append(f"PostgreSQL {row[0] if row else '?'}")
    except Exception:
        found.append("PostgreSQL not reachable")
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            found.append(f"Redis {client.info('server')['redis_version']}")
        finally:
            client.close()
    except Exception:
        found.append("Redis not reachable")
    return ", ".join(found)


@dataclass
class Storage:
    """Where one run's enquiries, queue and rate-limit counts live, with its schema in place."""

    setup: str
    settings: dict[str, Any]
    prefix: str = ""  # shared: the database's name, the queue's name and the Redis key prefix
    notes: list[str] = field(default_factory=list)

    def statuses(self) -> dict[str, int]:
        """How many stored enquiries are in each state, read straight from the database."""
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        engine = sa.create_engine(self.settings["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
        try:
            with engine.connect() as connection:
                rows = connection.execute(sa.text(STATUS_QUERY)).all()
        finally:
            engine.dispose()
        return {status: count for status, count in rows}

    def wait_until_recorded(self, timeout: float = 30) -> dict[str, int]:
        """Wait until no enquiry is pending: the last mail reaches the sink just before the
        consumer records it as sent, and stopping the servers in between would cut that short."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.2) + 1):
            statuses = self.statuses()
            if not statuses.get("pending") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        return statuses


@contextmanager
def storage(setup: str, tmp: Path) -> Iterator[Storage]:
    """A fresh, migrated database and an empty queue for one run of `setup`; removed on exit.

    Raises SetupUnavailable when the shared set-up's servers cannot be reached.
    """
    settings = {**base_settings(tmp), "RATELIMIT_STORAGE_URI": "memory://"}
    if setup == "embedded":
        store = Storage(setup, settings)
        flask_command(app_env(settings), "db", "upgrade")
        yield store
        return
    if setup != "shared":
        raise ValueError(f"unknown set-up {setup!r}")
    reason = shared_unavailable()
    if reason:
        raise SetupUnavailable(reason)
    # Underscores only: Huey drops every other character from a queue's name.
    name = f"openpositions_bench_{secrets.token_hex(4)}"
    settings.update(
        SQLALCHEMY_DATABASE_URI=POSTGRES_SQLALCHEMY.format(name=name),
        QUEUE_URL=REDIS_URL,
        QUEUE_NAME=name,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=name,
    )
    store = Storage(setup, settings, prefix=name)
    try:
        with shielded():
            create_database(name)
        flask_command(app_env(settings), "db", "upgrade")
        yield store
    finally:
        with shielded():
            remove_shared(store)


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def remove_shared(store: Storage) -> None:
    """Drop the run's database and delete its Redis keys; say what was removed."""
    import psycopg
    import redis

    name = store.prefix
    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
            # FORCE: a connection some process left open must not keep the database alive.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            left = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            row = left.fetchone()
        gone = "dropped" if row and row[0] == 0 else "NOT dropped"
        store.notes.append(f"database {name} {gone}")
    except Exception as error:
        store.notes.append(f"database {name} NOT dropped ({describe(error)}); drop it by hand")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    pattern = f"*{name}*"
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        deleted = 0
        for start in range(0, len(keys), 500):
            deleted += client.delete(*keys[start : start + 500])
        left_keys = sum(1 for _ in client.scan_iter(match=pattern, count=1000))
        store.notes.append(f"{deleted} Redis keys matching {pattern} deleted, {left_keys} left")
    except Exception as error:
        store.notes.append(f"Redis keys {pattern} NOT deleted ({describe(error)})")
    finally:
        client.close()
    print(f"  [{store.setup}] clean-up: " + "; ".join(store.notes))


@dataclass
class Site:
    """The site running in a set-up: its web instances and, if separate, its queue worker."""

    setup: str
    servers: list[Server]
    worker: Popen | None
    layout: str

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]


def layout(setup: str, workers: int | None = None, queue_workers: int = 2) -> str:
    """In words, how `site` runs `setup`."""
    per_instance = workers or WEB_WORKERS[setup]
    if setup == "embedded":
        return (
            f"1 gunicorn x {per_instance} sync workers, each with an in-process queue consumer "
            f"({queue_workers} threads); SQLite database and queue; rate limits in memory"
        )
    return (
        f"{INSTANCES[setup]} gunicorns x {per_instance} sync worker on {INSTANCES[setup]} "
        f"loopback ports, 1 `flask queue worker --workers {queue_workers}`; PostgreSQL "
        "database; queue and rate limits in Redis"
    )


@contextmanager
def site(
    store: Storage,
    settings: Mapping[str, Any],
    tmp: Path,
    *,
    app: str = "app:app",
    extra: tuple[str, ...] = (),
    workers: int | None = None,
    queue_workers: int = 2,
) -> Iterator[Site]:
    """Serve the site over `store` with `settings` on top, as the set-up does; stop on exit.

    `workers`: gunicorn workers per instance (default: 2 embedded, 1 shared);
    `queue_workers`: delivery threads per in-process consumer, or of the separate worker.
    """
    setup = store.setup
    shared = setup == "shared"
    env = app_env(
        {
            **store.settings,
            **settings,
            "QUEUE_IN_PROCESS": not shared,
            "QUEUE_WORKERS": queue_workers,
        }
    )
    worker_log = tmp / "worker.log"
    with ExitStack() as stack:
        worker = None
        if shared:
            worker = stack.enter_context(queue_worker(env, queue_workers, worker_log))
        servers = [
            stack.enter_context(
                gunicorn(
                    app,
                    env,
                    tmp / f"gunicorn-{number}.log",
                    workers or WEB_WORKERS[setup],
                    extra,
                )
            )
            for number in range(INSTANCES[setup])
        ]
        yield Site(setup, servers, worker, layout(setup, workers, queue_workers))
        if worker is not None and worker.poll() is not None:
            print(f"  ! the queue worker exited early ({worker.returncode}):\n{tail(worker_log)}")


@contextmanager
def queue_worker(env: Mapping[str, str], threads: int, log: Path) -> Iterator[Popen]:
    """`flask --app app queue worker --workers THREADS` as its own process; stopped on exit."""
    command = [str(VENV_BIN / "flask"), "--app", "app", "queue", "worker"]
    with background([*command, "--workers", str(threads)], env, log) as process:
        yield process
