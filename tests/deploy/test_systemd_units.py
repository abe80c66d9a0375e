"""The systemd units in deploy/ are ones systemd accepts, the project in /srv/openpositions."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_DIR

UNITS = sorted((PROJECT_DIR / "deploy" / "systemd").glob("*.service"))


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        reason = "systemd-analyze is not installed (it comes with systemd)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it")
        pytest.skip(f"{reason}; the units are not verified")
    return found


def test_there_are_units_for_the_site_and_the_queue() -> None:
    assert [unit.name for unit in UNITS] == [
        "openpositions-web.service",
        "openpositions-worker.service",
    ]


def test_systemd_analyze_verify_finds_nothing_wrong(tmp_path: Path) -> None:
    binary = systemd_analyze()
    # As installed, but with this project where /srv/openpositions would be (verify checks
    # that the commands exist) and an env file of its own.
    env_file = tmp_path / "openpositions.env"
    env_file.write_text("")
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        assert "/srv/openpositions" in text and "/etc/openpositions.env" in text
        text = text.replace("/srv/openpositions", str(PROJECT_DIR))
        (tmp_path / unit.name).write_text(text.replace("/etc/openpositions.env", str(env_file)))
    done = subprocess.run(
        [binary, "verify", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Unknown keys and bad values are only warnings, with exit status 0: none may be printed.
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
