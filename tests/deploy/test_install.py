"""A site installed as docs/deployment.md says serves German at /de/; a missed step stops it.

The project's files are copied as a fresh clone has them: no compiled catalogue (`*.mo` are not
in git), no instance folder. Then each step of the deployment's "Each deploy" block runs in the
copy, and the web service starts as its systemd unit starts it. The steps' programs are those of
the environment running the tests: installing into it would change what the other tests run.
"""

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from openpositions import create_app
from openpositions.settings import SettingError
from tests.support.app import app_config
from tests.support.net import free_port, http_request
from tests.support.paths import PROJECT_DIR
from tests.support.processes import Process, environment, site_files, stop_all, wait_serving

BIN = Path(sys.executable).parent
CATALOGUE = Path("translations") / "de" / "LC_MESSAGES" / "messages.mo"
MISSING = (
    "{catalogue} is missing: the pages in 'de' would be in English. Compile the catalogues "
    "with: pybabel compile -d {directory}"
)


def fresh_copy(target: Path) -> Path:
    """The project's files as a clone of the repository has them, with the work not yet
    committed: what git tracks or would track, nothing it ignores (catalogues, instance)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_DIR / name
        if source.is_file():  # Not a file deleted but not yet committed.
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())
    assert not (target / CATALOGUE).exists()
    return target


def deploy_steps(project: Path) -> list[str]:
    """The commands of the "Each deploy" block of docs/deployment.md, continuations joined."""
    guide = (project / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = guide.split("## Each deploy", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "docs/deployment.md has an 'Each deploy' block of commands"
    script = block.group(1).replace("\\\n", " ")
    return [line.split("#", 1)[0].strip() for line in script.splitlines() if line.strip()]


def as_run_here(step: str) -> list[str] | None:
    """A step as a command in the copy, with the test environment's programs; None to skip it."""
    words = shlex.split(step)
    if words[:2] == ["sudo", "-u"]:
        # As the site's user, with the env file: here, this user, with the test's settings.
        inner = words[words.index("-c") + 1]
        words = shlex.split(inner.rsplit("exec ", 1)[1])
    if words[0] == ".venv/bin/pip" and words[1] == "install":
        return None  # The test's environment has the site's dependencies already.
    if words[0].startswith(".venv/bin/"):
        return [str(BIN / Path(words[0]).name), *words[1:]]
    if words[0] == "systemctl":
        return None  # The services start below, as their units say.
    pytest.fail(f"a deployment step this test does not know how to run: {step}")


def web_service_command(project: Path) -> list[str]:
    """The web service's command, as its systemd unit runs it, with the test's programs."""
    unit = (project / "deploy" / "systemd" / "openpositions-web.service").read_text()
    (start,) = re.findall(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    program, *arguments = shlex.split(start)
    return [str(BIN / Path(program).name), *arguments]


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, str]:
    return environment(
        {**site_files(tmp_path / "site"), "SECRET_KEY": "install-test", "QUEUE_IN_PROCESS": False}
    )


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    stop_all(processes)


def run_steps(
    project: Path, env: Mapping[str, str], *, leave_out: str = ""
) -> list[subprocess.CompletedProcess[str]]:
    """Run the deployment's steps in `project`, but those holding `leave_out`; stop at a failure."""
    done = []
    for step in deploy_steps(project):
        command = as_run_here(step)
        if command is None or (leave_out and leave_out in step):
            continue
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        done.append(result)
        if result.returncode != 0:
            break
    return done


def start_web(
    project: Path, env: Mapping[str, str], started: list[subprocess.Popen[bytes]]
) -> tuple[Process, str]:
    port = free_port()
    log_path = project / "web.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            web_service_command(project),
            cwd=project,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started.append(popen)
    return Process("web", popen, log_path), f"http://127.0.0.1:{port}"


def test_installed_as_the_deployment_says_the_site_serves_german_at_de(
    tmp_path: Path, settings: dict[str, str], started: list[subprocess.Popen[bytes]]
) -> None:
    project = fresh_copy(tmp_path / "openpositions")
    for result in run_steps(project, settings):
        assert result.returncode == 0, f"{result.args}:\n{result.stderr}"
    assert (project / CATALOGUE).is_file(), "a step of the deployment compiles the catalogues"

    web, base_url = start_web(project, settings, started)
    wait_serving(web, base_url)
    status, body = http_request(base_url, "GET", "/de/openpositions")
    page = body.decode()
    assert status == 200
    assert '<html lang="de"' in page
    assert "Offene Stellen" in page and "Open positions" not in page


def test_a_deploy_that_missed_compiling_stops_naming_file_and_command(
    tmp_path: Path, settings: dict[str, str], started: list[subprocess.Popen[bytes]]
) -> None:
    project = fresh_copy(tmp_path / "openpositions")
    *_, upgrade = run_steps(project, settings, leave_out="pybabel compile")
    message = MISSING.format(catalogue=project / CATALOGUE, directory=project / "translations")
    assert "db upgrade" in " ".join(upgrade.args)
    assert upgrade.returncode != 0
    assert upgrade.stderr.strip().endswith(message), upgrade.stderr
    assert "Traceback" not in upgrade.stderr

    web, base_url = start_web(project, settings, started)
    assert web.popen.wait(timeout=60) != 0, "the web service does not start"
    assert message in web.log()
    assert "Traceback" not in web.log()


def test_the_site_refuses_to_start_without_a_compiled_catalogue(tmp_path: Path) -> None:
    empty = tmp_path / "translations"
    empty.mkdir()
    config = app_config(tmp_path, 0, BABEL_TRANSLATION_DIRECTORIES=str(empty))
    with pytest.raises(SettingError) as refused:
        create_app(config)
    assert str(refused.value) == MISSING.format(
        catalogue=empty / CATALOGUE.relative_to("translations"), directory=empty
    )
