"""The factory: configuration in the order defaults < FLASK_* environment < test mapping."""

import os
import stat
from pathlib import Path

import pytest

from openpositions import create_app
from tests.support.app import app_config, make_app
from tests.support.content import copy_content, replace_in
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test without FLASK_* variables from the shell running the suite."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


def test_testing_only_when_asked(tmp_path: Path, smtp: SmtpSink) -> None:
    config = app_config(tmp_path, smtp.port)
    del config["TESTING"]
    assert not create_app(config).testing
    assert create_app(app_config(tmp_path, smtp.port)).testing


def test_create_app_without_test_config_uses_defaults_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    assert not app.testing
    assert app.instance_path == str(tmp_path / "instance")
    assert app.config["PAGE_MAX_AGE"] == 60
    assert app.config["CONTENT_DIR"] == str(PROJECT_DIR / "config")


def test_defaults_apply_when_nothing_overrides(tmp_path: Path, smtp: SmtpSink) -> None:
    app = create_app(app_config(tmp_path, smtp.port))
    assert app.config["PAGE_MAX_AGE"] == 60
    assert app.config["LANGUAGES"] == ["en", "de"]
    assert app.config["SITE_URL"] == ""


def test_environment_overrides_defaults_parsed_as_json(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_PAGE_MAX_AGE", "42")
    monkeypatch.setenv("FLASK_ENQUIRY_ACKNOWLEDGE", "false")
    monkeypatch.setenv("FLASK_SITE_URL", "https://www.bigearth.eu")
    app = make_app(tmp_path, smtp.port)
    assert app.config["PAGE_MAX_AGE"] == 42
    assert app.config["ENQUIRY_ACKNOWLEDGE"] is False
    assert app.config["SITE_URL"] == "https://www.bigearth.eu"
    response = app.test_client().get("/openpositions")
    assert response.cache_control.max_age == 42
    assert 'href="https://www.bigearth.eu/openpositions"' in response.get_data(as_text=True)


def test_test_config_overrides_environment(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_PAGE_MAX_AGE", "42")
    app = create_app(app_config(tmp_path, smtp.port, PAGE_MAX_AGE=7))
    assert app.config["PAGE_MAX_AGE"] == 7


def test_environment_is_read_when_the_app_is_created(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = create_app(app_config(tmp_path, smtp.port))
    monkeypatch.setenv("FLASK_PAGE_MAX_AGE", "11")
    second = create_app(app_config(tmp_path, smtp.port))
    assert (first.config["PAGE_MAX_AGE"], second.config["PAGE_MAX_AGE"]) == (60, 11)


def test_content_dir_from_environment(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = copy_content(tmp_path)
    replace_in(content, "site.yaml", "project: BigEarth", "project: BigEarth Two")
    monkeypatch.setenv("FLASK_CONTENT_DIR", str(content))
    config = app_config(tmp_path, smtp.port)
    app = create_app(config)
    assert app.config["CONTENT_DIR"] == str(content)
    page = app.test_client().get("/openpositions").text
    assert 'home of the <a href="http://www.bigearth.eu/">BigEarth Two</a> project' in page


def test_relative_paths_are_taken_from_the_project_folder(tmp_path: Path, smtp: SmtpSink) -> None:
    app = create_app(app_config(tmp_path, smtp.port, CONTENT_DIR="config"))
    assert app.config["CONTENT_DIR"] == str(PROJECT_DIR / "config")
    assert app.instance_path == str(tmp_path / "instance")


def test_secret_key_generated_and_kept_in_instance_folder(tmp_path: Path, smtp: SmtpSink) -> None:
    config = app_config(tmp_path, smtp.port, SECRET_KEY=None)
    first = create_app(config)
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert isinstance(first.secret_key, str)
    assert len(first.secret_key) >= 32
    assert first.secret_key == key_file.read_text().strip()
    assert create_app(config).secret_key == first.secret_key
    # No half-written files left beside it.
    assert [p.name for p in key_file.parent.iterdir() if "secret" in p.name] == ["secret_key"]


def test_secret_key_file_is_not_world_readable(tmp_path: Path, smtp: SmtpSink) -> None:
    create_app(app_config(tmp_path, smtp.port, SECRET_KEY=None))
    mode = stat.S_IMODE((tmp_path / "instance" / "secret_key").stat().st_mode)
    assert mode & (stat.S_IROTH | stat.S_IWOTH) == 0, oct(mode)


def test_each_instance_folder_gets_its_own_secret_key(tmp_path: Path, smtp: SmtpSink) -> None:
    one = create_app(app_config(tmp_path / "one", smtp.port, SECRET_KEY=None))
    two = create_app(app_config(tmp_path / "two", smtp.port, SECRET_KEY=None))
    assert one.secret_key != two.secret_key


def test_configured_secret_key_is_used_and_nothing_written(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-long-shared-secret-from-the-environment")
    config = app_config(tmp_path, smtp.port)
    del config["SECRET_KEY"]
    app = create_app(config)
    assert app.secret_key == "a-long-shared-secret-from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_an_unknown_time_zone_stops_the_start_with_what_to_set(tmp_path: Path) -> None:
    from openpositions.settings import SettingError

    with pytest.raises(SettingError, match="FLASK_TIMEZONE: 'Europe/Berlinn' is not a time zone"):
        create_app(app_config(tmp_path, 2525, TIMEZONE="Europe/Berlinn"))


@pytest.mark.parametrize("days", [0, -1, 2.5, "a week", True])
def test_a_retention_under_a_day_stops_the_start_with_what_to_set(
    tmp_path: Path, days: object
) -> None:
    from openpositions.settings import SettingError

    with pytest.raises(SettingError, match="FLASK_ENQUIRY_RETENTION_DAYS: .* at least 1"):
        create_app(app_config(tmp_path, 2525, ENQUIRY_RETENTION_DAYS=days))


def test_a_retention_from_the_environment_arrives_as_a_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_ENQUIRY_RETENTION_DAYS", "30")
    assert create_app(app_config(tmp_path, 2525)).config["ENQUIRY_RETENTION_DAYS"] == 30
