"""`flask alerts ...`: the operator's view of the job alerts, an address's data on request
(Art. 15 and 17 GDPR), and the check for new openings run at once."""

import io
from collections import Counter
from pathlib import Path

import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from openpositions.alerts import totals
from openpositions.alerts.announce.check import check_for_openings
from openpositions.alerts.links import alerts_offered
from openpositions.alerts.models import (
    SUBSCRIPTION_STATES,
    SubscribedCategory,
    Subscription,
    address_key,
)
from openpositions.alerts.operator.export import ENCODING, write_csv
from openpositions.content import current_content
from openpositions.extensions import db

alerts_cli = AppGroup(
    "alerts", help="Job alerts: counts, one address's data or all, delete an address, send now."
)


@alerts_cli.command("list")
def list_subscriptions() -> None:
    """How many subscriptions follow each category, by state; no addresses."""
    by_category = Counter(
        {
            (category, state): count
            for category, state, count in db.session.execute(
                sa.select(SubscribedCategory.category, Subscription.state, sa.func.count())
                .join(Subscription, Subscription.id == SubscribedCategory.subscription_id)
                .group_by(SubscribedCategory.category, Subscription.state)
            )
        }
    )
    by_state = Counter(
        {
            state: count
            for state, count in db.session.execute(
                sa.select(Subscription.state, sa.func.count()).group_by(Subscription.state)
            )
        }
    )
    known = [category.key for category in current_content().site.categories]
    others = sorted({category for category, _ in by_category} - set(known))
    width = max(len("addresses"), *(len(key) for key in known + others))
    click.echo(f"{'category':{width}}  " + "  ".join(f"{s:>9}" for s in SUBSCRIPTION_STATES))
    for category in known + others:
        counts = "  ".join(f"{by_category[(category, s)]:>9}" for s in SUBSCRIPTION_STATES)
        note = "  (not in site.yaml)" if category in others else ""
        click.echo(f"{category:{width}}  {counts}{note}")
    counts = "  ".join(f"{by_state[s]:>9}" for s in SUBSCRIPTION_STATES)
    click.echo(f"{'addresses':{width}}  {counts}")
    sent = totals.current_totals()
    click.echo(
        f"Alert mails sent so far: {sent[totals.ALERTS_SENT]}; "
        f"failed: {sent[totals.ALERTS_FAILED]}."
    )


@alerts_cli.command("export")
@click.argument("address", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    help="The file to write (default: standard output).",
)
def export(address: str | None, output: Path) -> None:
    """Every subscription, or ADDRESS's alone, as CSV: all that is stored about it.

    With ADDRESS, for a request under Art. 15 GDPR: its categories, language, when and how
    consent was given, and each position announced to it.
    """
    if address is not None and _subscription(address) is None:
        raise click.ClickException(f"No subscription for {ascii(address)}.")
    chosen = [Subscription.address == address_key(_as_stored(address))] if address else []
    try:
        with click.open_file(output, "wb") as binary:
            text = io.TextIOWrapper(binary, ENCODING, newline="")
            count = write_csv(text, chosen)
            text.flush()
            text.detach()  # Closing our layer must not close standard output.
    except OSError as error:
        raise click.ClickException(f"Cannot write {output}: {error.strerror}.") from None
    if str(output) != "-":
        click.echo(f"Wrote {count} subscriptions to {output}.")


@alerts_cli.command("delete")
@click.argument("address")
def delete(address: str) -> None:
    """Delete ADDRESS's subscription and everything stored with it (Art. 17 GDPR)."""
    subscription = _subscription(address)
    if subscription is None:
        raise click.ClickException(f"No subscription for {ascii(address)}.")
    email = subscription.email
    Subscription.remove(subscription.id)
    totals.add_to_totals({totals.UNSUBSCRIBED: 1})
    db.session.commit()
    click.echo(f"Deleted the subscription of {email} and everything stored with it.")


@alerts_cli.command("send")
def send() -> None:
    """Check for new openings now, and queue their alerts; returns once they are queued."""
    if not alerts_offered():
        raise click.ClickException("Alerts need FLASK_SITE_URL, the site's public address.")
    outcome = check_for_openings()
    opened = ", ".join(outcome.opened) or "none"
    click.echo(
        f"Newly open: {opened}. Alert mails made: {outcome.mails_made}; "
        f"queued: {outcome.mails_queued}."
    )


def _subscription(address: str) -> Subscription | None:
    return db.session.scalars(
        sa.select(Subscription).where(Subscription.address == address_key(_as_stored(address)))
    ).first()


def _as_stored(address: str) -> str:
    """The address as subscriptions keep it: an internationalised domain in its ASCII form."""
    try:
        valid = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return address
    return valid.ascii_email or valid.normalized
