"""The lanes of the suite: `make test-fast` leaves out every lane, and no test escapes its lane.

A test that starts or reaches a lane's program or server without the lane's marker fails (the
guard in tests/support/lanes.py), so it cannot run unmarked in the fast lane; these tests show
the guard at work, and keep the lane table, the markers and the Makefile in step.
"""

import ast
import re
import shlex
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests.conftest import LANES_BY_PLACE, TESTS_DIR, lanes_of
from tests.support.lanes import LANES, lane_of_address, lane_of_program
from tests.support.paths import PROJECT_DIR


def registered_markers() -> set[str]:
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    markers = pyproject["tool"]["pytest"]["ini_options"]["markers"]
    return {marker.split(":")[0] for marker in markers}


def test_fast_lane_leaves_out_exactly_the_lanes() -> None:
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test-fast:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe, "the Makefile has a test-fast target"
    words = shlex.split(recipe.group(1))
    expression = words[words.index("-m", words.index("pytest")) + 1]
    left_out = re.fullmatch(r"not \((\w+(?: or \w+)*)\)", expression)
    assert left_out, expression
    assert set(left_out.group(1).split(" or ")) == set(LANES)
    assert set(LANES) <= registered_markers()


def test_each_place_in_the_lane_table_is_there_and_names_lanes() -> None:
    for place, lanes in LANES_BY_PLACE.items():
        assert lanes and set(lanes) <= set(LANES), place
        module, _, test = place.partition("::")
        path = TESTS_DIR / module
        assert path.is_dir() if module.endswith("/") else path.is_file(), place
        if test:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            assert test in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def collected(path: str, name: str, database: str | None = None) -> pytest.Item:
    """A stand-in for a collected test at `path` (under tests/), for `lanes_of`."""
    callspec = None if database is None else SimpleNamespace(params={"database": database})
    item = SimpleNamespace(path=TESTS_DIR / path, name=name, callspec=callspec)
    return cast(pytest.Item, item)


@pytest.mark.parametrize(
    ("path", "name", "database", "lanes"),
    [
        (
            "browser/test_accessibility.py",
            "test_axe_finds_no_violation[position-de]",
            None,
            {"browser"},
        ),
        ("browser/test_through_the_edge.py", "test_x", None, {"browser", "nginx", "processes"}),
        ("deploy/test_nginx_rules.py", "test_x[404]", None, {"nginx"}),
        (
            "content/test_loader.py",
            "test_start_on_good_content_succeeds[import-app]",
            None,
            {"processes"},
        ),
        ("content/test_loader.py", "test_shipped_content_is_valid", None, set()),
        ("enquiries/delivery/test_attempts.py", "test_x[postgresql]", "postgresql", {"postgresql"}),
        ("enquiries/delivery/test_attempts.py", "test_x[sqlite]", "sqlite", set()),
    ],
)
def test_a_test_is_in_the_lanes_of_its_place_and_its_database(
    path: str, name: str, database: str | None, lanes: set[str]
) -> None:
    assert lanes_of(collected(path, name, database)) == lanes


@pytest.mark.parametrize(
    ("executable", "args", "lane"),
    [
        (None, [Path(sys.executable).parent / "gunicorn", "app:app"], "processes"),
        (None, [Path(sys.executable).parent / "flask", "queue", "worker"], "processes"),
        (None, [sys.executable, "-c", "import app"], "processes"),
        # The site's own CV check, which every upload runs in a child: part of the fast lane.
        (None, [sys.executable, "-m", "openpositions.enquiries.intake.contained_check"], None),
        (
            None,
            [sys.executable, "-m", "openpositions.enquiries.intake.contained_check", "x"],
            "processes",
        ),
        ("/bin/sh", ["/bin/sh", "-c", "cd /srv && exec gunicorn app:app"], "processes"),
        (None, ["/usr/sbin/nginx", "-t"], "nginx"),
        (None, ["/usr/bin/chromium", "--headless"], "browser"),
        (None, ["/venv/lib/playwright/driver/node", "cli.js", "run-driver"], "browser"),
        (None, ["redis-server", "--port", "6390"], "redis"),
        (None, [Path(sys.executable).parent / "pybabel", "extract"], None),
        (None, ["systemd-analyze", "verify", "x.service"], None),
        (None, "openssl", None),
    ],
)
def test_the_guard_knows_each_lanes_programs(
    executable: str | None, args: object, lane: str | None
) -> None:
    assert lane_of_program(executable, args) == lane


@pytest.mark.parametrize(
    ("address", "lane"),
    [
        (("127.0.0.1", 5432), "postgresql"),
        (("localhost", 6379), "redis"),
        (("::1", 6379, 0, 0), "redis"),
        (("127.0.0.1", 8025), None),
        ("/run/postgresql/.s.PGSQL.5432", None),
    ],
)
def test_the_guard_knows_each_lanes_servers(address: object, lane: str | None) -> None:
    assert lane_of_address(address) == lane


GUARDED = """
import socket
import subprocess
import threading

import pytest


def test_unmarked_starts_gunicorn():
    subprocess.run(["/nowhere/gunicorn", "--version"])


def test_unmarked_connects_to_postgresql():
    socket.create_connection(("127.0.0.1", 5432), timeout=1)


def test_unmarked_connects_to_redis_from_a_thread():
    thread = threading.Thread(target=socket.create_connection, args=(("127.0.0.1", 6379),))
    thread.start()
    thread.join()


@pytest.mark.processes
def test_marked_starts_gunicorn():
    # Let through: it is started, and not found.
    with pytest.raises(FileNotFoundError):
        subprocess.run(["/nowhere/gunicorn", "--version"])


def test_unmarked_runs_a_tool():
    with pytest.raises(FileNotFoundError):
        subprocess.run(["/nowhere/pybabel", "--version"])
"""


def test_a_test_that_reaches_a_lane_unmarked_fails_and_a_marked_one_does_not(
    pytester: pytest.Pytester,
) -> None:
    # No process is started and no server reached: the guard stops each before it happens, and
    # what it lets through is not found.
    markers = "\n".join(f"    {lane}: {description}" for lane, description in LANES.items())
    pytester.makeini(f"[pytest]\nfilterwarnings = error\nmarkers =\n{markers}\n")
    pytester.makepyfile(test_guarded=GUARDED)
    result = pytester.runpytest("-p", "tests.support.lanes", "-p", "no:cacheprovider")
    # The thread's test fails twice: its thread's exception (an error here, as in the suite),
    # and the guard's report at its teardown.
    result.assert_outcomes(passed=2, failed=3, errors=1)
    result.stdout.fnmatch_lines_random(
        [
            "*test_unmarked_starts_gunicorn starts *gunicorn*not marked `processes`*",
            "*test_unmarked_connects_to_postgresql connects to ('127.0.0.1', 5432)*`postgresql`*",
            "*ERROR at teardown of test_unmarked_connects_to_redis_from_a_thread*",
            "*test_unmarked_connects_to_redis_from_a_thread connects to*`redis`*",
        ]
    )
