"""Content files with errors never stop the operator or the site: the real `flask` commands,
queue worker and gunicorn, each in a process of its own, on a position file with a typo."""

import subprocess
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

from openpositions.enquiries.intake.accept import accept_enquiry, record_enquiry
from tests.support.app import an_enquiry, make_app
from tests.support.content import SEED_FILE, SEED_SLUG, copy_content, replace_in
from tests.support.paths import PROJECT_DIR
from tests.support.processes import BIN, ProcessGroup, environment, site_files
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

TITLE = "PhD candidates in Deep Learning for Satellite Image Analysis"


def break_seed_position(content: Path) -> str:
    """Put a typo in the seed position's status; the line that names the file to fix."""
    replace_in(content, SEED_FILE, "status: open", "status: opn")
    return f"{content / SEED_FILE}: status: 'opn' is not one of: open, closed"


def site_settings(tmp_path: Path, smtp_port: int, content: Path) -> dict[str, object]:
    return {
        "SECRET_KEY": "broken-content-test",
        **site_files(tmp_path),
        "CONTENT_DIR": str(content),
        "QUEUE_IN_PROCESS": False,
        "MAIL_PORT": smtp_port,
        "ENQUIRY_RECIPIENT": "professor@rsim.example.org",
    }


def site_environment(tmp_path: Path, smtp_port: int, content: Path) -> dict[str, str]:
    env = environment(site_settings(tmp_path, smtp_port, content))
    env.pop("FLASK_DEBUG", None)
    return env


def started_site(tmp_path: Path, smtp_port: int, content: Path, instance: Path) -> Flask:
    """The site started once on `content`, in-process, on the files the commands will use."""
    settings = {**site_settings(tmp_path, smtp_port, content), "INSTANCE_PATH": str(instance)}
    return make_app(tmp_path, smtp_port, **settings)


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "flask", "--app", "app", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def never_good(tmp_path: Path, smtp: SmtpSink) -> tuple[dict[str, str], str, str]:
    """A site whose content has an error and never loaded without one (no last good copy).

    Its database holds one enquiry, stored by a site elsewhere on good files. The commands'
    environment, the enquiry's reference, and the line naming the file to fix.
    """
    good = copy_content(tmp_path / "good")
    elsewhere = started_site(tmp_path, smtp.port, good, tmp_path / "instance-elsewhere")
    with elsewhere.app_context():
        reference = record_enquiry(an_enquiry()).reference
    content = copy_content(tmp_path)
    line = break_seed_position(content)
    env = site_environment(tmp_path, smtp.port, content)
    assert not (tmp_path / "instance").exists(), "nothing kept from a good load"
    return env, reference, line


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        pytest.param(["--help"], "positions", id="help"),
        pytest.param(["positions", "--help"], "check", id="positions-help"),
        pytest.param(["db", "upgrade"], "", id="db-upgrade"),
        pytest.param(["enquiries", "list"], "{reference}", id="enquiries-list"),
        pytest.param(["enquiries", "show", "{reference}"], "Ada Lovelace", id="enquiries-show"),
        pytest.param(["enquiries", "resend", "{reference}"], "{reference}", id="enquiries-resend"),
    ],
)
def test_a_command_that_needs_no_content_runs_whatever_it_says(
    never_good: tuple[dict[str, str], str, str], args: list[str], shows: str
) -> None:
    env, reference, line = never_good
    done = flask(env, *(arg.format(reference=reference) for arg in args))
    assert done.returncode == 0, done.stderr
    assert shows.format(reference=reference) in done.stdout
    assert "Traceback" not in done.stderr
    assert "opn" not in done.stdout + done.stderr, "the content was never read"


def test_a_command_that_needs_the_content_names_the_file_to_fix(
    never_good: tuple[dict[str, str], str, str],
) -> None:
    env, _, line = never_good
    done = flask(env, "positions", "list")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert line in done.stderr.splitlines()
    assert "flask positions check" in done.stderr


def test_a_command_that_needs_the_content_uses_the_last_good_one(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    started_site(tmp_path, smtp.port, content, tmp_path / "instance")
    line = break_seed_position(content)
    done = flask(site_environment(tmp_path, smtp.port, content), "positions", "list")
    assert done.returncode == 0, done.stderr
    assert SEED_SLUG in done.stdout
    assert "still serving the last good version" in done.stderr
    assert line in done.stderr.splitlines()


def test_the_queue_worker_delivers_with_the_last_good_content(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    site = started_site(tmp_path, smtp.port, content, tmp_path / "instance")
    with site.app_context():
        accept_enquiry(an_enquiry())  # Stored and queued, for the worker to deliver.
    break_seed_position(content)
    with ProcessGroup(tmp_path / "logs") as processes:
        worker = processes.queue_worker(site_environment(tmp_path, smtp.port, content))
        smtp.wait_for(2)
        worker.require_running()
    recipients = [address for mail in smtp.received for address in mail.rcpt_tos]
    assert "professor@rsim.example.org" in recipients, "composed with the last good content"


def page(base_url: str) -> str:
    with urllib.request.urlopen(f"{base_url}/openpositions", timeout=5) as response:
        return str(response.read().decode())


def test_a_gunicorn_restart_on_broken_content_serves_the_last_good_content(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    env = site_environment(tmp_path, smtp.port, content)
    started_site(tmp_path, smtp.port, content, tmp_path / "elsewhere")  # Only migrates.
    with ProcessGroup(tmp_path / "first") as processes:
        (base_url,) = processes.gunicorn_instances(env, count=1, workers=1)
        assert TITLE in page(base_url)
    line = break_seed_position(content)
    with ProcessGroup(tmp_path / "restart") as processes:
        (base_url,) = processes.gunicorn_instances(env, count=1, workers=1)
        assert TITLE in page(base_url)
        log = (tmp_path / "restart" / "gunicorn-1.log").read_text()
    assert "still serving the last good version" in log
    assert line in log.splitlines()


def test_a_first_gunicorn_start_on_broken_content_refuses_with_the_problems(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    line = break_seed_position(content)
    env = site_environment(tmp_path, smtp.port, content)
    command: list[str | Path] = [
        BIN / "gunicorn",
        "--no-control-socket",
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:0",
        "app:app",
    ]
    with ProcessGroup(tmp_path / "logs") as processes:
        server = processes.start("gunicorn", command, env)
        wait_until(server.exited, timeout=60)
    log = server.log_path.read_text()
    # Told that a worker cannot boot, gunicorn stops rather than start new ones forever (with
    # several workers, its own halt may end in a traceback of its own, and exit status 1).
    assert server.popen.returncode != 0
    assert "Worker failed to boot." in log
    assert line in log.splitlines()
