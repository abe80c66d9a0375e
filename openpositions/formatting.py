"""Times, sizes and typed text as people read them: the group's time zone, the reader's language.

Every page, mail, operator alert and command shows times and sizes through the functions here,
so that a German receipt says "6,5 MB" as the German form did, and the CLI and the alerts agree
on the time. Flask-Babel formats them, in the reader's language.
"""

import math
import re
from datetime import datetime

from babel.units import format_unit
from flask_babel import format_datetime, get_locale

from openpositions.clock import in_group_timezone

# To the minute, with the zone: "2026-12-01 10:04 +0100" in English, "… 10:04 MEZ" in German.
MOMENT = "yyyy-MM-dd HH:mm z"


def format_moment(stored: datetime) -> str:
    """A stored time (naive UTC) as the group's clock showed it, in the reader's language."""
    # The group's zone (TIMEZONE) whoever reads it, not Flask-Babel's per-reader one.
    return str(format_datetime(in_group_timezone(stored), MOMENT, rebase=False))


def format_size(size: int, *, rounded_down: bool = False) -> str:
    """A file's size as people say it: "870 kB", "6.5 MB" ("6,5 MB" in German).

    `rounded_down` for a limit: a limit shown as 9.9 MB must not promise the 9.95 MB that
    rounding to the nearest would.
    """
    if size < 1_000_000 and not rounded_down:
        return format_unit(
            max(1, round(size / 1000)), "digital-kilobyte", "short", locale=get_locale()
        )
    megabytes = size / 1_000_000
    if rounded_down:
        megabytes = math.floor(megabytes * 10) / 10
    return format_unit(
        megabytes, "digital-megabyte", "short", format="#,##0.#", locale=get_locale()
    )


# The controls that reorder the text after them, up to the end of its paragraph: embeddings,
# overrides and isolates. U+202E makes "gpj.exe" show as "exe.jpg". The marks (LRM, RLM,
# ALM), which right-to-left text uses as punctuation, reorder nothing of their own and stay.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str) -> str:
    """An applicant's text for plain-text mails and the CLI, its bidirectional controls shown
    as [U+202E] and the like: in plain text nothing else can keep them from disguising it."""
    return BIDI_CONTROLS.sub(lambda control: f"[U+{ord(control.group()):04X}]", text)
