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


class ContentError(Exception):
    """One or more content files are wrong; each problem names file, field and fix.

    `problems` holds the warnings found alongside, so that one run reports everything.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = in_file_order(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)
