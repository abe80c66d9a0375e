"""Real processes for the production tests: gunicorn instances, queue workers, a private Redis."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.net import free_port
from tests.support.paths import PROJECT_DIR
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent
LOG_TAIL_CHARS = 3000


def site_files(folder: Path) -> dict[str, str]:
    """Settings that keep a served site's files in `folder`: instance, database and queue."""
    return {
        "INSTANCE_PATH": str(folder / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'site.sqlite3'}",
        "QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite3'}",
    }


def environment(settings: Mapping[str, object]) -> dict[str, str]:
    """The environment that gives a `flask` or `gunicorn` process these settings."""
    env = dict(os.environ)
    for name, value in settings.items():
        # Read back as JSON where they parse (numbers, booleans); other text stays text.
        env[f"FLASK_{name}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def upgrade_database(env: Mapping[str, str]) -> None:
    """Create the tables with `flask db upgrade`, as a deployment does before it serves."""
    done = subprocess.run(
        [BIN / "flask", "--app", "app", "db", "upgrade"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"flask db upgrade failed:\n{done.stderr[-LOG_TAIL_CHARS:]}")


def answers(url: str) -> bool:
    """Whether a GET of the URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status == 200
    except OSError:  # Refused, reset, an error status, or timed out while still starting.
        return False


class ProcessGroup:
    """The processes started for one test, each logging to its own file; all stopped on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.started: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> "ProcessGroup":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stop_all(self.started)

    def start(self, name: str, command: list[str | Path], env: Mapping[str, str]) -> "Process":
        """Start a command in the project folder, its output going to <name>.log."""
        log_path = self.log_dir / f"{name}.log"
        # The child keeps its own copy of the file descriptor; ours is closed at once.
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started.append(popen)
        return Process(name, popen, log_path)

    def gunicorn_instances(self, env: Mapping[str, str], count: int, workers: int = 2) -> list[str]:
        """Start `count` gunicorn instances on their own loopback ports; their base URLs."""
        instances = []
        for number in range(1, count + 1):
            port = free_port()
            command: list[str | Path] = [
                BIN / "gunicorn",
                "--no-control-socket",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "app:app",
            ]
            instance = self.start(f"gunicorn-{number}", command, env)
            instances.append((instance, f"http://127.0.0.1:{port}"))
        # Started together, then awaited: they boot in parallel.
        for instance, base_url in instances:
            wait_serving(instance, base_url)
        return [base_url for _, base_url in instances]

    def gunicorn_as_deployed(
        self, env: Mapping[str, str], workers: int = 2, app: str = "app:app", name: str = "web"
    ) -> tuple["Process", str]:
        """`gunicorn -c gunicorn.conf.py APP` as the systemd unit runs it, on a free port.

        The process and its base URL, once it answers /healthz.
        """
        port = free_port()
        deployed = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
        command: list[str | Path] = [BIN / "gunicorn", "-c", "gunicorn.conf.py", app]
        instance = self.start(name, command, deployed)
        base_url = f"http://127.0.0.1:{port}"
        wait_serving(instance, base_url)
        return instance, base_url

    def queue_worker(self, env: Mapping[str, str], name: str = "worker") -> "Process":
        """Start a separate `flask queue worker` that delivers what the site queued."""
        return self.start(name, [BIN / "flask", "--app", "app", "queue", "worker"], env)


class Process:
    """One started process, its name and its log."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log_path: Path) -> None:
        self.name = name
        self.popen = popen
        self.log_path = log_path

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def log(self) -> str:
        """The end of what the process wrote, for a failing test's message."""
        return self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]

    def require_running(self) -> None:
        """Fail the test, showing its log, if the process has exited."""
        if self.exited():
            pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, whatever it was doing."""
        self.popen.kill()
        self.popen.wait(timeout=10)

    def terminate(self, timeout: float = 10) -> int:
        """SIGTERM, then wait for the process to exit; its exit code."""
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)


def wait_serving(instance: Process, base_url: str) -> None:
    """Wait until a gunicorn instance answers /healthz; fail, showing its log, if it exits."""

    def serving() -> bool:
        """the gunicorn instance answers /healthz (or has exited)"""
        return instance.exited() or answers(f"{base_url}/healthz")

    wait_until(serving, timeout=60, interval=0.1)
    instance.require_running()


def stop_all(processes: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM to each, all at once (they stop in parallel); SIGKILL to any left after that."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_server_binary() -> str:
    """The redis-server binary; the test skips where it is absent, or fails when CI requires it."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it")
        pytest.skip(f"{reason}; tests that stop and restart Redis are skipped")
    return binary


class PrivateRedis:
    """A redis-server of the test's own on a loopback port, which the test may stop and start."""

    def __init__(self, processes: ProcessGroup) -> None:
        self.binary = redis_server_binary()
        self.processes = processes
        self.port = free_port()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again) on its port, empty, and wait until it answers PING."""
        command: list[str | Path] = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = self.processes.start("redis", command, os.environ)

        def pong() -> bool:
            """the private redis-server answers PING (or has exited)"""
            return self.process is None or self.process.exited() or self.answers_ping()

        wait_until(pong, timeout=20)
        self.process.require_running()

    def stop(self) -> None:
        """SIGTERM, and wait until it has exited."""
        assert self.process is not None
        self.process.terminate()

    def answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False
