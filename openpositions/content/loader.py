"""Load and validate all of the group's content: the site, the positions, their translations."""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from openpositions.content.entities import Content, Position, Site
from openpositions.content.fields import Fields, Findings, Invalid
from openpositions.content.positions import load_position, load_translation
from openpositions.content.problems import WARNING, ContentError, Problem, in_file_order
from openpositions.content.reading import read_yaml
from openpositions.content.review import review_positions
from openpositions.content.site import SLUG, category_keys, load_site

T = TypeVar("T")
Translations = dict[str, dict[str, dict[str, Any]]]


def load_content(
    content_dir: str | Path,
    display_root: Path | None = None,
    languages: Sequence[str] = ("en", "de"),
    today: date | None = None,
) -> Content:
    """Load the site and its positions in English, with a view per other language.

    Raises ContentError listing every problem in every file, one line each, with the warnings
    found alongside. Given `today`, the warnings include what has gone stale by that day.
    """
    content_dir = Path(content_dir)
    # Taken before reading: a file edited while it is read then changes the version once more.
    version = content_version(content_dir)
    languages = tuple(dict.fromkeys(("en", *languages)))
    shown = _display(display_root)
    problems: list[Problem] = []
    site_file = shown(content_dir / "site.yaml")
    site_data = _collect(problems, site_file, partial(_read_site, content_dir))
    sites = _load_sites(site_data, languages, site_file, problems)
    english_site = sites.get("en")
    if english_site is not None:
        # Facts not known yet: the site runs, its legal pages leave them out, the check warns.
        problems.extend(
            Problem(site_file, placeholder.field, placeholder.message, WARNING, placeholder=True)
            for placeholder in english_site.placeholders
        )
    categories = category_keys(site_data) if site_data is not None else None
    positions_in = _load_positions(content_dir, categories, languages, shown, problems)
    positions = positions_in["en"]
    translations = _load_translations(content_dir, positions, languages, shown, problems)
    if today is not None:
        problems.extend(review_positions(positions, translations, languages, today))
    if any(p.is_error for p in problems) or english_site is None:
        raise ContentError(problems)
    return Content(
        site=english_site,
        positions=positions,
        version=version,
        warnings=in_file_order(problems),
        translations={
            language: Content(
                site=sites[language],
                positions=tuple(
                    replace(p, language=language, **translations[language][p.slug])
                    if p.slug in translations[language]
                    else p
                    for p in positions_in[language]
                ),
                version=version,
                language=language,
            )
            for language in languages
            if language != "en"
        },
    )


def _read_site(content_dir: Path, findings: Findings) -> dict[str, Any]:
    return read_yaml(content_dir / "site.yaml")


def _load_sites(
    site_data: dict[str, Any] | None,
    languages: tuple[str, ...],
    shown: str,
    problems: list[Problem],
) -> dict[str, Site]:
    """site.yaml's texts in each language; none where it has a mistake."""
    sites: dict[str, Site] = {}
    if site_data is None:
        return sites
    for language in languages:
        site = _collect(problems, shown, partial(_site_in, site_data, language, languages))
        if site is None:
            break  # The same mistakes would be reported once per language.
        sites[language] = site
    return sites


def _site_in(
    data: dict[str, Any], language: str, languages: tuple[str, ...], findings: Findings
) -> Site | None:
    return load_site(Fields(data, language=language, languages=languages, findings=findings))


def _load_positions(
    content_dir: Path,
    categories: tuple[str, ...] | None,
    languages: tuple[str, ...],
    shown: Callable[[Path], str],
    problems: list[Problem],
) -> dict[str, tuple[Position, ...]]:
    """{language: the positions as that language reads the English files}, newest first."""
    positions: list[dict[str, Position]] = []
    slugs: dict[str, Path] = {}
    for path in _position_files(content_dir):
        if "." in path.stem:
            continue  # A translation: read once every position is known.
        load = partial(load_position, path, categories, shown=shown(path), languages=languages)
        in_languages = _collect(problems, shown(path), load)
        if in_languages is None:
            continue
        position = in_languages["en"]
        if position.slug in slugs:
            taken_by = shown(slugs[position.slug])
            problems.append(
                Problem(shown(path), "slug", f"{position.slug!r} is already used by {taken_by}")
            )
            continue
        slugs[position.slug] = path
        positions.append(in_languages)
    positions.sort(key=lambda p: (p["en"].date_posted, p["en"].slug), reverse=True)
    return {language: tuple(p[language] for p in positions) for language in languages}


def _load_translations(
    content_dir: Path,
    positions: tuple[Position, ...],
    languages: tuple[str, ...],
    shown: Callable[[Path], str],
    problems: list[Problem],
) -> Translations:
    """{language: {slug: translated fields}} from the <slug>.<language>.md files."""
    translations: Translations = {lang: {} for lang in languages}
    slugs = {p.slug for p in positions}
    files = _position_files(content_dir)
    english_files = {path.stem for path in files if "." not in path.stem}
    for path in files:
        slug, _, language = path.stem.rpartition(".")
        if not slug:
            continue  # Not a translation.
        if language not in languages or language == "en" or not SLUG.fullmatch(slug):
            offered = ", ".join(lang for lang in languages if lang != "en")
            message = f"name it <slug>.<language>.md, the language one of: {offered}"
            problems.append(Problem(shown(path), "file name", message))
        elif slug not in english_files:
            message = f"translates {slug}.md, which does not exist; name it after its position"
            problems.append(Problem(shown(path), "file name", message))
        else:
            # Read even where its position failed to load: its own mistakes are reported too.
            texts = _collect(problems, shown(path), partial(load_translation, path))
            if texts is not None and slug in slugs:
                translations[language][slug] = texts
    return translations


def content_version(content_dir: str | Path) -> str:
    """A short hash that changes when any content file is added, removed or edited.

    Cheap enough to take every second: names, sizes and modification times, no file read.
    """
    stats = []
    for path in content_files(Path(content_dir)):
        try:
            stat = path.stat()
        except OSError:
            continue  # Removed (or never there): its absence changes the hash.
        stats.append((path.name, stat.st_mtime_ns, stat.st_size))
    return fingerprint(stats)


def fingerprint(stats: Iterable[tuple[str, int, int]]) -> str:
    """content_version of files with these (name, modification time in ns, size)."""
    digest = hashlib.sha256()
    for name, modified_ns, size in stats:
        digest.update(f"{name}\0{modified_ns}\0{size}\0".encode())
    return digest.hexdigest()[:16]


def content_files(content_dir: Path) -> list[Path]:
    """site.yaml and the position files, all that the content is read from."""
    return [content_dir / "site.yaml", *_position_files(content_dir)]


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


def _collect(problems: list[Problem], shown: str, load: Callable[[Findings], T | None]) -> T | None:
    """What load() returns, with every error and warning it found added to `problems`.

    load() notes most mistakes in its Findings and goes on; what it raises (a file that cannot
    be read, YAML that does not parse) ends that file's checks.
    """
    findings = Findings()
    result: T | None = None
    try:
        result = load(findings)
    except Invalid as invalid:
        findings.errors.append(invalid)
    except OSError as error:
        findings.errors.append(Invalid("file", f"cannot be read: {error.strerror}"))
    except UnicodeDecodeError:
        findings.errors.append(Invalid("file", "is not UTF-8 text; save it as UTF-8"))
    problems.extend(Problem(shown, e.field, e.message) for e in findings.errors)
    problems.extend(Problem(shown, w.field, w.message, WARNING) for w in findings.warnings)
    return None if findings.errors else result
