"""`flask positions check` and the start report every problem in every file, one line each."""

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup

from openpositions import create_app
from openpositions.content import Content, ContentError, load_content
from tests.content.test_loader import run_site
from tests.support.app import app_config, make_app
from tests.support.clock import berlin, set_clock
from tests.support.content import SEED_FILE, SEED_SLUG, copy_content, replace_in, write_position
from tests.support.smtp import SmtpSink

SECOND_FILE = "positions/phd-second.md"


def break_several_fields_in_several_files(content: Path) -> list[str]:
    """Two or more mistakes in each of three files; the lines the check must print for them."""
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    replace_in(content, SEED_FILE, "category: phd", "category: masters")
    replace_in(content, SEED_FILE, "deadline: open-until-filled", "deadline: 2026-10-01")
    replace_in(content, SEED_FILE, "duration: 3 years", "salary: E13")
    write_position(
        content,
        "phd-second",
        "A second position.",
        category="phd",
        status="open",
        date_posted=date(2026, 11, 20),
        employment_type="PERMANENT",
        posting_url="stellenticket.de/1",
    )
    replace_in(content, "site.yaml", "  url: https://www.rsim", "  url: www.rsim")
    replace_in(content, "site.yaml", "  name: Prof. Begüm Demir\n", "")
    seed, second, site = (str(content / name) for name in (SEED_FILE, SECOND_FILE, "site.yaml"))
    return [
        f"{seed}: status: 'opn' is not one of: open, closed",
        f"{seed}: category: 'masters' is not one of: phd, postdoc",
        f"{seed}: deadline: 2026-10-01 is before date_posted 2026-11-02; "
        "correct one of the two dates",
        f"warning: {seed}: salary: unknown field, so it is ignored; did you mean salary_grade?",
        f"{second}: title: is missing; add it",
        f"{second}: employment_type: 'PERMANENT' is not one of: FULL_TIME, PART_TIME, "
        "CONTRACTOR, TEMPORARY, INTERN, OTHER",
        f"{second}: posting_url: 'stellenticket.de/1' is not a web address (https://...)",
        f"{site}: group.url: 'www.rsim.tu-berlin.de/menue/remote_sensing_image_analysis_group/' "
        "is not a web address (https://...)",
        f"{site}: contact.name: is missing; add it",
    ]


def test_the_check_prints_every_problem_in_every_file_and_fails(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    expected = break_several_fields_in_several_files(content)
    result = app.test_cli_runner().invoke(args=["positions", "check"])
    assert result.exit_code == 1
    assert sorted(result.stderr.splitlines()) == sorted(expected)
    assert "Content is valid" not in result.output


def test_each_files_lines_come_together(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    break_several_fields_in_several_files(content)
    with pytest.raises(ContentError) as caught:
        load_content(content)
    files = [problem.path for problem in caught.value.problems]
    assert files == sorted(files)
    assert len(caught.value.errors) == 8


def test_starting_on_content_with_errors_stops_with_every_line(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    expected = break_several_fields_in_several_files(content)
    result = run_site([sys.executable, "-c", "import app"], content, tmp_path / "instance")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert sorted(result.stderr.strip().splitlines()) == sorted(expected)


def add_position_with_warnings(content: Path) -> Path:
    """An open position past its deadline, with a key the site does not know, no German text."""
    return write_position(
        content,
        "phd-stale",
        "A position whose deadline has passed.",
        title="PhD position past its deadline",
        category="phd",
        status="open",
        date_posted=date(2026, 10, 1),
        deadline=date(2026, 11, 15),
        referenz="IV-1/26",
    )


def site_with_warnings(tmp_path: Path, smtp: SmtpSink) -> tuple[Flask, Path]:
    content = copy_content(tmp_path)
    stale = add_position_with_warnings(content)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    set_clock(app, berlin(2026, 12, 1))
    return app, stale


def test_warnings_are_printed_and_the_check_passes(tmp_path: Path, smtp: SmtpSink) -> None:
    app, stale = site_with_warnings(tmp_path, smtp)
    result = app.test_cli_runner().invoke(args=["positions", "check"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {stale}: referenz: unknown field, so it is ignored; did you mean reference?",
        f"warning: {stale}: deadline: 2026-11-15 has passed, so the site shows the position "
        "as closed; set status: closed, or a later deadline",
    ]
    assert "Content is valid: 2 positions, 1 open; 2 warnings to look at." in result.stdout


def test_an_open_position_without_german_text_is_a_warning(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    (content / "positions" / f"{SEED_SLUG}.de.md").unlink()
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    result = app.test_cli_runner().invoke(args=["positions", "check"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {content / SEED_FILE}: translation: has no German text, so those pages show "
        f"the English; add {SEED_SLUG}.de.md beside it"
    ]


def test_a_translation_giving_what_only_the_english_file_may_is_a_warning(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    german = content / "positions" / f"{SEED_SLUG}.de.md"
    german.write_text(german.read_text().replace("---\n", "---\nstatus: closed\n", 1))
    (warning,) = load_content(content).warnings
    assert str(warning) == (
        f"warning: {german}: status: is taken from the English file, so it is ignored here; "
        "remove it from this file"
    )


def test_the_site_starts_despite_warnings_and_logs_them(
    tmp_path: Path, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    app, stale = site_with_warnings(tmp_path, smtp)
    assert app.test_client().get("/openpositions").status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert (
        f"warning: {stale}: referenz: unknown field, so it is ignored; did you mean reference?"
        in logged
    )


# The facts the shipped site.yaml leaves as placeholders, in the order it has them.
SHIPPED_PLACEHOLDERS = (
    "office.email, legal_notice.president, legal_notice.supervisory_authority, "
    "privacy.data_protection_officer.url, privacy.access_log_days"
)


def placeholder_summary(content: Path) -> str:
    return (
        f"warning: {content / 'site.yaml'}: 5 facts not known yet, left out of the pages "
        f"({SHIPPED_PLACEHOLDERS}); `flask positions check` says what to enter"
    )


def test_the_site_logs_the_placeholders_in_one_line(
    tmp_path: Path, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    content = copy_content(tmp_path, fill_placeholders=False)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    assert app.test_client().get("/openpositions").status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [line for line in logged if "site.yaml" in line] == [placeholder_summary(content)]


def test_a_refused_start_lists_each_error_and_the_placeholders_in_one_line(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path, fill_placeholders=False)
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    with pytest.raises(ContentError) as refused:
        create_app(app_config(tmp_path, smtp.port, CONTENT_DIR=str(content)))
    assert str(refused.value).splitlines() == [
        f"{content / SEED_FILE}: status: 'opn' is not one of: open, closed",
        placeholder_summary(content),
    ]


def test_the_check_under_the_flask_command_reads_the_files_once(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = copy_content(tmp_path)
    loads: list[Path] = []

    def counted(content_dir: Path, *args: Any, **kwargs: Any) -> Content:
        loads.append(Path(content_dir))
        return load_content(content_dir, *args, **kwargs)

    monkeypatch.setattr("openpositions.content.store.load_content", counted)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")  # Which the `flask` command sets; unset after.
    config = app_config(tmp_path, smtp.port, CONTENT_DIR=str(content))
    # The `flask` command as `flask --app app` runs it, the app made by it, in its context.
    flask_command = FlaskGroup(create_app=lambda: create_app(config), load_dotenv=False)
    result = CliRunner().invoke(flask_command, ["positions", "check"])
    assert result.exit_code == 0, result.output
    assert "Content is valid: 1 positions, 1 open." in result.output
    assert loads == [content]


def test_the_start_succeeds_on_content_with_only_warnings(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    add_position_with_warnings(content)
    result = run_site([sys.executable, "-c", "import app"], content, tmp_path / "instance")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("before", "line"),
    [
        pytest.param("", 5, id="front-matter-from-line-1"),
        pytest.param("\n\n", 7, id="blank-lines-before-it"),
    ],
)
def test_a_yaml_mistake_is_reported_at_its_line_in_the_file(
    tmp_path: Path, before: str, line: int
) -> None:
    content = copy_content(tmp_path)
    path = content / "positions" / "phd-broken.md"
    path.write_text(
        f"{before}---\n"  # line 1 (after `before`)
        "title: A broken position\n"  # 2
        "category: phd\n"  # 3
        "status: [open\n"  # 4: the unclosed bracket
        "date_posted: 2026-11-20\n"  # 5: where PyYAML notices
        "---\n"
        "Body.\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_content(content)
    (problem,) = caught.value.problems
    assert problem.field == "front matter"
    assert f"at line {line} (while parsing a flow sequence at line {line - 1})" in problem.message


def test_a_yaml_mistake_in_site_yaml_is_reported_at_its_line(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    site = content / "site.yaml"
    lines = site.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "broken: [yes\n")  # line 3
    site.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ContentError, match=r"site\.yaml: yaml: .*at line 3\)"):
        load_content(content)
