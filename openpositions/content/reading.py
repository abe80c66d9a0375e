"""Reading content files: site.yaml and the YAML front matter of the Markdown files."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from openpositions.content.fields import Invalid

if TYPE_CHECKING:
    SafeLoader = yaml.SafeLoader
else:
    # libyaml's parser, which PyYAML's wheels carry: several times faster than pure Python,
    # which matters to a group with hundreds of position files.
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentLoader(SafeLoader):
    """safe_load's YAML, except that an impossible date (2026-02-30) is kept as text.

    PyYAML raises a bare ValueError for those, naming no field; as text, the field's own
    check reports it.
    """


def _timestamp_or_text(loader: ContentLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


ContentLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class FrontMatter(YAMLHandler):
    """Front matter read with ContentLoader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=ContentLoader)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=ContentLoader)
    except yaml.YAMLError as error:
        raise Invalid("yaml", yaml_problem(error)) from None
    if not isinstance(data, dict):
        raise Invalid("yaml", "must be a mapping of fields")
    return data


def yaml_problem(error: yaml.YAMLError, first_line: int = 1) -> str:
    """PyYAML's complaint with the line in the file; `first_line` is where the YAML began."""
    problem = getattr(error, "problem", None) or "is not valid YAML"
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + first_line}" if mark is not None else ""
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None:
        where += f" ({context} at line {context_mark.line + first_line})"
    return f"{problem}{where}"


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the Markdown body of a content file."""
    text = path.read_text(encoding="utf-8")
    handler = FrontMatter()
    try:
        # parse(), not loads(): a Post takes the fields as keywords, which fails on `2026: ...`.
        metadata, body = frontmatter.parse(text, handler=handler)
    except yaml.YAMLError as error:
        raise Invalid("front matter", yaml_problem(error, front_matter_line(text))) from None
    return dict(metadata), body


def front_matter_line(text: str) -> int:
    """The line of the file on which the YAML that PyYAML counts from begins.

    python-frontmatter strips the text and hands PyYAML what follows the opening `---`, so
    PyYAML's line 0 is the `---` line itself: found here, rather than assumed to be the first,
    as blank lines may come before it.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return number
    return 1
