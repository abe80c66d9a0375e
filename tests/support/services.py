"""The PostgreSQL and Redis servers some tests need: found, or skipped with a reason.

Where they are absent the tests that need them skip and say why; with CI=true they are
required, and their absence fails the run.
"""

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, host: str, port: int) -> None:
    """Skip the test when the server is absent, or fail it when CI requires the server."""
    if _answers(host, port):
        return
    reason = f"{name} is not running on {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI requires it")
    pytest.skip(f"{reason}; tests that need it are skipped")


def _admin_dsn() -> str:
    # psycopg takes the URL without SQLAlchemy's "+psycopg" driver part.
    return POSTGRES_URL.replace("+psycopg", "") + "/postgres"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (its SQLAlchemy URL), dropped after."""
    require("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"openpositions_test_{secrets.token_hex(6)}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(Redis URL, a key prefix of this test's own); its keys are deleted after."""
    require("Redis", "127.0.0.1", 6379)
    import redis

    prefix = f"openpositions_test_{secrets.token_hex(6)}"  # Huey drops "-" from names.
    try:
        yield f"{REDIS_URL}/0", prefix
    finally:
        client = redis.Redis.from_url(f"{REDIS_URL}/0")
        keys = list(client.scan_iter(match=f"*{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
