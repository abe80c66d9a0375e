"""Load and validate all of the group's content: the site, the positions, their translations."""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from openpositions.content.fields import Fields, Invalid, read_yaml
from openpositions.content.models import Content, Position, Site
from openpositions.content.positions import load_position, load_translation
from openpositions.content.site import SLUG, load_site

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class ContentError(Exception):
    """One or more content files are wrong; each problem names file, field and fix."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_content(
    content_dir: str | Path,
    display_root: Path | None = None,
    languages: Sequence[str] = ("en", "de"),
) -> Content:
    """Load the site and its positions in English, with a view per other language.

    Raises ContentError listing every problem, one line each.
    """
    content_dir = Path(content_dir)
    languages = tuple(dict.fromkeys(("en", *languages)))
    shown = _display(display_root)
    problems: list[Problem] = []
    site_file = content_dir / "site.yaml"
    site_data = _collect(problems, shown(site_file), partial(read_yaml, site_file))
    sites: dict[str, Site] = {}
    if site_data is not None:
        for language in languages:
            fields = Fields(site_data, language=language, languages=languages)
            site = _collect(problems, shown(site_file), partial(load_site, fields))
            if site is None:
                break  # The same mistake would be reported once per language.
            sites[language] = site
    english_site = sites.get("en")
    positions = _load_positions(content_dir, english_site, shown, problems)
    translations = _load_translations(content_dir, positions, languages, shown, problems)
    if problems or english_site is None:
        raise ContentError(problems)
    version = content_fingerprint(content_dir)
    return Content(
        site=english_site,
        positions=positions,
        version=version,
        translations={
            language: Content(
                site=sites[language],
                positions=tuple(
                    replace(p, language=language, **translations[language][p.slug])
                    if p.slug in translations[language]
                    else p
                    for p in positions
                ),
                version=version,
                language=language,
            )
            for language in languages
            if language != "en"
        },
    )


def _load_positions(
    content_dir: Path, site: Site | None, shown: Callable[[Path], str], problems: list[Problem]
) -> tuple[Position, ...]:
    positions: list[Position] = []
    slugs: dict[str, Path] = {}
    for path in _position_files(content_dir):
        if "." in path.stem:
            continue  # A translation: read once every position is known.
        position = _collect(problems, shown(path), partial(load_position, path, site))
        if position is None:
            continue
        if position.slug in slugs:
            taken_by = shown(slugs[position.slug])
            problems.append(
                Problem(shown(path), "slug", f"{position.slug!r} is already used by {taken_by}")
            )
            continue
        slugs[position.slug] = path
        positions.append(position)
    positions.sort(key=lambda p: (p.date_posted, p.slug), reverse=True)
    return tuple(positions)


def _load_translations(
    content_dir: Path,
    positions: tuple[Position, ...],
    languages: tuple[str, ...],
    shown: Callable[[Path], str],
    problems: list[Problem],
) -> dict[str, dict[str, dict[str, Any]]]:
    """{language: {slug: translated fields}} from the <slug>.<language>.md files."""
    translations: dict[str, dict[str, dict[str, Any]]] = {lang: {} for lang in languages}
    slugs = {p.slug for p in positions}
    files = _position_files(content_dir)
    english_files = {path.stem for path in files if "." not in path.stem}
    for path in files:
        slug, _, language = path.stem.rpartition(".")
        if not slug or (slug in english_files and slug not in slugs):
            continue  # Not a translation, or its position failed to load (and says why).
        if language not in languages or language == "en" or not SLUG.fullmatch(slug):
            offered = ", ".join(lang for lang in languages if lang != "en")
            message = f"name it <slug>.<language>.md, the language one of: {offered}"
            problems.append(Problem(shown(path), "file name", message))
        elif slug not in slugs:
            message = f"translates {slug}.md, which does not exist; name it after its position"
            problems.append(Problem(shown(path), "file name", message))
        else:
            texts = _collect(problems, shown(path), partial(load_translation, path))
            if texts is not None:
                translations[language][slug] = texts
    return translations


def content_fingerprint(content_dir: str | Path) -> str:
    """A short hash that changes when any content file is added, removed or edited."""
    content_dir = Path(content_dir)
    digest = hashlib.sha256()
    for path in [content_dir / "site.yaml", *_position_files(content_dir)]:
        if path.exists():
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_mtime_ns}\0{stat.st_size}\0".encode())
    return digest.hexdigest()[:16]


def _position_files(content_dir: Path) -> list[Path]:
    return sorted((content_dir / "positions").glob("*.md"))


def _display(root: Path | None) -> Callable[[Path], str]:
    def shown(path: Path) -> str:
        if root is not None:
            try:
                return str(path.resolve().relative_to(root.resolve()))
            except ValueError:
                pass
        return str(path)

    return shown


def _collect(problems: list[Problem], shown: str, load: Callable[[], T]) -> T | None:
    try:
        return load()
    except Invalid as invalid:
        problems.append(Problem(shown, invalid.field, invalid.message))
    except OSError as error:
        problems.append(Problem(shown, "file", f"cannot be read: {error.strerror}"))
    except UnicodeDecodeError:
        problems.append(Problem(shown, "file", "is not UTF-8 text; save it as UTF-8"))
    return None


def placeholder_warnings(
    content_dir: str | Path, site: Site, display_root: Path | None = None
) -> tuple[Problem, ...]:
    """One warning per fact site.yaml leaves as `TODO: ...`: not an error, as the site can run
    without it, but its legal pages are incomplete until it is entered."""
    shown = _display(display_root)(Path(content_dir) / "site.yaml")
    return tuple(Problem(shown, p.field, p.message) for p in site.placeholders)
