"""The lanes of the suite: what a test needs beyond Python, and a guard that holds it to that.

`make test` runs every test. `make test-fast` leaves out each test marked with one of LANES.
tests/conftest.py marks the tests (LANES_BY_PLACE, and the PostgreSQL run of the `database`
fixture). While a test runs, this guard watches (a `sys.addaudithook` hook) what it starts and
connects to: a test that starts gunicorn, nginx, Chromium or redis-server, or connects to the
PostgreSQL or Redis server, without carrying that lane's marker fails, in every lane. So a test
cannot slip into the fast lane by being left unmarked: it fails there, and in `make test` too.
"""

import os
import shlex
import socket
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.services import POSTGRES_URL, REDIS_URL

# The markers of the lanes, registered in pyproject.toml; `make test-fast` runs none of them.
LANES = {
    "browser": "Chromium, driven by Playwright or run to print a page",
    "nginx": "the real nginx with the shipped configuration",
    "postgresql": "the PostgreSQL server (TEST_POSTGRES_URL, 127.0.0.1:5432)",
    "redis": "a Redis server: the machine's (TEST_REDIS_URL, 127.0.0.1:6379) or the test's own",
    "processes": "the site's programs in processes of their own: gunicorn, flask, python",
}

# The programs of each lane, by the name of the file started.
PROGRAMS = {
    "gunicorn": "processes",
    "flask": "processes",
    "nginx": "nginx",
    "chromium": "browser",
    "redis-server": "redis",
}
# Playwright drives Chromium from a Node.js program of its own, in this folder.
PLAYWRIGHT_DRIVER = "/playwright/driver/"
# A shell's `-c` script is read for the programs it starts.
SHELLS = {"sh", "bash", "dash"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _server(url: str) -> tuple[str, int]:
    address = urlsplit(url)
    return address.hostname or "", address.port or 0


# The servers of each lane, by (host, port).
SERVERS = {_server(POSTGRES_URL): "postgresql", _server(REDIS_URL): "redis"}


def _word(word: object) -> str:
    return os.fsdecode(word) if isinstance(word, str | bytes | os.PathLike) else str(word)


def _words(args: object) -> list[str]:
    # Whatever Popen was given: an error here would stop the process from starting at all.
    if isinstance(args, str | bytes | os.PathLike):
        return [_word(args)]
    if isinstance(args, Sequence):
        return [_word(word) for word in args]
    return []


def lane_of_command(command: str) -> str | None:
    """The lane of one program, by its path, or None."""
    name = Path(command).name
    if name in PROGRAMS:
        return PROGRAMS[name]
    if PLAYWRIGHT_DRIVER in command:
        return "browser"
    if name.startswith("python") or command == sys.executable:
        return "processes"
    return None


# The site's own check of an uploaded CV, which each upload runs in a child process of its own
# (openpositions/enquiries/intake/contained_check.py): part of taking in a form, needing no server.
CV_CHECK = ["-m", "openpositions.enquiries.intake.contained_check"]


def lane_of_program(executable: object, args: object) -> str | None:
    """The lane of what subprocess.Popen is about to start (a shell's commands too), or None."""
    words = _words(args)
    if words[1:] == CV_CHECK:
        return None
    command = _word(executable) if executable is not None else (words or [""])[0]
    if Path(command).name in SHELLS and "-c" in words[:-1]:
        script = words[words.index("-c") + 1]
        try:
            commands = shlex.split(script)
        except ValueError:  # Unbalanced quotes: its words, roughly.
            commands = script.split()
        return next(filter(None, map(lane_of_command, commands)), None)
    return lane_of_command(command)


def lane_of_address(address: object) -> str | None:
    """The lane of the server a socket is about to connect to, or None."""
    if not isinstance(address, tuple) or len(address) < 2:
        return None
    host, port = address[0], address[1]
    for (server_host, server_port), lane in SERVERS.items():
        if port == server_port and (host == server_host or host in LOOPBACK):
            return lane
    return None


def lane_of_event(event: str, args: tuple[object, ...]) -> tuple[str, str] | None:
    """(lane, what) for an audit event that belongs to a lane; None for any other event."""
    if event == "subprocess.Popen":
        executable, command = args[0], args[1]
        lane = lane_of_program(executable, command)
        return None if lane is None else (lane, f"starts {command!r}")
    if event == "socket.connect":
        lane = lane_of_address(args[1])
        return None if lane is None else (lane, f"connects to {args[1]!r}")
    return None


# The tests running now, innermost last (a test may run a pytest session of its own).
_running: list[pytest.Item] = []
_violations: dict[str, list[str]] = {}


def _carries(item: pytest.Item, lane: str) -> bool:
    return item.get_closest_marker(lane) is not None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _running or (event != "subprocess.Popen" and event != "socket.connect"):
        return
    found = lane_of_event(event, args)
    if found is None:
        return
    lane, what = found
    item = _running[-1]
    if _carries(item, lane):
        return
    message = (
        f"{item.nodeid} {what}, which is {LANES[lane]}, but is not marked `{lane}`: add it to "
        "LANES_BY_PLACE in tests/conftest.py, so that `make test-fast` leaves the test out"
    )
    if threading.current_thread() is not threading.main_thread():
        # A thread's exception may go unseen: the test fails at its teardown instead.
        _violations.setdefault(item.nodeid, []).append(message)
    if event == "socket.connect" and isinstance(args[0], socket.socket):
        args[0].close()  # Not connected, and not left open: socket.create_connection would.
    pytest.fail(message, pytrace=False)


_installed: list[Callable[[str, tuple[object, ...]], None]] = []


def pytest_configure(config: pytest.Config) -> None:
    # An audit hook cannot be removed: one for the process, whatever sessions run in it.
    if not _installed:
        sys.addaudithook(_audit)
        _installed.append(_audit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(trylast=True)  # After the fixtures' teardown, which a failure here would skip.
def pytest_runtest_teardown(item: pytest.Item) -> None:
    violations = _violations.pop(item.nodeid, [])
    if violations:
        pytest.fail("\n".join(violations), pytrace=False)
