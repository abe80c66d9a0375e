"""Every setting of config/defaults.py is documented, and nothing documented is unknown.

config/defaults.py is what the site reads (Flask takes its upper-case names); docs/configuration.md
documents each setting once, with its default, and .env.example carries each one as FLASK_<NAME>.
These tests fail naming the setting that is missing, unknown or documented with a stale default.
"""

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import PROJECT_DIR

DEFAULTS = PROJECT_DIR / "config" / "defaults.py"
CONFIGURATION = PROJECT_DIR / "docs" / "configuration.md"
ENV_EXAMPLE = PROJECT_DIR / ".env.example"

# An entry of docs/configuration.md: "- `NAME` — default `value`. ..." or "... default empty."
ENTRY = re.compile(r"^- `(?P<name>[A-Z][A-Z0-9_]*)`(?P<rest>.*)$", re.MULTILINE)
ENTRY_DEFAULT = re.compile(r" — default (?:`(?P<value>[^`]*)`|(?P<word>empty|none)\b)")
# A line of .env.example that sets a variable, commented out or not.
ENV_LINE = re.compile(r"^(?P<comment>#\s*)?FLASK_(?P<name>[A-Z0-9_]+)=(?P<value>.*)$", re.MULTILINE)
FLASK_VARIABLE = re.compile(r"\bFLASK_([A-Z0-9_]*[A-Z0-9])")
# A name written like a setting: upper case, words joined by underscores (MAIL_USE_TLS).
SETTING_LIKE = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w-])")
# Variables of other programs that the same files name: gunicorn.conf.py reads these.
OTHER_PROGRAMS = {"GUNICORN_BIND", "WEB_CONCURRENCY"}


def settings() -> dict[str, Any]:
    """The settings as Flask loads them from config/defaults.py: its upper-case names."""
    namespace = runpy.run_path(str(DEFAULTS))
    return {name: value for name, value in namespace.items() if name.isupper()}


def as_environment_reads(text: str) -> Any:
    """A FLASK_<NAME> value as the site reads it: JSON where it parses, else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def shell_value(raw: str) -> str:
    """The value of an env-file line, without the single quotes that systemd and a shell strip."""
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]
    return raw


def listing(names: set[str] | list[str]) -> str:
    return ", ".join(sorted(names))


def test_the_settings_are_read_from_the_defaults() -> None:
    # Guards the tests below against passing on an empty list.
    assert {"SECRET_KEY", "SITE_URL", "ENQUIRY_RECIPIENT", "QUEUE_URL"} <= settings().keys()


def test_each_setting_is_documented_once_in_the_configuration_page() -> None:
    known = settings()
    documented = ENTRY.findall(CONFIGURATION.read_text(encoding="utf-8"))
    names = [name for name, _ in documented]
    missing = known.keys() - set(names)
    unknown = set(names) - known.keys()
    twice = {name for name in names if names.count(name) > 1}
    problems = []
    if missing:
        problems.append(f"settings of config/defaults.py not documented: {listing(missing)}")
    if unknown:
        problems.append(f"documented but not in config/defaults.py: {listing(unknown)}")
    if twice:
        problems.append(f"documented more than once: {listing(twice)}")
    assert not problems, f"{CONFIGURATION.relative_to(PROJECT_DIR)}: " + "; ".join(problems)


def test_the_configuration_page_states_each_default_as_the_code_has_it() -> None:
    known = settings()
    problems = []
    for name, rest in ENTRY.findall(CONFIGURATION.read_text(encoding="utf-8")):
        if name not in known:
            continue  # Reported as unknown above.
        stated = ENTRY_DEFAULT.match(rest)
        if stated is None:
            problems.append(f"{name}: no default (write '— default `value`', 'empty' or 'none')")
            continue
        if stated["word"] == "none":
            value: Any = None
        elif stated["word"] == "empty":
            value = ""
        else:
            value = as_environment_reads(stated["value"])
        if value != known[name]:
            problems.append(f"{name}: documented default {value!r}, the code has {known[name]!r}")
    assert not problems, f"{CONFIGURATION.relative_to(PROJECT_DIR)}: " + "; ".join(problems)


def test_each_setting_is_in_the_env_example() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    present = {match["name"] for match in ENV_LINE.finditer(text)}
    missing = settings().keys() - present
    assert not missing, (
        f".env.example lacks a FLASK_<NAME> line (commented or not) for: {listing(missing)}"
    )


def test_the_env_examples_commented_lines_show_the_default() -> None:
    # "Lines left commented out keep the default shown": so what they show must be the default.
    known = settings()
    problems = []
    for match in ENV_LINE.finditer(ENV_EXAMPLE.read_text(encoding="utf-8")):
        name = match["name"]
        if not match["comment"] or name not in known:
            continue
        shown = as_environment_reads(shell_value(match["value"]))
        default = "" if known[name] is None else known[name]
        if shown != default:
            problems.append(f"FLASK_{name}: shows {shown!r}, the default is {known[name]!r}")
    assert not problems, ".env.example: " + "; ".join(problems)


@pytest.mark.parametrize(
    "path", [CONFIGURATION, ENV_EXAMPLE], ids=lambda path: str(path.relative_to(PROJECT_DIR))
)
def test_every_setting_named_in_the_configuration_and_env_example_is_known(path: Path) -> None:
    known = settings().keys()
    text = path.read_text(encoding="utf-8")
    named = {name.removeprefix("FLASK_") for name in SETTING_LIKE.findall(text)}
    unknown = named - known - OTHER_PROGRAMS
    assert not unknown, (
        f"{path.relative_to(PROJECT_DIR)} names settings that config/defaults.py does not have: "
        f"{listing(unknown)}"
    )


def test_every_flask_variable_in_the_readme_and_the_docs_is_a_setting() -> None:
    known = settings().keys()
    problems = []
    for path in [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]:
        unknown = set(FLASK_VARIABLE.findall(path.read_text(encoding="utf-8"))) - known
        if unknown:
            variables = listing({f"FLASK_{name}" for name in unknown})
            problems.append(f"{path.relative_to(PROJECT_DIR)}: {variables}")
    assert not problems, "not settings of config/defaults.py: " + "; ".join(problems)
