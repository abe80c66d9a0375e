"""`flask positions ...`: commands for the site's maintainer."""

import click
from flask import current_app
from flask.cli import AppGroup

from openpositions import content

positions_cli = AppGroup("positions", help="Check and list the positions.")


@positions_cli.command("check")
def check() -> None:
    """Validate site.yaml and every position file; exit non-zero on any problem.

    Facts left as placeholders are warned about, and do not fail the check.
    """
    store: content.ContentStore = current_app.extensions["openpositions.content"]
    try:
        loaded = store.load()
    except content.ContentError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    for warning in content.placeholder_warnings(store.content_dir, loaded.site, store.display_root):
        click.echo(f"warning: {warning}", err=True)
    open_count = len(loaded.open_positions())
    click.echo(f"Content is valid: {len(loaded.positions)} positions, {open_count} open.")


@positions_cli.command("list")
def list_positions() -> None:
    """List every position with its status and address."""
    for position in content.current_content().positions:
        click.echo(f"{position.status:6}  {position.category:8}  {position.slug}  {position.title}")
