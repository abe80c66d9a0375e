"""nginx's own rules keep private answers out of the edge cache, whatever the upstream says.

In front of a careless upstream that marks every answer `public, max-age=60`: the shipped
configuration must still never store the form, its confirmation, anything under them, a POST
or an error, and never compress them. (The site itself marks them `no-store`; see
test_cache_headers.py. Either alone keeps them private.)
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.nginx import Nginx, nginx_binary, nginx_folder
from tests.support.processes import ProcessGroup
from tests.support.visitor import Visitor

PRIVATE_PATHS = [
    "/enquiry",
    "/enquiry?position=general",
    "/enquiry/received/some-token",
    "/enquiry/private/link",
    "/de/enquiry",
    "/de/enquiry/received/some-token",
    "/alerts",
    "/alerts?category=postdoc",
    "/de/alerts/confirm/some-token",
    "/alerts/manage/some-token",
]


class CarelessUpstream(BaseHTTPRequestHandler):
    """Answers every request as a public page: status from ?status=, a body that counts.

    The edge keys pages on their path alone, so each test asks for paths of its own.
    """

    answered = 0
    lock = threading.Lock()

    def answer(self) -> None:
        with self.lock:
            CarelessUpstream.answered += 1
            number = CarelessUpstream.answered
        status = int(parse_qs(urlsplit(self.path).query).get("status", ["200"])[0])
        body = f"<!doctype html><p>answer {number}, a secret token {number:08d}</p>".encode()
        body += b" " * 2000  # Long enough for nginx to compress.
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=60")
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # Quiet: pytest shows what matters.


@pytest.fixture(scope="module")
def careless_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visitor]:
    nginx_binary()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), CarelessUpstream)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    folder = tmp_path_factory.mktemp("careless")
    try:
        with nginx_folder() as run, ProcessGroup(folder / "logs") as processes:
            nginx = Nginx(run, upstream=f"127.0.0.1:{upstream.server_port}")
            nginx.start(processes)
            yield Visitor(nginx.base_url, nginx.certificate.client_context())
    finally:
        upstream.shutdown()
        thread.join()
        upstream.server_close()


def test_a_public_answer_is_stored(careless_edge: Visitor) -> None:
    first, second = careless_edge.get("/openpositions"), careless_edge.get("/openpositions")
    assert second.header("X-Cache-Status") == "HIT"
    assert second.body == first.body


@pytest.mark.parametrize("path", PRIVATE_PATHS)
def test_private_paths_are_never_stored_or_compressed(careless_edge: Visitor, path: str) -> None:
    answers = [careless_edge.get(path, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    assert answers[0].body != answers[1].body, "each answer came from the upstream"
    assert [answer.header("X-Cache-Status") for answer in answers] == ["BYPASS", "BYPASS"]
    assert all(answer.header("Content-Encoding") == "" for answer in answers)


@pytest.mark.parametrize("status", [500, 503, 429, 400, 403])
def test_errors_are_never_stored(careless_edge: Visitor, status: int) -> None:
    answers = [
        careless_edge.get(f"/openpositions/error-{status}?status={status}") for _ in range(2)
    ]
    assert [answer.status for answer in answers] == [status, status]
    assert answers[0].body != answers[1].body


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_or_closed_page_is_stored(careless_edge: Visitor, status: int) -> None:
    answers = [careless_edge.get(f"/openpositions/gone-{status}?status={status}") for _ in range(2)]
    assert [answer.header("X-Cache-Status") for answer in answers] == ["MISS", "HIT"]


def test_a_post_is_never_stored_nor_answered_from_the_store(careless_edge: Visitor) -> None:
    stored = careless_edge.get("/openpositions/posted")
    posted = [careless_edge.post("/openpositions/posted", b"a=b", {}) for _ in range(2)]
    assert len({stored.body, posted[0].body, posted[1].body}) == 3
