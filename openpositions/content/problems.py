"""What is wrong with the content: errors stop the site, warnings are told and served past."""

from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str
    severity: str = ERROR
    # A fact of site.yaml not known yet (`TODO: ...`): expected for a while, so told in one line
    # together with the others wherever the problems are logged; `flask positions check` lists each.
    placeholder: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        # Warnings carry a prefix, so that a maintainer reading the lines sees what must be fixed.
        prefix = "" if self.is_error else f"{WARNING}: "
        return f"{prefix}{self.path}: {self.field}: {self.message}"


def in_file_order(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Each file's problems together, in the order they were found within it."""
    return tuple(sorted(problems, key=lambda problem: problem.path))


def summarised(problems: Iterable[Problem]) -> list[str]:
    """One line per problem, except the placeholders: one line for all of a file's."""
    problems = tuple(problems)
    placeholders: dict[str, list[str]] = {}
    for problem in problems:
        if problem.placeholder:
            placeholders.setdefault(problem.path, []).append(problem.field)
    lines: list[str] = []
    for problem in problems:
        if not problem.placeholder:
            lines.append(str(problem))
        elif problem.path in placeholders:  # The file's first: its summary goes here.
            lines.append(_placeholder_summary(problem.path, placeholders.pop(problem.path)))
    return lines


def _placeholder_summary(path: str, fields: list[str]) -> str:
    count = f"{len(fields)} fact{'s' if len(fields) != 1 else ''}"
    return (
        f"{WARNING}: {path}: {count} not known yet, left out of the pages ({', '.join(fields)}); "
        "`flask positions check` says what to enter"
    )


class ContentError(Exception):
    """One or more content files are wrong; each problem names file, field and fix.

    `problems` holds the warnings found alongside, so that one run reports everything. As
    text, each problem is a line, but the placeholders, which share one.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = in_file_order(problems)
        super().__init__("\n".join(summarised(self.problems)))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)
