"""`make run` starts its mail sink on MAIL_SINK_PORT, and the site it serves sends there.

Read from make's dry run (`make -n`), which prints the commands and runs none: `make run`
itself would install into the environment these tests run in.
"""

import re
import shutil
import subprocess

import pytest

from tests.support.paths import PROJECT_DIR


def run_recipe(*variables: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(
        ["make", "-n", "run", *variables],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize(("variables", "port"), [((), "8025"), (("MAIL_SINK_PORT=2626",), "2626")])
def test_the_sink_and_the_sites_mail_share_the_port(variables: tuple[str, ...], port: str) -> None:
    recipe = run_recipe(*variables)
    sink = re.search(r"-m aiosmtpd .*-l 127\.0\.0\.1:(\d+)", recipe)
    assert sink, recipe
    assert sink.group(1) == port
    assert re.search(rf"FLASK_MAIL_SERVER=127\.0\.0\.1 FLASK_MAIL_PORT={port}\b", recipe), recipe
    assert "flask --app app run" in recipe
