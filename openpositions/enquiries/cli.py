"""`flask enquiries ...` and `flask queue worker`: the operator's view of the inbox."""

import csv
import logging
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from openpositions.enquiries.accept import find_enquiry
from openpositions.enquiries.models import FAILED, STATUSES, Enquiry
from openpositions.enquiries.queue import delivery_queue, requeue
from openpositions.enquiries.retention import purge_expired
from openpositions.extensions import db

enquiries_cli = AppGroup("enquiries", help="List, show, resend, export and purge enquiries.")
queue_cli = AppGroup("queue", help="Run the delivery queue.")

EXPORT_COLUMNS = (
    "reference", "created_at", "status", "attempts", "name", "email", "position_slug",
    "position_title", "language", "message", "cv_filename", "cv_size", "sent_at", "last_error",
)  # fmt: skip


@enquiries_cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only enquiries in this state.")
def list_enquiries(status: str | None) -> None:
    """One line per enquiry, newest first."""
    query = sa.select(Enquiry).order_by(Enquiry.created_at.desc())
    if status:
        query = query.where(Enquiry.status == status)
    for enquiry in db.session.scalars(query):
        click.echo(
            f"{enquiry.reference}  {enquiry.created_at:%Y-%m-%d %H:%M}  {enquiry.status:7}  "
            f"attempts={enquiry.attempts}  {enquiry.position_slug}  "
            f"{enquiry.name} <{enquiry.email}>"
            + (f"  last error: {enquiry.last_error}" if enquiry.last_error else "")
        )


@enquiries_cli.command("show")
@click.argument("reference")
def show(reference: str) -> None:
    """Everything stored about one enquiry, except the CV's bytes."""
    enquiry = _existing(reference)
    for column in EXPORT_COLUMNS:
        if column != "message":
            click.echo(f"{column:15} {getattr(enquiry, column)}")
    click.echo(f"\n{enquiry.message}")


@enquiries_cli.command("resend")
@click.argument("reference", required=False)
@click.option("--failed", "all_failed", is_flag=True, help="Resend every failed enquiry.")
def resend(reference: str | None, all_failed: bool) -> None:
    """Queue an enquiry (or every failed one) for delivery again."""
    if bool(reference) == all_failed:
        raise click.UsageError("Give either a REFERENCE or --failed.")
    if all_failed:
        targets = list(db.session.scalars(sa.select(Enquiry).where(Enquiry.status == FAILED)))
    else:
        targets = [_existing(reference or "")]
    for enquiry, queued in requeue(targets, fresh_attempts=True):
        click.echo(f"{enquiry.reference}: {'queued' if queued else 'pending (queue unreachable)'}")
    if not targets:
        click.echo("No failed enquiries.")


@enquiries_cli.command("export")
def export() -> None:
    """Every enquiry as CSV on standard output (without the CVs)."""
    writer = csv.writer(sys.stdout)
    writer.writerow(EXPORT_COLUMNS)
    for enquiry in db.session.scalars(sa.select(Enquiry).order_by(Enquiry.created_at)):
        writer.writerow([getattr(enquiry, column) for column in EXPORT_COLUMNS])


@enquiries_cli.command("purge")
@click.option("--days", type=int, help="Retention in days (default: ENQUIRY_RETENTION_DAYS).")
def purge(days: int | None) -> None:
    """Delete enquiries and CVs older than the retention period."""
    click.echo(f"Deleted {purge_expired(days)} enquiries.")


@queue_cli.command("worker")
@click.option("--workers", type=int, help="Delivery threads (default: QUEUE_WORKERS).")
def worker(workers: int | None) -> None:
    """Deliver enquiries in this process (set FLASK_QUEUE_IN_PROCESS=false on the web side).

    SIGTERM lets a mail being sent finish (MAIL_TIMEOUT at most), then stops.
    """
    logging.getLogger("huey").setLevel(logging.INFO)
    consumer = delivery_queue().huey.create_consumer(
        workers=workers or current_app.config["QUEUE_WORKERS"],
        worker_type="thread",
        graceful_signal="TERM",
        shutdown_timeout=current_app.config["MAIL_TIMEOUT"] + 5,
    )
    consumer.run()


def _existing(reference: str) -> Enquiry:
    enquiry = find_enquiry(reference.strip().upper())
    if enquiry is None:
        raise click.ClickException(f"No enquiry with reference {reference!r}.")
    return enquiry
