"""The site as deployed: gunicorn with gunicorn.conf.py on a copy of the content, and the
shipped nginx in front of it over TLS, for the tests that go through the edge."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.content import copy_content
from tests.support.nginx import Nginx, nginx_binary, nginx_folder
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


def site_settings(folder: Path, smtp_port: int, content_dir: Path) -> dict[str, object]:
    return {
        "SECRET_KEY": "nginx-edge-test",
        **site_files(folder),
        "CONTENT_DIR": str(content_dir),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_DEFAULT_SENDER": "RSiM open positions <positions@rsim.example.org>",
        "ENQUIRY_RECIPIENT": PROFESSOR,
        # As production behind nginx: one trusted proxy, HTTPS. The form's token and its
        # HTTPS referrer check stay on; only the minimum time to fill it is off.
        "TRUSTED_PROXIES": 1,
        "HTTPS": True,
        "ENQUIRY_MIN_SECONDS": 0,
    }


@contextmanager
def edge_in_front_of_site(folder: Path, smtp_port: int, **settings: object) -> Iterator[Edge]:
    nginx_binary()  # Skip (or fail under CI) before starting anything.
    content_dir = copy_content(folder)
    env = environment({**site_settings(folder, smtp_port, content_dir), **settings})
    upgrade_database(env)
    with nginx_folder() as run, ProcessGroup(folder / "logs") as processes:
        web, site_url = processes.gunicorn_as_deployed(env, workers=2)
        nginx = Nginx(run, upstream=site_url.removeprefix("http://"))
        nginx.start(processes)
        yield Edge(nginx, web, content_dir)
