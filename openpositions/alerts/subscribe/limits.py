"""How often one network (web/networks.py) may send the alerts form at all
(ALERTS_FLOOD_LIMIT), so that the form cannot be used to flood the site, whatever addresses it
names; each address's own limit, three confirmation mails a day, is counted in the database
(models.py)."""

from flask import current_app


def flood_limit() -> str:
    limit: str = current_app.config["ALERTS_FLOOD_LIMIT"]
    return limit
