"""A position closes at the end of its deadline day in Berlin, on every page at once."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import make_app, stored_enquiries
from tests.support.clock import berlin, set_clock
from tests.support.content import copy_content, write_position
from tests.support.forms import VALID_ENQUIRY, multipart
from tests.support.smtp import SmtpSink

SLUG = "phd-change-detection"
URL = f"/openpositions/{SLUG}"
TITLE = "PhD position in Change Detection"
DEADLINE = date(2026, 1, 15)


def site_with_deadline(tmp_path: Path, smtp: SmtpSink, deadline: date = DEADLINE) -> Flask:
    """The site on a copy of the content, with one open position that has a deadline."""
    content = copy_content(tmp_path)
    write_position(
        content,
        SLUG,
        "Join us to detect changes in satellite image time series.",
        title=TITLE,
        category="phd",
        status="open",
        date_posted=date(2025, 11, 1),
        deadline=deadline,
    )
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))


@dataclass(frozen=True)
class Surfaces:
    """Whether each place a position appears treats it as open."""

    listed: bool
    page_status: int
    job_posting: bool
    in_feed: bool
    offered_in_form: bool
    enquiry_accepted: bool


OPEN = Surfaces(True, 200, True, True, True, True)
CLOSED = Surfaces(False, 410, False, False, False, False)


def surfaces(client: FlaskClient) -> Surfaces:
    page = client.get(URL)
    feed = ET.fromstring(client.get("/openpositions.atom").data)
    feed_ids = [entry.findtext("{http://www.w3.org/2005/Atom}id") or "" for entry in feed]
    form = client.get("/enquiry").get_data(as_text=True)
    sent = client.post("/enquiry", **multipart({**VALID_ENQUIRY, "position": SLUG}))
    return Surfaces(
        listed=f'id="position-{SLUG}"' in client.get("/openpositions").get_data(as_text=True),
        page_status=page.status_code,
        job_posting="application/ld+json" in page.get_data(as_text=True),
        in_feed=any(feed_id.endswith(URL) for feed_id in feed_ids),
        offered_in_form=f'value="{SLUG}"' in form,
        enquiry_accepted=sent.status_code == 303,
    )


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        pytest.param(date(2026, 1, 14), CLOSED, id="deadline-yesterday"),
        pytest.param(date(2026, 1, 15), OPEN, id="deadline-today"),
        pytest.param(date(2026, 1, 16), OPEN, id="deadline-tomorrow"),
    ],
)
def test_a_position_is_open_up_to_its_deadline_day(
    tmp_path: Path, smtp: SmtpSink, deadline: date, expected: Surfaces
) -> None:
    app = site_with_deadline(tmp_path, smtp, deadline)
    set_clock(app, berlin(2026, 1, 15, 12, 0))
    assert surfaces(app.test_client()) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(berlin(2026, 1, 15, 23, 59), OPEN, id="23:59-in-berlin"),
        pytest.param(berlin(2026, 1, 16, 0, 0), CLOSED, id="00:00-in-berlin"),
        pytest.param(datetime(2026, 1, 15, 22, 59, tzinfo=UTC), OPEN, id="22:59-utc-is-23:59"),
        pytest.param(datetime(2026, 1, 15, 23, 30, tzinfo=UTC), CLOSED, id="23:30-utc-is-next-day"),
    ],
)
def test_the_deadline_day_ends_at_midnight_in_berlin(
    tmp_path: Path, smtp: SmtpSink, moment: datetime, expected: Surfaces
) -> None:
    app = site_with_deadline(tmp_path, smtp)
    set_clock(app, moment)
    assert surfaces(app.test_client()) == expected


def test_pages_served_before_midnight_are_not_served_after_it(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = site_with_deadline(tmp_path, smtp)
    clock = set_clock(app, berlin(2026, 1, 15, 23, 59))
    client = app.test_client()
    before = client.get("/openpositions")
    assert surfaces(client) == OPEN  # Every page now rendered and in the page cache.
    clock.moment = berlin(2026, 1, 16, 0, 0)
    assert surfaces(client) == CLOSED
    after = client.get("/openpositions", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, "a browser's copy from before midnight is stale too"


def test_a_form_sent_after_the_deadline_is_refused_with_a_message_at_the_field(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = site_with_deadline(tmp_path, smtp)
    clock = set_clock(app, berlin(2026, 1, 15, 23, 50))
    client = app.test_client()
    assert f'value="{SLUG}"' in client.get(f"/enquiry?position={SLUG}").get_data(as_text=True)
    clock.moment = berlin(2026, 1, 16, 0, 5)  # The applicant took a quarter of an hour.
    response = client.post("/enquiry", **multipart({**VALID_ENQUIRY, "position": SLUG}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = "This position no longer takes applications; choose another position"
    assert re.search(rf'<p class="error-message" id="position-error">.*{message}', html), html
    assert stored_enquiries(app) == []


def test_the_closed_page_says_when_applications_closed(tmp_path: Path, smtp: SmtpSink) -> None:
    app = site_with_deadline(tmp_path, smtp)
    set_clock(app, berlin(2026, 1, 20))
    client = app.test_client()
    page = client.get(URL)
    assert page.status_code == 410
    assert f"Applications for the position “{TITLE}” closed on January 15, 2026." in page.text
    german = client.get(f"/de{URL}")
    assert "ist am 15. Januar 2026 abgelaufen" in german.text


CLOSING_SOON = [
    pytest.param(berlin(2026, 1, 15, 9), "(today)", "(heute)", id="today"),
    pytest.param(berlin(2026, 1, 14, 18), "(tomorrow)", "(morgen)", id="tomorrow"),
    pytest.param(berlin(2026, 1, 12), "(in 3 days)", "(in 3 Tagen)", id="in-3-days"),
    pytest.param(berlin(2026, 1, 8), "(in 7 days)", "(in 7 Tagen)", id="in-7-days"),
]


@pytest.mark.parametrize(("moment", "english", "german"), CLOSING_SOON)
def test_a_position_closing_within_a_week_says_so_on_the_list_and_its_page(
    tmp_path: Path, smtp: SmtpSink, moment: datetime, english: str, german: str
) -> None:
    app = site_with_deadline(tmp_path, smtp)
    set_clock(app, moment)
    client = app.test_client()
    notice = f"Closing soon: applications close on January 15, 2026 {english}"
    notice_de = (
        f"Bewerbungsfrist endet bald: Bewerbungen sind bis zum 15. Januar 2026 möglich {german}"
    )
    for url in ("/openpositions", URL):
        assert f'<p class="closing-soon">{notice}</p>' in client.get(url).text, url
        assert f'<p class="closing-soon">{notice_de}</p>' in client.get(f"/de{url}").text


def test_a_position_closing_in_more_than_a_week_says_nothing_of_it(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = site_with_deadline(tmp_path, smtp)
    set_clock(app, berlin(2026, 1, 7, 12))
    client = app.test_client()
    for url in ("/openpositions", URL):
        page = client.get(url).text
        assert TITLE in page
        assert "Closing soon" not in page
