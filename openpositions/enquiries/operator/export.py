"""Enquiries as CSV that spreadsheets open right: the encoding, the delimiter, no formulas."""

from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

import defusedcsv.csv as defusedcsv

from openpositions.clock import in_group_timezone

EXPORT_COLUMNS = (
    "reference", "created_at", "status", "attempts", "name", "email", "position_slug",
    "position_title", "language", "message", "cv_filename", "cv_size", "sent_at", "last_error",
    "failed_at", "applicant_told_of_failure_at",
)  # fmt: skip

# Rows fetched from the database at a time.
EXPORT_BATCH = 500

# Comma for most spreadsheets; semicolon for those set up for German, where the comma is the
# decimal separator and a comma-separated file opens as one column.
DELIMITERS = (",", ";")

# Excel takes a UTF-8 file for its local code page (Windows-1252 in Germany: "MÃ¼ller") unless
# the file starts with a byte-order mark. The "-sig" codec writes it before the first text.
ENCODING = "utf-8-sig"

# OWASP's CSV-injection advice names these first characters; defusedcsv neutralises =, +, -
# and @ (and | and %), but not a leading tab or carriage return, which some spreadsheets skip
# before reading the rest as a formula.
FIRST_CHARACTERS_DEFUSEDCSV_MISSES = ("\t", "\r")
# What defusedcsv puts before a dangerous cell: spreadsheets read the cell as text and hide it.
NEUTRALISING_PREFIX = "'"


def write_csv(enquiries: Iterable[Any], stream: IO[str], delimiter: str = ",") -> int:
    """Write a header and one row per enquiry to a text stream opened with newline="".

    Each enquiry is an Enquiry or a row of EXPORT_COLUMNS, read by column name.

    Returns how many enquiries it wrote.
    """
    if delimiter not in DELIMITERS:
        raise ValueError(f"delimiter {delimiter!r} is not one of {DELIMITERS}")
    writer = defusedcsv.writer(stream, delimiter=delimiter)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for enquiry in enquiries:
        writer.writerow([cell(getattr(enquiry, column)) for column in EXPORT_COLUMNS])
        count += 1
    return count


def cell(value: Any) -> Any:
    """A stored value as the spreadsheet should see it (defusedcsv does the rest)."""
    if isinstance(value, datetime):
        # ISO 8601 with the offset: unambiguous, and sorts as text within one offset.
        return in_group_timezone(value).isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(FIRST_CHARACTERS_DEFUSEDCSV_MISSES):
        return NEUTRALISING_PREFIX + value
    return value
