"""What the benchmarks need: signals, free ports, settings, processes, an SMTP sink, the machine."""

import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from importlib.metadata import version
from pathlib import Path
from typing import Any, NoReturn

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The benchmarks share the tests' helpers (tests.support); after bench/, so its modules come first.
if str(PROJECT_DIR) not in sys.path:
    sys.path.append(str(PROJECT_DIR))
# The venv that runs this script also holds gunicorn and flask.
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = PROJECT_DIR / "gunicorn.conf.py"
Popen = subprocess.Popen[bytes]


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
        # As deployed: one public address, so every instance serves the same bytes (left empty,
        # pages name the host and port they were asked on). Never requested.
        "SITE_URL": "https://positions.example.org",
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


class _Signals:
    """SIGINT and SIGTERM as the benchmarks handle them (see `stop_cleanly_on_sigterm`)."""

    shield_depth = 0  # > 0 while a clean-up step runs
    deferred: list[int] = []  # signals that arrived during a clean-up step


def _interrupt(signum: int) -> NoReturn:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(128 + signum)


def _on_signal(signum: int, frame: object) -> None:
    if _Signals.shield_depth:
        if not _Signals.deferred:
            print(f"\n  (signal {signum}: finishing the clean-up first)", file=sys.stderr)
        _Signals.deferred.append(signum)
        return
    _interrupt(signum)


def run_main(main: Callable[[], int]) -> NoReturn:
    """Exit with `main()`'s status; after Ctrl-C or SIGTERM, say that the clean-up was done."""
    stop_cleanly_on_sigterm()
    try:
        status = main()
    except KeyboardInterrupt:
        print("\nInterrupted; everything the benchmark started was stopped and removed.")
        status = 128 + signal.SIGINT
    except SystemExit as stopped:
        if stopped.code == 128 + signal.SIGTERM:
            print("\nTerminated; everything the benchmark started was stopped and removed.")
        raise
    sys.exit(status)


def stop_cleanly_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C, so that servers stop and temporary files, databases and
    Redis keys go; a signal that arrives during a clean-up step acts once that step is done."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


@contextmanager
def shielded() -> Iterator[None]:
    """Run a clean-up step that SIGINT and SIGTERM do not cut short (they act after it)."""
    _Signals.shield_depth += 1
    try:
        yield
    finally:
        _Signals.shield_depth -= 1
        if _Signals.shield_depth == 0 and _Signals.deferred:
            signum = _Signals.deferred[0]
            _Signals.deferred.clear()
            _interrupt(signum)


@contextmanager
def temporary_folder(prefix: str) -> Iterator[Path]:
    """A new temporary folder, removed on exit whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        with shielded():
            shutil.rmtree(path, ignore_errors=True)


def http_get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET (error statuses included, no exception)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Server:
    process: Popen
    url: str
    log: Path
    stop_seconds: float = 0.0


@contextmanager
def background(command: list[str], env: Mapping[str, str], log: Path) -> Iterator[Popen]:
    """Run `command` in the project folder, output to `log`; stop it (and its children) on exit."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Its own process group: a last-resort kill reaches children.
        )
    try:
        yield process
    finally:
        with shielded():
            stop(process)


@contextmanager
def gunicorn(
    app: str, env: Mapping[str, str], log: Path, workers: int = 2, extra: tuple[str, ...] = ()
) -> Iterator[Server]:
    """Serve `app` with gunicorn on a free loopback port; stop it (and its workers) on exit.

    The project's gunicorn.conf.py is used, as deployed (access log, hooks, timeouts); the
    command line sets the port and the worker count.
    """
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "--bind", f"127.0.0.1:{port}"]
    if GUNICORN_CONF.exists():
        command += ["--config", str(GUNICORN_CONF)]
    # gunicorn 27 otherwise opens a control socket at ~/.gunicorn/gunicorn.ctl, one path shared
    # by every gunicorn of the user: outside the temporary folder, and contested.
    command.append("--no-control-socket")
    command += ["--chdir", str(PROJECT_DIR), *extra, app]
    with background(command, env, log) as process:
        server = Server(process, f"http://127.0.0.1:{port}", log)
        wait_until_answers(server)
        try:
            yield server
        finally:
            stop_requested = time.monotonic()
    server.stop_seconds = time.monotonic() - stop_requested


def flask_command(env: Mapping[str, str], *args: str, timeout: float = 120) -> str:
    """Run `flask --app app ARGS` in the project with `env`; its standard output."""
    command = [str(VENV_BIN / "flask"), "--app", "app", *args]
    done = subprocess.run(
        command, cwd=PROJECT_DIR, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


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


def stop(process: Popen, timeout: float = 20) -> None:
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
