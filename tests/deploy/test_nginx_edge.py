"""The shipped nginx configuration, run for real over TLS in front of gunicorn as deployed.

nginx and gunicorn are the real programs with the project's own files
(deploy/nginx/openpositions.conf, gunicorn.conf.py); only the names a deployment replaces are
replaced (see tests/support/nginx.py). Skipped where nginx is absent; required when CI=true.
"""

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app import make_app
from tests.support.content import SEED_FILE, SEED_SLUG, replace_in
from tests.support.edge import (
    PROFESSOR,
    DeployedSite,
    Edge,
    edge_in_front_of,
    edge_in_front_of_site,
    site_as_deployed,
)
from tests.support.forms import REFERENCE, VALID_ENQUIRY, multipart
from tests.support.html import Page
from tests.support.paths import PROJECT_DIR
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink
from tests.support.visitor import Answer, Visitor
from tests.support.waiting import wait_until

SEED_TITLE = "PhD candidates in Deep Learning for Satellite Image Analysis"
SEED_PAGE = f"/openpositions/{SEED_SLUG}"
PUBLIC_PAGES = [
    "/openpositions",
    SEED_PAGE,
    "/openpositions.atom",
    "/privacy",
    "/de/openpositions",
    f"/de{SEED_PAGE}",
    "/de/impressum",
    "/sitemap.xml",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpSink) -> Iterator[DeployedSite]:
    with site_as_deployed(tmp_path_factory.mktemp("edge"), smtp_server.port) as running:
        yield running


@pytest.fixture
def edge(site: DeployedSite) -> Iterator[Edge]:
    # A new nginx for each test, its cache empty: a test's first request of a page is a miss,
    # whatever the tests before it asked for.
    with edge_in_front_of(site) as running:
        yield running


def form_fields(form_page: Answer) -> dict[str, str]:
    """The hidden fields of the enquiry form (its token and when it was shown)."""
    hidden = [field for field in Page(form_page.text).all("input") if field.get("type") == "hidden"]
    return {field["name"]: field.get("value", "") for field in hidden}


def test_nginx_accepts_the_shipped_configuration(edge: Edge) -> None:
    checked = edge.nginx.test_config()
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_is_answered_from_the_edge_the_second_time(edge: Edge, path: str) -> None:
    visitor = edge.visitor()
    first = visitor.get(path)
    second = visitor.get(path)
    assert (first.status, second.status) == (200, 200)
    assert first.header("X-Cache-Status") == "MISS"
    assert second.header("X-Cache-Status") == "HIT"
    assert second.body == first.body
    assert second.header("ETag") == first.header("ETag")
    # The answer gunicorn made has its request's id; one from the store has none (its request
    # never reached the site), not the stored one's.
    assert first.header("X-Request-ID")
    assert second.header("X-Request-ID") == ""
    # Another visitor gets the stored copy as well.
    assert edge.visitor().get(path).header("X-Cache-Status") == "HIT"


def test_one_copy_per_address_whatever_language_the_visitor_asks_for(edge: Edge) -> None:
    german_browser = edge.visitor().get(
        "/openpositions", headers={"Accept-Language": "de", "Cookie": "lang=de"}
    )
    assert german_browser.header("X-Cache-Status") == "MISS"
    assert '<html lang="en">' in german_browser.text, "the address decides, not the browser"
    english_browser = edge.visitor().get("/openpositions", headers={"Accept-Language": "en"})
    assert english_browser.header("X-Cache-Status") == "HIT"
    assert english_browser.body == german_browser.body
    assert "Accept-Language" not in english_browser.header("Vary")
    german = edge.visitor().get("/de/openpositions")
    assert '<html lang="de">' in german.text


# Query strings that people and scripts add to a page's address, which the page does not read.
UNREAD_QUERIES = ["utm_source=newsletter", "visit=1", "utm_source=x&utm_medium=y&fbclid=z"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_page_is_stored_once_whatever_its_query_string(edge: Edge, path: str) -> None:
    visitor = edge.visitor()
    answers = [visitor.get(f"{path}?{query}") for query in UNREAD_QUERIES] + [visitor.get(path)]
    assert [answer.header("X-Cache-Status") for answer in answers] == ["MISS", "HIT", "HIT", "HIT"]
    assert len({answer.body for answer in answers}) == 1
    assert len(edge.nginx.cached_files()) == 1


def test_no_query_string_or_spelling_of_the_path_gets_past_the_stored_copy(edge: Edge) -> None:
    # A script that makes each address new would otherwise reach gunicorn with every request,
    # and fill the edge cache with copies of one page.
    visitor = edge.visitor()
    stored = visitor.get("/privacy?bypass=first")
    tries = [visitor.get(f"/privacy?bypass={number}") for number in range(20)]
    tries += [visitor.get(path) for path in ("/priv%61cy?bypass=a", "/%70rivacy", "/privacy?")]
    assert stored.header("X-Cache-Status") == "MISS"
    assert {answer.header("X-Cache-Status") for answer in tries} == {"HIT"}
    assert {answer.body for answer in tries} == {stored.body}
    wait_until(lambda: "GET /privacy?bypass=first " in edge.web.log_path.read_text())
    asked_of_gunicorn = [
        line for line in edge.web.log_path.read_text().splitlines() if "bypass" in line
    ]
    assert len(asked_of_gunicorn) == 1, asked_of_gunicorn
    assert len(edge.nginx.cached_files()) == 1


def test_pages_that_read_their_query_string_are_asked_of_the_site_each_time(edge: Edge) -> None:
    # The form preselects the position it was linked for, and the old language switch goes
    # where `next` says: neither is ever stored, so each query string gets its own answer.
    visitor = edge.visitor()
    for position in (SEED_SLUG, "general", SEED_SLUG):
        form = visitor.get(f"/enquiry?position={position}")
        assert form.header("X-Cache-Status") == "BYPASS"
        options = Page(form.text).all("option")
        chosen = [option["value"] for option in options if "selected" in option]
        assert chosen == [position]
    for page, in_german in [("/privacy", "/de/privacy"), ("/legal-notice", "/de/impressum")]:
        switched = visitor.get(f"/language/de?next={page}", follow=False)
        assert switched.status == 301
        assert switched.header("X-Cache-Status") == "MISS"
        assert switched.header("Location").endswith(in_german)
    assert edge.nginx.cached_files() == []


def test_the_home_address_redirects_from_the_edge(edge: Edge) -> None:
    visitor = edge.visitor()
    first = visitor.get("/", follow=False)
    moved = visitor.get("/", follow=False)
    assert first.header("X-Cache-Status") == "MISS"
    assert moved.status == 301
    assert moved.header("X-Cache-Status") == "HIT"
    assert moved.header("Location").endswith("/openpositions")


def test_a_browser_revalidates_a_page_with_its_etag_at_the_edge(edge: Edge) -> None:
    visitor = edge.visitor()
    etag = visitor.get("/openpositions").header("ETag")
    again = visitor.get("/openpositions", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""


def test_an_enquiry_with_a_cv_goes_through_the_edge(edge: Edge, smtp: SmtpSink) -> None:
    visitor = edge.visitor()
    form_page = visitor.get("/enquiry")
    assert form_page.status == 200
    cv = pdf_of_size(2_000_000)
    fields = {**VALID_ENQUIRY, **form_fields(form_page), "cv": (cv, "cv.pdf", "application/pdf")}
    assert fields["csrf_token"]
    body = multipart(fields)
    # The form's HTTPS referrer check: the Referer must be this very host and port.
    headers = {"Content-Type": body["content_type"], "Referer": f"{edge.nginx.base_url}/enquiry"}

    confirmation = visitor.post("/enquiry", body["data"], headers)

    assert confirmation.status == 200, confirmation.text
    assert "/enquiry/received/" in confirmation.url
    assert confirmation.header("X-Cache-Status") == "BYPASS"
    assert "no-store" in confirmation.header("Cache-Control")
    reference = REFERENCE.search(confirmation.text)
    assert reference is not None
    mails = smtp.wait_for(2, timeout=30)
    to_professor = next(mail.message for mail in mails if mail.rcpt_tos == [PROFESSOR])
    assert reference.group() in to_professor["Subject"]
    (attachment,) = to_professor.iter_attachments()
    assert attachment.get_content() == cv


@pytest.mark.parametrize(
    ("form", "heading"),
    [("/enquiry", "The file is too large"), ("/de/enquiry", "Die Datei ist zu groß")],
)
def test_a_body_too_large_for_nginx_gets_the_sites_way_back_to_the_form(
    edge: Edge, form: str, heading: str
) -> None:
    visitor = edge.visitor()
    fields = form_fields(visitor.get(form))
    # Over the 33 MB nginx passes on (client_max_body_size), so the site never sees it.
    cv = (b"%PDF-1.4\n" + b"0" * 35_000_000, "scan.pdf", "application/pdf")
    body = multipart({**VALID_ENQUIRY, **fields, "cv": cv})
    position = "?position=phd-deep-learning-satellite-images"
    headers = {
        "Content-Type": body["content_type"],
        "Referer": edge.nginx.base_url + form + position,
    }

    sent_on = visitor.post(form, body["data"], headers, follow=False)
    answer = visitor.post(form, body["data"], headers)

    assert sent_on.status == 303
    assert sent_on.header("Location") == f"{edge.nginx.base_url}{form}/too-large"
    assert answer.status == 413
    page = Page(answer.text)
    assert page.headings[0] == (1, heading)
    assert form + position in page.hrefs()
    assert answer.header("Referrer-Policy"), "the site's page, not nginx's"
    assert "no-store" in answer.header("Cache-Control")


def test_two_visitors_never_get_the_same_form_token(edge: Edge) -> None:
    first, second = edge.visitor(), edge.visitor()
    # The first visitor comes back with a session cookie: that answer sets none, so only
    # the rules of the site and of nginx keep it from being stored for the next visitor.
    tokens = [form_fields(visitor.get("/enquiry"))["csrf_token"] for visitor in (first, first)]
    forms = [second.get("/enquiry"), second.get("/de/enquiry?x=1")]
    assert forms[0].header("X-Cache-Status") == "BYPASS"
    assert "no-store" in forms[0].header("Cache-Control")
    assert form_fields(forms[0])["csrf_token"] not in tokens
    assert forms[1].header("X-Cache-Status") == "BYPASS"


def test_errors_are_not_stored(edge: Edge) -> None:
    visitor = edge.visitor()
    answers = [visitor.get("/openpositions/no-such-position") for _ in range(2)]
    assert [answer.status for answer in answers] == [404, 404]
    assert [answer.header("X-Cache-Status") for answer in answers] == ["MISS", "MISS"]


def test_metrics_are_not_passed_on_from_outside(edge: Edge) -> None:
    visitor = edge.visitor()
    answer = visitor.get("/metrics")
    assert answer.status == 404
    # A page asked after it that nginx passes on (this edge's first request of it, a miss):
    # once gunicorn has logged that one, it would have logged the scrape too, had nginx passed
    # it on. The query string tells its log line from other tests'.
    visitor.get("/privacy?after=the-scrape")
    wait_until(lambda: "GET /privacy?after=the-scrape " in edge.web.log_path.read_text())
    assert "GET /metrics" not in edge.web.log_path.read_text(), "nginx answered itself"


def test_health_checks_are_always_asked_of_gunicorn(edge: Edge) -> None:
    answers = [edge.visitor().get("/healthz") for _ in range(2)]
    assert [answer.status for answer in answers] == [200, 200]
    assert all(answer.header("X-Cache-Status") == "" for answer in answers)


def test_the_access_log_has_the_request_id_of_what_the_site_answered(edge: Edge) -> None:
    visitor = edge.visitor()
    missed = visitor.get("/legal-notice?from=log-test")
    hit = visitor.get("/legal-notice?from=log-test-again")
    assert (missed.header("X-Cache-Status"), hit.header("X-Cache-Status")) == ("MISS", "HIT")
    request_id = missed.header("X-Request-ID")
    access_log = edge.nginx.run / "log" / "openpositions.access.log"

    def written() -> bool:
        """nginx has written its buffered lines for both"""
        return access_log.exists() and "log-test-again" in access_log.read_text()

    wait_until(written, timeout=15)
    lines = access_log.read_text().splitlines()
    (missed_line,) = [line for line in lines if "from=log-test " in line]
    (hit_line,) = [line for line in lines if "from=log-test-again " in line]
    assert missed_line.endswith(f" {request_id} MISS")
    assert hit_line.endswith(" - HIT")
    # The id a visitor quotes finds the request in the site's own lines too.
    assert request_id in edge.web.log_path.read_text()


def test_the_logs_keep_no_key_of_a_private_address(edge: Edge) -> None:
    key = "an-applicants-key.0123456789"
    visitor = edge.visitor()
    # Keys the site did not make (404), logged all the same; /privacy is this edge's first
    # request of it, a miss, so that gunicorn sees it too.
    visitor.get(f"/enquiry/yours/{key}/withdraw")
    visitor.get(f"/de/enquiry/received/{key}?lang=de")
    visitor.get(f"/alerts/manage/{key}")
    visitor.get(f"/de/alerts/confirm/{key}")
    private_page = f"{edge.nginx.base_url}/enquiry/yours/{key}"
    visitor.get("/privacy?from=the-private-page", headers={"Referer": private_page})
    access_log = edge.nginx.run / "log" / "openpositions.access.log"

    def written() -> bool:
        """nginx has written its buffered lines for all three"""
        return access_log.exists() and "from=the-private-page" in access_log.read_text()

    wait_until(written, timeout=15)
    for log in (access_log.read_text(), edge.web.log_path.read_text()):
        assert key not in log
        assert "GET /enquiry/yours/*/withdraw " in log
        assert "GET /de/enquiry/received/*?lang=de " in log
        assert "GET /alerts/manage/* " in log
        assert "GET /de/alerts/confirm/* " in log
        assert f'"{edge.nginx.base_url}/enquiry/yours/*"' in log


def test_while_gunicorn_is_down_the_edge_answers_with_stored_pages_or_its_own(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    with edge_in_front_of_site(tmp_path, smtp.port) as edge:
        visitor = edge.visitor()
        visitor.get("/openpositions")
        fields = form_fields(visitor.get("/enquiry"))
        body = multipart({**VALID_ENQUIRY, **fields})
        headers = {
            "Content-Type": body["content_type"],
            "Referer": f"{edge.nginx.base_url}/enquiry",
        }
        edge.web.terminate()

        assert visitor.get("/openpositions").status == 200, "the stored copy"
        for answer in (
            visitor.get("/enquiry"),
            visitor.get("/de/privacy"),
            visitor.post("/enquiry", body["data"], headers),
        ):
            assert answer.status == 503
            assert answer.header("Retry-After") == "60"
            assert answer.header("Cache-Control") == "no-store"
            page = Page(answer.text)
            assert page.headings == [(1, "Back in a moment"), (2, "Gleich wieder da")]
            assert "/enquiry" not in page.hrefs(), "nothing to send the form to"

        # A private link or a confirmation's address opened meanwhile: its key reaches no log.
        key = "a" * 40 + ".private-key-of-an-applicant"
        for path in (f"/enquiry/yours/{key}", f"/de/enquiry/received/{key}"):
            answer = visitor.get(path)
            assert answer.status == 503
            assert "Back in a moment" in answer.text
        assert "private-key-of-an-applicant" not in edge.nginx.error_log()
        assert "connect() failed" in edge.nginx.error_log(), "other upstream errors are logged"


def test_static_files_come_from_disk_for_a_year(edge: Edge) -> None:
    answer = edge.visitor().get("/static/site.css?v=1")
    assert answer.status == 200
    assert answer.body == (PROJECT_DIR / "static" / "site.css").read_bytes()
    assert answer.header("Cache-Control") == "public, max-age=31536000"
    assert answer.header("X-Cache-Status") == "", "not through gunicorn and the edge cache"


def test_http_redirects_to_https(edge: Edge) -> None:
    answer = Visitor(edge.nginx.http_url).get("/openpositions?a=1", follow=False)
    assert answer.status == 301
    assert answer.header("Location") == "https://127.0.0.1/openpositions?a=1"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_go_out_compressed(edge: Edge, path: str) -> None:
    visitor = edge.visitor()
    plain = visitor.get(path)
    compressed = visitor.get(path, headers={"Accept-Encoding": "gzip"})
    assert compressed.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in compressed.header("Vary")
    assert gzip.decompress(compressed.body) == plain.body


@pytest.mark.parametrize("path", ["/enquiry", "/enquiry?position=general"])
def test_the_form_is_never_compressed(edge: Edge, path: str) -> None:
    answer = edge.visitor().get(path, headers={"Accept-Encoding": "gzip"})
    assert answer.status == 200
    assert answer.header("Content-Encoding") == ""
    assert 'name="csrf_token"' in answer.text


# The security headers that are the same on every answer, which nginx adds (and the site, behind
# it, leaves out): one copy each, as the site itself sends them without nginx.
ADDED_BY_THE_EDGE = [
    "Content-Security-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Strict-Transport-Security",
]


@pytest.fixture(scope="module")
def headers_of_the_site_alone(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpSink
) -> dict[str, str]:
    """The security headers the site sends itself, over HTTPS with nothing in front of it."""
    app = make_app(tmp_path_factory.mktemp("alone"), smtp_server.port, HTTPS=True)
    response = app.test_client().get("/privacy", base_url="https://www.example.org")
    return {name: response.headers[name] for name in ADDED_BY_THE_EDGE}


# A page (from gunicorn, then from the store), the form, the site's 404 and nginx's own 404.
@pytest.mark.parametrize(
    "path", ["/openpositions", "/enquiry", "/openpositions/no-such", "/metrics"]
)
def test_every_answer_carries_the_sites_security_headers_once(
    edge: Edge, headers_of_the_site_alone: dict[str, str], path: str
) -> None:
    visitor = edge.visitor()
    for answer in (visitor.get(path), visitor.get(path)):
        for name in ADDED_BY_THE_EDGE:
            assert answer.headers.get_all(name) == [headers_of_the_site_alone[name]], name


def test_the_site_keeps_its_own_referrer_policy_behind_the_edge(edge: Edge) -> None:
    for path, policy in [
        ("/openpositions", "strict-origin-when-cross-origin"),
        ("/enquiry/yours/not-a-key", "same-origin"),
    ]:
        assert edge.visitor().get(path).headers.get_all("Referrer-Policy") == [policy], path


def test_a_stored_page_holds_none_of_the_headers_the_edge_adds(edge: Edge) -> None:
    # nginx reads a stored page's headers back with every answer from the store: the fewer, the
    # faster (see docs/performance.md).
    visitor = edge.visitor()
    visitor.get("/openpositions")
    assert visitor.get("/openpositions").header("X-Cache-Status") == "HIT"
    (stored,) = edge.nginx.cached_files()
    head = stored.read_bytes().partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    assert [name for name in ADDED_BY_THE_EDGE if name.lower() + ":" in head] == []
    assert "etag:" in head and "cache-control:" in head


def test_the_site_sees_the_visitors_host_and_port(edge: Edge) -> None:
    # Absolute links are made from X-Forwarded-Host (no SITE_URL here): with $host instead of
    # $http_host they would lose nginx's port.
    page = edge.visitor().get("/openpositions")
    canonical = Page(page.text).links("canonical")
    assert canonical[0]["href"] == f"{edge.nginx.base_url}/openpositions"


# What an attacker sends to poison a stored page: a port, a host, a prefix of their choosing.
POISONING_HEADERS = {
    "forwarded-port": {"X-Forwarded-Port": "1337"},
    "forwarded-port-not-a-number": {"X-Forwarded-Port": "abc"},
    "forwarded-host": {"X-Forwarded-Host": "evil.example"},
    "forwarded-proto": {"X-Forwarded-Proto": "http"},
    "forwarded-prefix": {"X-Forwarded-Prefix": "/evil"},
    "forwarded": {"Forwarded": "host=evil.example;proto=http"},
    "host": {"Host": "evil.example"},
    "host-with-port": {"Host": "evil.example:1337"},
}


@pytest.mark.parametrize("headers", POISONING_HEADERS.values(), ids=POISONING_HEADERS.keys())
def test_no_request_header_changes_what_another_visitor_gets(
    edge: Edge, headers: dict[str, str]
) -> None:
    own = f"{edge.nginx.base_url}/openpositions"
    # The attacker asks again and again, as a page's copy expires; the first answer is stored.
    attacker = edge.visitor().get("/openpositions", headers=headers)
    assert attacker.status == 200
    assert attacker.header("X-Cache-Status") == "MISS"
    assert Page(attacker.text).links("canonical")[0]["href"] == own, "not even their own"
    clean = edge.visitor().get("/openpositions")
    assert clean.header("X-Cache-Status") == "HIT", "the same copy, whatever the headers"
    assert Page(clean.text).links("canonical")[0]["href"] == own
    languages = [link for link in Page(clean.text).links("alternate") if "hreflang" in link]
    assert len(languages) == 3  # English, German, x-default.
    for link in languages:
        assert link["href"].startswith(edge.nginx.base_url + "/"), link
    assert "evil" not in clean.text and "1337" not in clean.text


def test_a_file_too_large_is_sent_on_to_this_sites_page_whatever_its_host_header(
    edge: Edge,
) -> None:
    cv = (b"%PDF-1.4\n" + b"0" * 35_000_000, "scan.pdf", "application/pdf")
    body = multipart({**VALID_ENQUIRY, "cv": cv})
    headers = {"Content-Type": body["content_type"], "Host": "evil.example"}
    answer = edge.visitor().post("/enquiry", body["data"], headers, follow=False)
    assert answer.status == 303
    assert answer.header("Location") == f"{edge.nginx.base_url}/enquiry/too-large"


def test_a_content_edit_shows_through_the_edge_within_page_max_age(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    # Production keeps pages 60 s (PAGE_MAX_AGE's default); 1 s here, so that the test need
    # not wait a minute. The workers see the edited file within a second, with no reload, and
    # nginx asks again for its copy once that is PAGE_MAX_AGE old.
    with edge_in_front_of_site(tmp_path, smtp.port, PAGE_MAX_AGE=1) as edge:
        visitor = edge.visitor()
        assert SEED_TITLE in visitor.get(SEED_PAGE).text
        replace_in(edge.content_dir, SEED_FILE, SEED_TITLE, "PhD candidates, edited")
        answers: list[Answer] = []

        def edited() -> bool:
            """the edited title is served through nginx"""
            answers.append(visitor.get(SEED_PAGE))
            return "PhD candidates, edited" in answers[-1].text

        wait_until(edited, timeout=60, interval=0.2)
        assert {answer.status for answer in answers} == {200}, "pages answered throughout"
        # nginx keeps stored pages' files open (open_file_cache): once the new copy is
        # stored, no answer from the store may still come from the old file.
        after = [visitor.get(SEED_PAGE) for _ in range(20)]
        stale = [
            a.header("X-Cache-Status") for a in after if "PhD candidates, edited" not in a.text
        ]
        assert stale == []
