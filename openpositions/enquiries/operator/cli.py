"""`flask enquiries ...`: the operator's view of the inbox."""

import io
import smtplib
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from openpositions.enquiries.delivery.professor_copy import (
    CopyIncomplete,
    first_delivered,
    send_professor_copy,
)
from openpositions.enquiries.delivery.tasks import Resend, resend_undelivered
from openpositions.enquiries.intake.accept import REFERENCE, find_enquiry
from openpositions.enquiries.models import DELIVERY_STATUSES, FAILED, SENT, Enquiry
from openpositions.enquiries.operator.export import (
    DELIMITERS,
    ENCODING,
    EXPORT_COLUMNS,
    export_rows,
    write_csv,
)
from openpositions.enquiries.operator.listing import table_lines
from openpositions.enquiries.operator.retention import purge_expired
from openpositions.extensions import db
from openpositions.formatting import format_moment, visible_controls
from openpositions.mail.refusals import describe
from openpositions.mail.transport import MessageTooLarge

# Enquiries `list` shows unless told otherwise: a screenful or two, the newest.
LIST_LIMIT = 50

enquiries_cli = AppGroup(
    "enquiries", help="List, show, resend, export and purge enquiries; take out a document."
)


def reference_argument(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A reference as typed (rs-7kq2-m9xd will do), or one line and exit 2 for anything else."""
    if value is None:
        return None
    reference = value.strip().upper()
    if not REFERENCE.fullmatch(reference):
        # ascii(): a byte that is not UTF-8 arrives as a lone surrogate, which cannot be printed.
        raise click.BadParameter(f"{ascii(value)} is not a reference like RS-7KQ2-M9XD.")
    return reference


@enquiries_cli.command("list")
@click.option(
    "--status", type=click.Choice(DELIVERY_STATUSES), help="Only enquiries in this state."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=LIST_LIMIT,
    show_default=True,
    help="Show at most this many, the newest.",
)
def list_enquiries(status: str | None, limit: int) -> None:
    """One line per enquiry, newest first; times in the group's zone (TIMEZONE)."""
    chosen = [Enquiry.status == status] if status else []
    query = sa.select(Enquiry).where(*chosen)
    query = query.order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
    # One more than shown, to know whether there are more: a page, not every row in memory.
    enquiries = list(db.session.scalars(query.limit(limit + 1)))
    if not enquiries:
        click.echo(f"No enquiries with status {status}." if status else "No enquiries yet.")
        return
    for line in table_lines(enquiries[:limit]):
        click.echo(line)
    if len(enquiries) > limit:
        older = db.session.scalar(sa.select(sa.func.count()).select_from(Enquiry).where(*chosen))
        click.echo(
            f"... and {int(older or 0) - limit} older; see them with --limit, or all with export."
        )


@enquiries_cli.command("show")
@click.argument("reference", callback=reference_argument)
def show(reference: str) -> None:
    """Everything stored about one enquiry, except the documents' bytes."""
    enquiry = _existing(reference)
    (row,) = export_rows(Enquiry.reference == enquiry.reference)
    for column in EXPORT_COLUMNS:
        if column != "message":
            click.echo(f"{column:15} {_shown(row[column])}".rstrip())
    click.echo(f"\n{visible_controls(enquiry.message)}")


@enquiries_cli.command("resend")
@click.argument("reference", required=False, callback=reference_argument)
@click.option("--failed", "all_failed", is_flag=True, help="Resend every failed enquiry.")
@click.option(
    "--force",
    is_flag=True,
    help="For a delivered enquiry: send the professor its mail again now, marked as a copy.",
)
def resend(reference: str | None, all_failed: bool, force: bool) -> None:
    """Queue an enquiry (or every failed one) for delivery again.

    A delivered enquiry is left as it is: it says when it went. With --force, the professor
    gets its mail again at once, marked as a copy (and counted as one, not as sent).
    """
    if bool(reference) == all_failed:
        raise click.UsageError("Give either a REFERENCE or --failed.")
    if force and all_failed:
        raise click.UsageError(
            "--force sends one delivered enquiry again: give its REFERENCE, not --failed."
        )
    if all_failed:
        targets = list(db.session.scalars(sa.select(Enquiry).where(Enquiry.status == FAILED)))
        if not targets:
            click.echo("No failed enquiries.")
    else:
        enquiry = _existing(reference or "")
        if enquiry.status == SENT:
            _delivered_already(enquiry, send_copy=force)
            return
        targets = [enquiry]
    for enquiry in targets:
        reference = enquiry.reference
        outcome = resend_undelivered(enquiry)
        if outcome is Resend.DELIVERED:
            _delivered_already(enquiry, send_copy=force)
        else:
            click.echo(f"{reference}: {outcome.value}{_what_went_before(enquiry, outcome)}")


def _delivered_already(enquiry: Enquiry, *, send_copy: bool) -> None:
    """Say when a delivered enquiry went; with `send_copy`, send the professor a copy now."""
    sent = first_delivered(enquiry)
    when = format_moment(sent) if sent else "a time not recorded"
    if not send_copy:
        click.echo(
            f"{enquiry.reference}: delivered on {when}; nothing sent. "
            "To send the professor a copy of its mail, add --force."
        )
        return
    try:
        _, count = send_professor_copy(enquiry)
    except CopyIncomplete as incomplete:
        raise click.ClickException(
            f"{enquiry.reference}: the copies of {incomplete.sent} of its {incomplete.count} "
            f"mails were sent; mail {incomplete.sent + 1} was not: "
            f"{describe(incomplete.__cause__)}. Run the command again to send all of them."
        ) from None
    except (smtplib.SMTPException, OSError, MessageTooLarge) as error:
        raise click.ClickException(
            f"{enquiry.reference}: the copy was not sent: {describe(error)}"
        ) from None
    if count == 1:
        click.echo(
            f"{enquiry.reference}: sent the professor a copy of its mail, marked as a copy "
            f"(the first went on {when})."
        )
    else:
        click.echo(
            f"{enquiry.reference}: sent the professor a copy of each of its {count} mails, "
            f"marked as copies (the first went on {when})."
        )


def _what_went_before(enquiry: Enquiry, outcome: Resend) -> str:
    """What the operator should know of a resent enquiry's earlier mails, if anything."""
    if outcome is Resend.WITHDRAWN:
        return ""
    notes = []
    if enquiry.notified_at is not None:
        notes.append(
            f"the professor has had it since {format_moment(enquiry.notified_at)}; "
            "only the receipt is left to send"
        )
    if enquiry.applicant_told_of_failure_at is not None:
        notes.append(
            f"its applicant was told on {format_moment(enquiry.applicant_told_of_failure_at)} "
            "that it could not be delivered"
        )
    return f" ({'; '.join(notes)})" if notes else ""


@enquiries_cli.command("export")
@click.option(
    "--delimiter",
    type=click.Choice(DELIMITERS),
    default=",",
    show_default=True,
    help="Between cells: ';' for Excel set up for German.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    help="The file to write (default: standard output).",
)
def export(delimiter: str, output: Path) -> None:
    """Every enquiry as CSV for a spreadsheet (the documents named, not their bytes).

    UTF-8 with a byte-order mark, times in ISO 8601 with their offset in the group's zone, and
    any cell a spreadsheet would run as a formula made plain text with a leading apostrophe.
    """
    enquiries = export_rows()
    try:
        with click.open_file(output, "wb") as binary:
            # One text layer of our own on the bytes, standard output's or the file's, so
            # that its encoder writes the byte-order mark once, as the very first bytes.
            text = io.TextIOWrapper(binary, ENCODING, newline="")
            count = write_csv(enquiries, text, delimiter)
            text.flush()
            text.detach()  # Closing our layer must not close standard output.
    except OSError as error:
        raise click.ClickException(f"Cannot write {output}: {error.strerror}.") from None
    if not _is_stdout(output):
        click.echo(f"Wrote {count} enquiries to {output}.")


@enquiries_cli.command("document")
@click.argument("reference", callback=reference_argument)
@click.argument("key", default="cv")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="The file to write, '-' for standard output (default: KEY-REFERENCE.pdf).",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def document(reference: str, key: str, output: Path | None, force: bool) -> None:
    """Write an enquiry's document KEY (default: cv) exactly as it was uploaded."""
    enquiry = _existing(reference)
    found = next((d for d in enquiry.documents if d.key == key), None)
    if found is None:
        keys = ", ".join(d.key for d in enquiry.documents)
        raise click.ClickException(
            f"Enquiry {enquiry.reference} has no document {key!r}"
            + (f"; it has: {keys}." if keys else "; it came without documents.")
        )
    data = found.data
    path = output or Path(f"{found.key}-{enquiry.reference}.pdf")
    try:
        # "x" creates the file and fails if it exists, in one step.
        with click.open_file(path, "wb" if force else "xb") as file:
            if _is_stdout(path) and file.isatty():
                raise click.UsageError(
                    "Standard output is a terminal: redirect it or give -o FILE."
                )
            file.write(data)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; add --force to overwrite it.") from None
    except OSError as error:
        raise click.ClickException(f"Cannot write {path}: {error.strerror}.") from None
    where = f"the document {found.key} to standard output" if _is_stdout(path) else str(path)
    # On standard error when standard output is the file, so that it holds nothing else.
    click.echo(
        f"Wrote {where} ({len(data):,} bytes, uploaded as {found.filename}).",
        err=_is_stdout(path),
    )


@enquiries_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Retention in days, at least 1 (default: ENQUIRY_RETENTION_DAYS).",
)
def purge(days: int | None) -> None:
    """Delete delivered enquiries and their documents older than the retention period.

    Enquiries never delivered (pending or failed) are kept, however old: resend them.
    """
    purged = purge_expired(days)
    click.echo(f"Deleted {purged.deleted} enquiries.")
    if purged.kept_undelivered:
        click.echo(
            f"Kept {purged.kept_undelivered} older enquiries that were never delivered; "
            "see them with: flask enquiries list --status failed (or pending)."
        )


def _existing(reference: str) -> Enquiry:
    enquiry = find_enquiry(reference)
    if enquiry is None:
        raise click.ClickException(f"No enquiry with reference {reference!r}.")
    return enquiry


def _is_stdout(path: Path) -> bool:
    return str(path) == "-"


def _shown(value: object) -> str:
    """A stored value for `show`: times in the group's zone, nothing for what is unset."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_moment(value)
    return str(value)
