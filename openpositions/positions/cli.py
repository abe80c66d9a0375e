"""`flask positions ...`: commands for the site's maintainer."""

import click
from flask.cli import AppGroup

from openpositions import content
from openpositions.content.store import current_store

positions_cli = AppGroup("positions", help="Check and list the positions.")


@positions_cli.command("check")
def check() -> None:
    """Validate site.yaml and every position file, printing each problem on a line.

    Exits non-zero on any error; warnings (prefixed "warning:") are printed and pass.
    """
    store = current_store()
    # The files as they are now, read once: under the `flask` command nothing read them before.
    try:
        loaded = store.load()
    except content.ContentError as error:
        # Every line, each placeholder's too: here is where the maintainer reads what to enter.
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    for warning in loaded.warnings:
        click.echo(str(warning), err=True)
    open_count = len(loaded.open_positions(store.today()))
    summary = f"Content is valid: {len(loaded.positions)} positions, {open_count} open"
    if loaded.warnings:
        count = len(loaded.warnings)
        summary += f"; {count} warning{'s' if count != 1 else ''} to look at"
    click.echo(f"{summary}.")


@positions_cli.command("list")
def list_positions() -> None:
    """List every position with its status today and address."""
    store = current_store()
    try:
        served = store.current()
    except content.ContentError as error:
        raise click.ClickException(
            "The content files have errors, and none ever loaded without any, so there is "
            f"nothing to list. Fix these, then run `flask positions check`:\n{error}"
        ) from None
    today = store.today()
    for position in served.positions:
        status = "open" if position.is_open_on(today) else "closed"
        click.echo(f"{status:6}  {position.category:8}  {position.slug}  {position.title}")
