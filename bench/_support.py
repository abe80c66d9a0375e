"""What both benchmarks need: free ports, settings, gunicorn, an SMTP sink, the machine."""

import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from importlib.metadata import version
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The venv that runs this script also holds gunicorn and flask.
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_settings(tmp: Path) -> dict[str, Any]:
    """Settings that keep everything the app writes inside the temporary folder `tmp`."""
    return {
        "SECRET_KEY": "bench-" + os.urandom(16).hex(),  # The prefix keeps it from parsing as JSON.
        "INSTANCE_PATH": str(tmp / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'enquiries.sqlite3'}",
        "QUEUE_URL": f"sqlite:///{tmp / 'queue.sqlite3'}",
    }


def app_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """The environment that hands `settings` to the app as FLASK_<NAME> variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLASK_")  # Nothing from the caller's shell leaks in.
    }
    for name, value in settings.items():
        env[f"FLASK_{name}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def stop_cleanly_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C, so servers stop and temporary files go."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def http_get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET (error statuses included, no exception)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    stop_seconds: float = 0.0


@contextmanager
def gunicorn(
    app: str, env: Mapping[str, str], log: Path, workers: int = 2, extra: tuple[str, ...] = ()
) -> Iterator[Server]:
    """Serve `app` with gunicorn on a free loopback port; stop it (and its workers) on exit."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "--bind", f"127.0.0.1:{port}"]
    # gunicorn 27 otherwise opens a control socket at ~/.gunicorn/gunicorn.ctl, one path shared
    # by every gunicorn of the user: outside the temporary folder, and contested.
    command.append("--no-control-socket")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--chdir", str(PROJECT_DIR), *extra, app],
            cwd=PROJECT_DIR,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Its own process group: a last-resort kill reaches workers.
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_answers(server)
        yield server
    finally:
        started = time.monotonic()
        stop(process)
        server.stop_seconds = time.monotonic() - started


def wait_until_answers(server: Server, path: str = "/openpositions", timeout: float = 30) -> None:
    """Return once the server answers 200 at `path`; raise if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.1)):
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{tail(server.log)}")
        try:
            if http_get(server.url + path, timeout=2)[0] == 200:
                return
        except OSError:
            pass  # Not listening yet.
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout}s:\n{tail(server.log)}")


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, the graceful way; SIGKILL to the process group if that does not end it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            print(f"  ! process {process.pid} ignored SIGTERM for {timeout}s; killing it")
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=timeout)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Arrival:
    at: float  # time.monotonic() when the message was accepted
    rcpt_tos: list[str]
    message_id: str


@dataclass
class SmtpSink:
    """An aiosmtpd handler that keeps who each message was for; `delay` holds every answer."""

    port: int = 0
    delay: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = BytesHeaderParser().parsebytes(envelope.original_content or b"")
        arrival = Arrival(time.monotonic(), list(envelope.rcpt_tos), headers["Message-ID"] or "")
        with self.changed:
            self.arrivals.append(arrival)
            self.changed.notify_all()
        return "250 OK"

    def count(self) -> int:
        with self.changed:
            return len(self.arrivals)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until `count` messages have arrived in all; False if the time ran out."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.arrivals) >= count, timeout)

    def clear(self) -> None:
        with self.changed:
            self.arrivals.clear()


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free loopback port, in this process's background thread."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value at or above `fraction` of all."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def print_machine(*packages: str) -> None:
    """Cores, CPU model, load and the versions that shape the figures."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} cores, {model}; load average {load}")
    print(f"Python {platform.python_version()} on {platform.platform()}")
    print("Versions: " + ", ".join(f"{name} {version(name)}" for name in packages))


def print_load() -> None:
    """The load average, which says how much other work shared the cores during the run."""
    one, five, _ = os.getloadavg()
    busy = " (above the core count: other work competed, figures are noisy)"
    print(f"Load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores", end="")
    print(busy if five > (os.cpu_count() or 1) else "")
