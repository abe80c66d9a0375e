"""The shipped nginx configuration run for real, for the tests and the benchmarks.

deploy/nginx/openpositions.conf is a site include; this wraps it in a minimal main
configuration of its own, with the names a deployment replaces (server name, ports,
certificate, upstream, folders) replaced by a test's, and starts /usr/sbin/nginx with it.
"""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.paths import PROJECT_DIR
from tests.support.processes import LOG_TAIL_CHARS, Process, ProcessGroup
from tests.support.waiting import wait_until

NGINX = Path("/usr/sbin/nginx")
SHIPPED_CONFIG = PROJECT_DIR / "deploy" / "nginx" / "openpositions.conf"
# The host name the test's nginx answers to and its certificate is for.
HOST = "127.0.0.1"

MAIN_CONFIG = """\
{user}
worker_processes 2;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {run}/access.log;
    client_body_temp_path {run}/temp/body;
    proxy_temp_path {run}/temp/proxy;
    fastcgi_temp_path {run}/temp/fastcgi;
    uwsgi_temp_path {run}/temp/uwsgi;
    scgi_temp_path {run}/temp/scgi;
    include {run}/openpositions.conf;
}}
"""


def nginx_binary() -> Path:
    """Debian's nginx; the test skips where it is absent, or fails when CI requires it."""
    if not NGINX.exists():
        reason = f"nginx is not at {NGINX} (apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; the nginx tests are required in CI")
        pytest.skip(f"{reason}; tests through nginx skipped")
    return NGINX


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for HOST (and localhost), and its key."""

    chain: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A TLS client context that trusts this certificate alone."""
        return ssl.create_default_context(cafile=str(self.chain))


def self_signed_certificate(folder: Path) -> Certificate:
    """Make a certificate with `openssl req`, valid for two days."""
    certificate = Certificate(folder / "fullchain.pem", folder / "privkey.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", f"subjectAltName=DNS:localhost,IP:{HOST}",
            "-keyout", str(certificate.key), "-out", str(certificate.chain),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate


def substituted_config(
    upstream: str, http_port: int, https_port: int, certificate: Certificate, root: Path, run: Path
) -> str:
    """The shipped site include with a deployment's names replaced by this run's."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    replacements = [
        # The certificate paths hold the server name: replaced before it.
        ("/etc/letsencrypt/live/www.example.org/fullchain.pem", str(certificate.chain)),
        ("/etc/letsencrypt/live/www.example.org/privkey.pem", str(certificate.key)),
        ("server_name www.example.org;", f"server_name {HOST};"),
        ("server 127.0.0.1:8000;", f"server {upstream};"),
        ("/srv/openpositions", str(root)),
        ("/var/log/nginx", str(run / "log")),
        ("/var/cache/nginx", str(run / "cache")),
        ("listen 80;", f"listen {HOST}:{http_port};"),
        ("listen 443 ssl http2;", f"listen {HOST}:{https_port} ssl http2;"),
        # Loopback only, and the machine may have no IPv6 at all.
        ("listen [::]:80;", ""),
        ("listen [::]:443 ssl http2;", ""),
    ]
    for old, new in replacements:
        assert old in text, f"{SHIPPED_CONFIG.name} no longer has {old!r}, which tests replace"
        text = text.replace(old, new)
    return text


class Nginx:
    """nginx with the shipped configuration in front of `upstream` (host:port), over TLS.

    Its files (configuration, certificate, logs, cache, temporary uploads) are in a folder of
    its own that nginx's workers can enter: started as root they run as nobody, and pytest's
    tmp_path is in a folder of mode 700.

    `extra_locations`, if given, go into the https server block beside the shipped ones;
    `certificate`, if given, is used instead of a new one (which takes a moment to make).
    """

    def __init__(
        self,
        run: Path,
        upstream: str,
        root: Path | None = None,
        extra_locations: str = "",
        certificate: Certificate | None = None,
    ) -> None:
        self.binary = nginx_binary()
        self.run = run
        self.http_port = free_port()
        self.https_port = free_port()
        for folder in ("log", "cache", "temp"):
            (run / folder).mkdir(parents=True, exist_ok=True)
        self.certificate = certificate or self_signed_certificate(run)
        if root is None:
            root = project_files(run)
        site = substituted_config(
            upstream, self.http_port, self.https_port, self.certificate, root, run
        )
        if extra_locations:
            # Into the https server block, which closes the file: a benchmark's baseline
            # served by the same server as the pages.
            site = site.rstrip().removesuffix("}") + extra_locations + "}\n"
        (run / "openpositions.conf").write_text(site, encoding="utf-8")
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        (run / "nginx.conf").write_text(MAIN_CONFIG.format(user=user, run=run), encoding="utf-8")

    @property
    def base_url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    def command(self, *options: str) -> list[str | Path]:
        return [self.binary, "-p", str(self.run), "-c", str(self.run / "nginx.conf"), *options]

    def test_config(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t`: the configuration checked, and what nginx said."""
        return subprocess.run(
            self.command("-t", "-e", str(self.run / "error.log")), capture_output=True, text=True
        )

    def start(self, processes: ProcessGroup) -> Process:
        """Run it in the foreground among the test's processes; wait until it takes TLS."""
        command = self.command("-e", str(self.run / "error.log"), "-g", "daemon off;")
        process = processes.start("nginx", command, os.environ)
        context = self.certificate.client_context()

        def handshakes() -> bool:
            """nginx completes a TLS handshake (or has exited)"""
            return process.exited() or tls_handshake(self.https_port, context)

        wait_until(handshakes, timeout=20)
        if process.exited():
            pytest.fail(f"nginx exited with {process.popen.returncode}:\n{self.error_log()}")
        return process

    def cached_files(self) -> list[Path]:
        """The files of the edge cache: one per stored answer."""
        return [path for path in (self.run / "cache").rglob("*") if path.is_file()]

    def error_log(self) -> str:
        logs = [self.run / "error.log", self.run / "log" / "openpositions.error.log"]
        text = "".join(path.read_text(errors="replace") for path in logs if path.exists())
        return text[-LOG_TAIL_CHARS:]


def project_files(run: Path) -> Path:
    """A copy of the project's static/ in the run folder, as /srv/openpositions: nginx's
    workers (nobody) may not enter the checkout itself, say a clone in a folder of mode 700."""
    root = run / "root"
    shutil.copytree(PROJECT_DIR / "static", root / "static", dirs_exist_ok=True)
    return root


def tls_handshake(port: int, context: ssl.SSLContext) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as raw:
            with context.wrap_socket(raw, server_hostname=HOST):
                return True
    except OSError:
        return False


@contextmanager
def nginx_folder() -> Iterator[Path]:
    """A folder for one nginx run that its workers (nobody, when started as root) can enter."""
    folder = Path(tempfile.mkdtemp(prefix="openpositions-nginx-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
