"""The site as deployed: gunicorn with gunicorn.conf.py on a copy of the content, and the
shipped nginx in front of it over TLS, for the tests that go through the edge."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.content import copy_content
from tests.support.nginx import (
    Certificate,
    Nginx,
    nginx_binary,
    nginx_folder,
    self_signed_certificate,
)
from tests.support.processes import (
    Process,
    ProcessGroup,
    environment,
    site_files,
    upgrade_database,
)
from tests.support.visitor import Visitor

PROFESSOR = "professor@rsim.example.org"
# A public address to tell the site (SITE_URL), for tests of links in mails, which they open
# through the edge (Edge.address_of). Without it, the site makes its links from the request.
SITE_URL = "https://www.example.org"


@dataclass
class Edge:
    """gunicorn serving the site on a content copy, and the shipped nginx in front of it."""

    nginx: Nginx
    web: Process
    content_dir: Path

    def visitor(self) -> Visitor:
        """A new visitor of the site through nginx, with cookies of its own."""
        return Visitor(self.nginx.base_url, self.nginx.certificate.client_context())

    def address_of(self, link: str) -> str:
        """A link the site made (in a mail, say) as this edge answers it."""
        parts = urlsplit(link)
        return self.nginx.base_url + parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class DeployedSite:
    """gunicorn serving the site on a content copy, for one nginx after another to front."""

    web: Process
    upstream: str  # host:port
    content_dir: Path
    certificate: Certificate


def site_settings(folder: Path, smtp_port: int, content_dir: Path) -> dict[str, object]:
    return {
        "SECRET_KEY": "nginx-edge-test",
        **site_files(folder),
        "CONTENT_DIR": str(content_dir),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_DEFAULT_SENDER": "RSiM open positions <positions@rsim.example.org>",
        "ENQUIRY_RECIPIENT": PROFESSOR,
        # As production behind nginx: one trusted proxy, HTTPS, the security headers that are
        # the same on every answer added by nginx. The form's token and its HTTPS referrer
        # check stay on; only the minimum time to fill it is off.
        "TRUSTED_PROXIES": 1,
        "HTTPS": True,
        "EDGE_ADDS_SECURITY_HEADERS": True,
        "ENQUIRY_MIN_SECONDS": 0,
    }


@contextmanager
def site_as_deployed(folder: Path, smtp_port: int, **settings: object) -> Iterator[DeployedSite]:
    """gunicorn with gunicorn.conf.py on a copy of the content, without nginx yet."""
    nginx_binary()  # Skip (or fail under CI) before starting anything.
    content_dir = copy_content(folder)
    env = environment({**site_settings(folder, smtp_port, content_dir), **settings})
    upgrade_database(env)
    with nginx_folder() as shared, ProcessGroup(folder / "logs") as processes:
        web, site_url = processes.gunicorn_as_deployed(env, workers=2)
        # One certificate for every nginx in front of this site: each would take a moment.
        certificate = self_signed_certificate(shared)
        yield DeployedSite(web, site_url.removeprefix("http://"), content_dir, certificate)


@contextmanager
def edge_in_front_of(site: DeployedSite) -> Iterator[Edge]:
    """A new nginx in front of a running site, its edge cache empty."""
    with nginx_folder() as run, ProcessGroup(run / "processes") as processes:
        nginx = Nginx(run, upstream=site.upstream, certificate=site.certificate)
        nginx.start(processes)
        yield Edge(nginx, site.web, site.content_dir)


@contextmanager
def edge_in_front_of_site(folder: Path, smtp_port: int, **settings: object) -> Iterator[Edge]:
    """gunicorn as deployed with the shipped nginx in front of it, both for this one use."""
    with site_as_deployed(folder, smtp_port, **settings) as site, edge_in_front_of(site) as edge:
        yield edge
