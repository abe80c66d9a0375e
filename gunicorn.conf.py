"""Gunicorn settings for serving the site: `gunicorn -c gunicorn.conf.py app:app`."""

import multiprocessing
import os
import re
from collections.abc import MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger
from gunicorn.http import Request
from gunicorn.http.wsgi import Response
from gunicorn.workers.base import Worker

if TYPE_CHECKING:
    from gunicorn.glogging import _AtomsDict  # Only in the type stubs (types-gunicorn).

# Loopback only: nginx in front terminates TLS, buffers slow clients and serves /static/.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Requests do little work (mail goes through the queue), so a silent worker is a stuck one.
timeout = 30
# Shorter than systemd's TimeoutStopSec, so requests under way finish before anything is killed.
graceful_timeout = 20
# Only used by threaded workers; sync workers close each connection, nginx keeps the clients'.
keepalive = 5
proc_name = "openpositions"
# Each worker is replaced after about a thousand requests (one at a time, never all at once):
# memory a hostile upload or a leak left behind is given back, whatever the allocator keeps.
max_requests = 1000
max_requests_jitter = 200

accesslog = "-"
errorlog = "-"
# The response's request id, to find the site's own log lines for a request.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)

# Gunicorn 25+ otherwise opens a control socket under $HOME, shared by every instance of the user.
control_socket_disable = True

# X-Forwarded-* are believed by the site's ProxyFix alone (FLASK_TRUSTED_PROXIES), not here too:
# gunicorn would otherwise trust them from loopback or any Unix-socket peer.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}


HEALTH_CHECKS = frozenset({"/healthz", "/readyz"})
# The key in an applicant's private link, a confirmation's address or a job alert's confirm and
# manage addresses (see the nginx sample):
# the log keeps the page, with the key written *.
PRIVATE_KEY = re.compile(
    r"(/(?:de/)?(?:enquiry/(?:yours|received)|alerts/(?:confirm|manage|unsubscribe))/)[^/?\s\"]+"
)


class SiteAccessLogger(Logger):
    """Gunicorn's logger, without health checks' lines and without the keys in addresses."""

    def access(
        self,
        resp: Response,
        req: Request,
        environ: MutableMapping[str, Any],
        request_time: timedelta,
    ) -> None:
        # Polled every few seconds, they would drown the visitors' requests; a failing /readyz
        # logs its reason through the site's own log.
        if req.method in ("GET", "HEAD") and req.path in HEALTH_CHECKS:
            return
        super().access(resp, req, environ, request_time)

    def atoms(
        self,
        resp: Response,
        req: Request,
        environ: MutableMapping[str, Any],
        request_time: timedelta,
    ) -> "_AtomsDict":
        # The request line, path and Referer, and any other field that holds an address.
        atoms = super().atoms(resp, req, environ, request_time)
        # The stubs' TypedDict lists the fixed atoms only; gunicorn adds a key for each request
        # and response header and environ variable, so a dict built from its items is not one.
        return {  # type: ignore[return-value]
            name: PRIVATE_KEY.sub(r"\1*", value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }


logger_class = SiteAccessLogger


def on_starting(server: Arbiter) -> None:
    # Without it, absolute links come from each request's forwarded host: right behind the
    # shipped nginx, which sets that itself, but the receipt then has no private link.
    if not os.environ.get("FLASK_SITE_URL") and server.log is not None:
        server.log.warning(
            "FLASK_SITE_URL is not set: set it to the address visitors use "
            "(https://www.example.org); mails, the feed and the sitemap link to it, and the "
            "applicant's receipt has its private link only with it"
        )


def worker_exit(server: Arbiter, worker: Worker) -> None:
    # The queue's threads are daemons: stop them here, letting a mail being sent finish, or it
    # is cut off and sent again later. The app is the one this worker loaded (none if it failed
    # to boot, or in the master): importing app.py here could create a second one.
    try:
        from openpositions.queue import queue_of

        app = getattr(worker, "wsgi", None)
        if app is not None:
            queue_of(app).stop_in_process()
    except Exception:  # Nothing may stop the worker from exiting.
        if server.log is not None:  # Set by the arbiter before any worker starts.
            server.log.warning("Could not stop the delivery queue", exc_info=True)
