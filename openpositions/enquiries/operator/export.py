"""Enquiries as CSV that spreadsheets open right: the encoding, the delimiter, no formulas."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any

import defusedcsv.csv as defusedcsv
import sqlalchemy as sa

from openpositions.clock import in_group_timezone
from openpositions.enquiries.asked import stored_answers
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.extensions import db

# The enquiry's own columns, as stored.
ENQUIRY_COLUMNS = (
    "reference", "created_at", "status", "attempts", "name", "email", "position_slug",
    "position_title", "language", "message", "sent_at", "last_error", "failed_at",
    "applicant_told_of_failure_at",
)  # fmt: skip
# Each a cell of its own: "CV: cv.pdf (48,213 bytes); Transcripts: ..." and "Earliest start:
# 2027-04-01; ...", as the applicant read the labels and answers.
EXPORT_COLUMNS = (*ENQUIRY_COLUMNS[:10], "documents", "answers", *ENQUIRY_COLUMNS[10:])

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


def export_rows(*where: sa.ColumnElement[bool]) -> Iterator[dict[str, Any]]:
    """Every enquiry (that `where` selects) as a row of EXPORT_COLUMNS, oldest first.

    Only the exported columns, fetched in batches and never kept: memory stays flat whether
    there are a hundred enquiries or fifty thousand. Each batch's documents come in one query,
    without their bytes.
    """
    enquiries = db.session.execute(
        sa.select(Enquiry.id, Enquiry.answers, *(getattr(Enquiry, c) for c in ENQUIRY_COLUMNS))
        .where(*where)
        .order_by(Enquiry.created_at, Enquiry.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    for batch in enquiries.partitions():
        documents = documents_of([row.id for row in batch])
        for row in batch:
            values = {column: getattr(row, column) for column in ENQUIRY_COLUMNS}
            values["documents"] = "; ".join(documents.get(row.id, []))
            values["answers"] = "; ".join(
                f"{answer.label}: {answer.shown}" for answer in stored_answers(row.answers)
            )
            yield values


def documents_of(enquiry_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each enquiry's documents as the export names them, by enquiry id."""
    named: dict[int, list[str]] = {}
    rows = db.session.execute(
        sa.select(
            EnquiryDocument.enquiry_id,
            EnquiryDocument.label,
            EnquiryDocument.filename,
            EnquiryDocument.size,
        )
        .where(EnquiryDocument.enquiry_id.in_(enquiry_ids))
        .order_by(EnquiryDocument.id)
    )
    for enquiry_id, label, filename, size in rows:
        named.setdefault(enquiry_id, []).append(f"{label}: {filename} ({size:,} bytes)")
    return named


def write_csv(rows: Iterable[Mapping[str, Any]], stream: IO[str], delimiter: str = ",") -> int:
    """Write a header and one row (a mapping of EXPORT_COLUMNS) per enquiry to a text stream
    opened with newline="".

    Returns how many enquiries it wrote.
    """
    if delimiter not in DELIMITERS:
        raise ValueError(f"delimiter {delimiter!r} is not one of {DELIMITERS}")
    writer = defusedcsv.writer(stream, delimiter=delimiter)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([cell(row[column]) for column in EXPORT_COLUMNS])
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
