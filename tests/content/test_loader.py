"""Content files: validation at start and by `flask positions check`, and safe Markdown bodies."""

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import markdown
import pytest
from flask.testing import FlaskCliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from openpositions import create_app
from openpositions.content import ContentError, load_content
from openpositions.content.markdown import render_markdown
from openpositions.content.positions import POSITION_FIELDS
from tests.support.app import app_config, make_app
from tests.support.content import (
    OFFICE_EMAIL,
    SEED_FILE,
    SEED_SLUG,
    copy_content,
    replace_in,
    write_position,
)
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink

Edit = Callable[[Path], None]


def replacing(name: str, old: str, new: str) -> Edit:
    return lambda content_dir: replace_in(content_dir, name, old, new)


def replacing_body(name: str, body: str) -> Edit:
    def edit(content_dir: Path) -> None:
        path = content_dir / name
        front, _, _ = path.read_text(encoding="utf-8").rpartition("---\n")
        path.write_text(f"{front}---\n{body}", encoding="utf-8")

    return edit


def copying_seed_as(name: str, extra_front_matter: str) -> Edit:
    def edit(content_dir: Path) -> None:
        seed = (content_dir / SEED_FILE).read_text(encoding="utf-8")
        (content_dir / name).write_text(seed.replace("---\n", f"---\n{extra_front_matter}\n", 1))

    return edit


def writing_cp1252(name: str) -> Edit:
    def edit(content_dir: Path) -> None:
        path = content_dir / name
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))

    return edit


def removing(name: str) -> Edit:
    return lambda content_dir: (content_dir / name).unlink()


SEED_GERMAN_FILE = f"positions/{SEED_SLUG}.de.md"
TITLE_LINE = "title: PhD candidates in Deep Learning for Satellite Image Analysis\n"
POSTING_URL = "posting_url: https://stellenticket.de/72624/?lang=en"

# (edit of a copy of config/, file named in the message, field named, what the message says)
BAD_CONTENT = [
    pytest.param(
        replacing(SEED_FILE, TITLE_LINE, ""), SEED_FILE, "title", "is missing", id="missing-title"
    ),
    pytest.param(
        replacing(SEED_FILE, "status: open", "status: draft"),
        SEED_FILE,
        "status",
        "'draft' is not one of: open, closed",
        id="unknown-status",
    ),
    pytest.param(
        replacing(SEED_FILE, "category: phd", "category: masters"),
        SEED_FILE,
        "category",
        "'masters' is not one of: phd, postdoc",
        id="unknown-category",
    ),
    pytest.param(
        replacing(SEED_FILE, "date_posted: 2026-11-02", "date_posted: 02.11.2026"),
        SEED_FILE,
        "date_posted",
        "'02.11.2026' is not a date (YYYY-MM-DD)",
        id="malformed-date",
    ),
    pytest.param(
        replacing(SEED_FILE, "date_posted: 2026-11-02", "date_posted: 2026-02-30"),
        SEED_FILE,
        "date_posted",
        "is not a date (YYYY-MM-DD)",
        id="impossible-date",
    ),
    pytest.param(
        replacing(SEED_FILE, "deadline: open-until-filled", "deadline: when filled"),
        SEED_FILE,
        "deadline",
        "'when filled' is not a date (YYYY-MM-DD) or open-until-filled",
        id="malformed-deadline",
    ),
    pytest.param(
        replacing(SEED_FILE, POSTING_URL, "posting_url: stellenticket.de/72624"),
        SEED_FILE,
        "posting_url",
        "is not a web address",
        id="bad-url",
    ),
    pytest.param(
        replacing(SEED_FILE, POSTING_URL, "posting_url: javascript:alert(1)"),
        SEED_FILE,
        "posting_url",
        "is not a web address",
        id="javascript-url",
    ),
    pytest.param(
        replacing("site.yaml", "  url: https://www.rsim", "  url: www.rsim"),
        "site.yaml",
        "group.url",
        "is not a web address",
        id="bad-url-in-site",
    ),
    pytest.param(
        copying_seed_as("positions/zz-copy.md", f"slug: {SEED_SLUG}"),
        "positions/zz-copy.md",
        "slug",
        f"'{SEED_SLUG}' is already used by",
        id="duplicate-slug",
    ),
    pytest.param(
        replacing(SEED_FILE, "employment_type: FULL_TIME", "employment_type: PERMANENT"),
        SEED_FILE,
        "employment_type",
        "'PERMANENT' is not one of",
        id="unknown-employment-type",
    ),
    pytest.param(
        replacing(SEED_FILE, TITLE_LINE, TITLE_LINE + "slug: PhD Position\n"),
        SEED_FILE,
        "slug",
        "must be lower-case letters, digits and hyphens",
        id="bad-slug",
    ),
    pytest.param(replacing_body(SEED_FILE, "\n"), SEED_FILE, "body", "is empty", id="empty-body"),
    pytest.param(
        replacing(SEED_FILE, "title: PhD", "title: [PhD"),
        SEED_FILE,
        "front matter",
        "at line",
        id="broken-yaml",
    ),
    pytest.param(
        replacing("site.yaml", "  name: Prof. Begüm Demir\n", ""),
        "site.yaml",
        "contact.name",
        "is missing",
        id="missing-contact-name",
    ),
    pytest.param(
        replacing("site.yaml", OFFICE_EMAIL, "office at rsim"),
        "site.yaml",
        "office.email",
        "'office at rsim' is not an email address",
        id="office-not-an-address",
    ),
    pytest.param(
        replacing("site.yaml", OFFICE_EMAIL, "Demir@TU-Berlin.de"),
        "site.yaml",
        "office.email",
        "is the contact's own address, which the site never shows",
        id="office-is-the-professor",
    ),
    pytest.param(
        replacing(SEED_FILE, "deadline: open-until-filled", "dedline: 2026-12-15"),
        SEED_FILE,
        "dedline",
        "unknown field; did you mean deadline? Correct its name",
        id="key-one-letter-short",
    ),
    pytest.param(
        replacing(SEED_FILE, "working_time: Full time", "working_tiem: Full time"),
        SEED_FILE,
        "working_tiem",
        "unknown field; did you mean working_time? Correct its name",
        id="key-letters-swapped",
    ),
    pytest.param(writing_cp1252("site.yaml"), "site.yaml", "file", "is not UTF-8", id="not-utf8"),
    pytest.param(removing("site.yaml"), "site.yaml", "file", "cannot be read", id="no-site-yaml"),
]


@pytest.mark.parametrize(("edit", "name", "field", "message"), BAD_CONTENT)
def test_bad_content_stops_the_start_with_one_line(
    tmp_path: Path, smtp: SmtpSink, edit: Edit, name: str, field: str, message: str
) -> None:
    content = copy_content(tmp_path)
    edit(content)
    with pytest.raises(ContentError) as caught:
        create_app(app_config(tmp_path, smtp.port, CONTENT_DIR=str(content)))
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"{content / name}: {field}: "), line
    assert message in line
    assert len(caught.value.problems) == 1


def test_a_key_one_edit_off_in_a_translation_is_an_error(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    replace_in(content, SEED_GERMAN_FILE, "duration: 3 Jahre", "durations: 3 Jahre")
    with pytest.raises(ContentError) as caught:
        load_content(content)
    (error,) = caught.value.errors
    assert str(error) == (
        f"{content / SEED_GERMAN_FILE}: durations: unknown field; did you mean duration? "
        "Correct its name"
    )


def test_a_key_two_edits_off_is_a_warning_that_guesses(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, 'reference: "72624"', 'referenz: "72624"')
    (warning,) = load_content(content).warnings
    assert str(warning) == (
        f"warning: {content / SEED_FILE}: referenz: unknown field, so it is ignored; "
        "did you mean reference?"
    )


def test_duplicate_slug_names_both_files(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    copying_seed_as("positions/zz-copy.md", f"slug: {SEED_SLUG}")(content)
    with pytest.raises(ContentError) as caught:
        load_content(content)
    assert "zz-copy.md" in str(caught.value)
    assert f"{SEED_SLUG}.md" in str(caught.value)


def test_every_problem_is_reported_one_line_each(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, "status: open", "status: draft")
    write_position(content, "second", "A body.", title="Second", category="phd", status="open")
    with pytest.raises(ContentError) as caught:
        load_content(content)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert any(f"{SEED_SLUG}.md: status: " in line for line in lines)
    assert any("second.md: date_posted: is missing" in line for line in lines)


def test_shipped_content_is_valid() -> None:
    content = load_content(PROJECT_DIR / "config")
    seed = content.position(SEED_SLUG)
    assert seed is not None
    assert seed.is_open_on(date(2026, 11, 2))
    assert seed.date_posted == date(2026, 11, 2)
    assert seed.deadline is None  # open until filled
    assert [c.key for c in content.site.categories] == ["phd", "postdoc"]
    assert content.site.contact.name == "Prof. Begüm Demir"
    assert content.site.group.university == "Technische Universität Berlin"


# Keys and values a maintainer might type: any text, things that look like dates or numbers
# (YAML turns those into other types), and bits of YAML syntax.
YAML_LOOKALIKES = st.from_regex(r"\A[0-9]{1,4}(-[0-9]{1,2}(-[0-9]{1,2})?)?\Z")
KEYS = st.one_of(st.sampled_from(sorted(POSITION_FIELDS)), YAML_LOOKALIKES)
VALUES = st.one_of(
    st.text(max_size=40),
    YAML_LOOKALIKES,
    st.sampled_from(["[", "{a: 1}", "- x", "!!binary x", "!!python/name:os.system", "~", "yes"]),
)


@settings(max_examples=200, deadline=None, database=None)
@given(key=KEYS, value=VALUES)
def test_any_front_matter_line_is_loaded_or_reported(key: str, value: str) -> None:
    """Whatever a maintainer types, loading succeeds or raises ContentError: no other error."""
    with tempfile.TemporaryDirectory() as directory:
        content = copy_content(Path(directory))
        path = content / SEED_FILE
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(f"{key}:")]
        kept.insert(1, f"{key}: {value}\n")
        path.write_text("".join(kept), encoding="utf-8")
        try:
            load_content(content)
        except ContentError as error:
            assert str(error).startswith(str(path))


# --- flask positions check -------------------------------------------------------------------


def test_check_command_accepts_good_content(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["positions", "check"])
    assert result.exit_code == 0, result.output
    # The shipped legal facts not known yet are warnings, which pass.
    assert "Content is valid: 1 positions, 1 open; 5 warnings to look at." in result.output


def test_check_command_names_file_and_field(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    # The site started on good content; then the maintainer edits a file and checks it.
    replace_in(content, SEED_FILE, "category: phd", "category: masters")
    result = app.test_cli_runner().invoke(args=["positions", "check"])
    assert result.exit_code == 1
    assert f"{content / SEED_FILE}: category: 'masters' is not one of" in result.stderr
    assert "Traceback" not in result.output
    assert "Content is valid" not in result.output


def run_site(
    command: list[str], content_dir: Path, instance: Path
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    environment.update(FLASK_CONTENT_DIR=str(content_dir), FLASK_INSTANCE_PATH=str(instance))
    return subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


START_COMMANDS = [
    pytest.param([sys.executable, "-c", "import app"], id="import-app"),
    pytest.param(
        [sys.executable, "-m", "flask", "--app", "app", "positions", "check"], id="positions-check"
    ),
]


@pytest.mark.parametrize("command", START_COMMANDS)
def test_start_on_bad_content_prints_one_line_and_no_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, "status: open", "status: draft")
    result = run_site(command, content, tmp_path / "instance")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"{content / SEED_FILE}: status: 'draft' is not one of: open, closed"
    ]


@pytest.mark.parametrize("command", START_COMMANDS)
def test_start_on_good_content_succeeds(tmp_path: Path, command: list[str]) -> None:
    result = run_site(command, copy_content(tmp_path), tmp_path / "instance")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


# --- Markdown bodies ----------------------------------------------------------------------------

DANGEROUS_MARKDOWN = [
    pytest.param("Hello <script>alert('x')</script> world", id="script-element"),
    pytest.param("[Apply here](javascript:alert('x'))", id="javascript-markdown-link"),
    pytest.param('<a href="javascript:alert(1)">Apply</a>', id="javascript-html-link"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">Apply</a>', id="javascript-mixed-case"),
    pytest.param('<img src="x.png" onerror="alert(1)">', id="event-handler"),
    pytest.param('<p onclick="alert(1)" style="color:red">Text</p>', id="inline-handler-style"),
    pytest.param('<iframe src="https://evil.example/"></iframe>', id="iframe"),
    pytest.param("[Data](data:text/html;base64,PHNjcmlwdD4=)", id="data-url"),
]


@pytest.mark.parametrize("markdown", DANGEROUS_MARKDOWN)
def test_markdown_drops_anything_executable(markdown: str) -> None:
    html = render_markdown(markdown).lower()
    for dangerous in ("<script", "javascript:", "onerror", "onclick", "style=", "<iframe", "data:"):
        assert dangerous not in html


def test_markdown_keeps_structure_and_safe_links() -> None:
    html = render_markdown("Some *emphasis* and a [link](https://example.org/).\n\n- one\n- two")
    assert "<em>emphasis</em>" in html
    assert '<a href="https://example.org/" rel="noopener">link</a>' in html
    assert "<li>one</li>" in html


def test_one_markdown_parser_per_thread_forgets_each_text(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[threading.Thread] = []
    make_parser = markdown.Markdown.__init__

    def counted(parser: markdown.Markdown, *args: Any, **kwargs: Any) -> None:
        made.append(threading.current_thread())
        make_parser(parser, *args, **kwargs)

    monkeypatch.setattr(markdown.Markdown, "__init__", counted)
    render_markdown.cache_clear()  # Rendered by the parsers here, not taken from earlier tests.
    defines = "See [the group][group].\n\n[group]: https://example.org/group"
    uses = "See [the group][group]."

    def render_texts() -> list[str]:
        return [render_markdown(text) for text in (defines, uses, defines, uses)]

    in_another_thread: list[list[str]] = []
    other = threading.Thread(target=lambda: in_another_thread.append(render_texts()))
    other.start()
    rendered = render_texts()
    other.join()
    for texts in (rendered, *in_another_thread):
        assert 'href="https://example.org/group"' in texts[0]
        assert "href" not in texts[1], "a link defined in another file's text is not used"
        assert texts[2:] == texts[:2]
    assert len(made) == len(set(made)) <= 2, "a parser per thread, reused for every text"


def test_script_in_a_body_does_not_reach_the_pages(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    write_position(
        content,
        "phd-unsafe-body",
        "Before <script>alert('pwned')</script> after.\n\n"
        "[Apply now](javascript:alert('pwned')) or <a href=\"https://example.org/\" "
        'target="_blank" onclick="alert(1)">read more</a>.',
        title="PhD with an unsafe body",
        category="phd",
        status="open",
        date_posted=date(2026, 11, 20),
    )
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    for url in ("/openpositions", "/openpositions/phd-unsafe-body", "/openpositions.atom"):
        page = client.get(url).text
        assert "alert" not in page
        assert "javascript:" not in page.lower()
        assert "onclick" not in page
    page = client.get("/openpositions/phd-unsafe-body").text
    assert "Before" in page
    assert "read more" in page


def test_in_debug_mode_edits_are_picked_up_and_a_broken_edit_keeps_the_last_good_content(
    tmp_path: Path, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    content = copy_content(tmp_path)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), DEBUG=True)
    client = app.test_client()
    position = content / "positions" / "phd-deep-learning-satellite-images.md"
    text = position.read_text(encoding="utf-8")
    position.write_text(text.replace("title: PhD candidates", "title: Doctoral researchers"))
    assert "Doctoral researchers in Deep Learning" in client.get("/openpositions").get_data(
        as_text=True
    )
    position.write_text(text.replace("status: open", "status: maybe"), encoding="utf-8")
    page = client.get("/openpositions")
    assert page.status_code == 200
    assert "Doctoral researchers in Deep Learning" in page.get_data(as_text=True)
    assert "status: 'maybe' is not one of: open, closed" in caplog.text
