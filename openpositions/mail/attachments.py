"""Attachments whose file names arrive whole: in UTF-8 where a mail client reads RFC 2231, and
as readable ASCII where it does not."""

import re
import unicodedata
from email.message import EmailMessage

from anyascii import anyascii

# German names written without umlauts take an e (Müller → Mueller, as German passports spell
# them in their machine-readable line); general transliteration drops the dots (Muller), which
# reads as another name. So these go first; every other letter is left to anyascii.
GERMAN_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)
# What an ASCII file name keeps as it is; any run of other characters (hyphens too) becomes
# one hyphen.
NOT_IN_ASCII_FILE_NAMES = re.compile(r"[^A-Za-z0-9._]+")
# The categories of letters, their marks and numbers: the rest of a name becomes a hyphen.
KEPT_IN_FILE_NAMES = ("L", "M", "N")


def file_name_words(text: str, limit: int) -> str:
    """`text` in lower case as a part of a file name, in any script: its letters, marks and
    numbers, each run of anything else one hyphen; at most `limit` characters, cut after a
    whole word where one fits, and never between a letter and its marks."""
    # Python lowercases İ as an i with a combining dot above, as Unicode has it outside Turkish;
    # in a Turkish name it is the plain i.
    lowered = unicodedata.normalize("NFC", text.replace("İ", "i")).lower()
    kept = "".join(
        c if unicodedata.category(c).startswith(KEPT_IN_FILE_NAMES) else " " for c in lowered
    )
    words = "-".join(kept.split())
    if len(words) <= limit:
        return words
    if "-" in words[1 : limit + 1]:
        return words[: words.rindex("-", 0, limit + 1)]
    end = limit
    while end > 0 and unicodedata.category(words[end]).startswith("M"):
        end -= 1
    return words[:end]


def ascii_file_name(name: str) -> str:
    """A readable ASCII form of a file name: "cv-jana-müller-ødegård.pdf" gives
    "cv-jana-mueller-odegard.pdf", a Greek or Cyrillic name its Latin spelling."""
    text = anyascii(unicodedata.normalize("NFC", name).translate(GERMAN_UMLAUTS))
    return NOT_IN_ASCII_FILE_NAMES.sub("-", text).strip("-")


def attach(message: EmailMessage, data: bytes, *, maintype: str, subtype: str, name: str) -> None:
    """Attach `data` as the file `name`.

    Python writes a name beyond ASCII as RFC 2231's `filename*` (in parts where it is long),
    which mail clients read in UTF-8. Its ASCII form goes in Content-Type's `name`, where
    clients that know no RFC 2231 look. Not as a second `filename` beside `filename*`: Python's
    parsers, as mailing-list software reads mail, take such a pair as one parameter given twice
    and keep the plain one (compat32) or the first (the modern parser, noting a defect).
    """
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    *_, part = message.iter_attachments()
    part.set_param("name", ascii_file_name(name))
