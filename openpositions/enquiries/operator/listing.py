"""The operator's table of enquiries: columns that line up, whatever script a name is in."""

import unicodedata
from collections.abc import Sequence

from openpositions.enquiries.models import SENT, Enquiry
from openpositions.formatting import format_moment

HEADER = ("reference", "received", "status", "attempts", "position", "applicant")
# Widest a column may grow, in terminal cells; longer values end in an ellipsis. The applicant,
# last, is capped too so that a long name does not wrap the line.
MAX_WIDTHS = (16, 24, 8, 8, 32, 60)
RIGHT_ALIGNED = {"attempts"}
ELLIPSIS = "…"
GAP = "  "


def table_lines(enquiries: Sequence[Enquiry]) -> list[str]:
    """The header and one line per enquiry, plus its last error while it is not yet sent."""
    rows = [HEADER, *(_row(enquiry) for enquiry in enquiries)]
    rows = [
        tuple(truncate(value, cap) for value, cap in zip(row, MAX_WIDTHS, strict=True))
        for row in rows
    ]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [_aligned(rows[0], widths)]
    for enquiry, row in zip(enquiries, rows[1:], strict=True):
        lines.append(_aligned(row, widths))
        # A delivered enquiry's error belongs to an attempt that no longer matters.
        if enquiry.status != SENT and enquiry.last_error:
            lines.append(
                f"{' ' * widths[0]}{GAP}last error: {' '.join(enquiry.last_error.split())}"
            )
    return lines


def _row(enquiry: Enquiry) -> tuple[str, ...]:
    return (
        enquiry.reference,
        format_moment(enquiry.created_at),
        enquiry.status,
        str(enquiry.attempts),
        enquiry.position_slug,
        f"{enquiry.name} <{enquiry.email}>",
    )


def _aligned(row: Sequence[str], widths: Sequence[int]) -> str:
    cells = []
    for name, value, width in zip(HEADER, row, widths, strict=True):
        padding = " " * (width - display_width(value))
        cells.append(padding + value if name in RIGHT_ALIGNED else value + padding)
    return GAP.join(cells).rstrip()


def char_width(char: str) -> int:
    """Terminal cells one character takes: two for wide East Asian ones, none for accents."""
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def display_width(text: str) -> int:
    return sum(char_width(char) for char in text)


def truncate(text: str, width: int) -> str:
    """`text` cut to at most `width` terminal cells, ending in an ellipsis where it was cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        if used + char_width(char) > width - 1:
            break
        kept.append(char)
        used += char_width(char)
    return "".join(kept) + ELLIPSIS
