"""Header values that reach a mail client exactly as written, in any script.

Text beyond ASCII is written as RFC 2047 encoded words that hold every character, spaces
included: a reader drops the whitespace between two encoded words (RFC 2047, 6.2), so a space
between words travels inside the earlier encoded word. Encoded words end between words; a word
is split only when it alone is longer than an encoded word holds, so that a reader that does
keep that whitespace (Python's address parser, as mailing-list software uses it) never shows a
space inside a word.
"""

import base64
import re
import unicodedata
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage

# An encoded word is at most 75 characters; a line holding one at most 76 (RFC 2047).
MAX_ENCODED_WORD = 75
MAX_LINE = 76
WRAPPER = len("=?utf-8?b??=")
# Where a header's value goes on to its next line.
FOLD = "\r\n "

# A word and the spaces after it (either may be empty: spaces at the start have no word).
WORD_AND_ITS_SPACES = re.compile(r"([^ ]*)( *)")
# Where a word too long for one encoded word is best split: after a hyphen or a dot (·).
AFTER_A_JOINER = re.compile(r"(?<=[-‐‑–·・/])")
ZERO_WIDTH_JOINER = "\u200d"
# The canonical combining class of a virama, which joins the letters on either side of it.
VIRAMA = 9


def _base64_length(size: int) -> int:
    return 4 * -(-size // 3)


def _fits(data: bytes, room: int) -> bool:
    return _base64_length(len(data)) <= room


def _splittable_before(text: str, index: int) -> bool:
    """Whether text may be split before text[index] without parting a letter from its marks."""
    before, char = text[index - 1], text[index]
    return not (
        unicodedata.category(char).startswith("M")
        or before == ZERO_WIDTH_JOINER
        or unicodedata.combining(before) == VIRAMA
    )


def _characters(word: str) -> Iterator[str]:
    """A word in the smallest pieces it may be split into: a letter with its marks."""
    start = 0
    for index in range(1, len(word)):
        if _splittable_before(word, index):
            yield word[start:index]
            start = index
    yield word[start:]


def _split_word(word: str, room: int) -> Iterator[str]:
    """A word too long for one encoded word: after its hyphens, then between its letters."""
    for part in filter(None, AFTER_A_JOINER.split(word)):
        if _fits(part.encode(), room):
            yield part
            continue
        for letter in _characters(part):
            if _fits(letter.encode(), room):
                yield letter
            else:
                # A letter with more marks than an encoded word holds, split all the same.
                yield from letter


def _pieces(text: str, room: int) -> Iterator[str]:
    """The text in the pieces encoded words may end between: each word with the spaces after
    it; a word too long for one encoded word in parts."""
    for word, spaces in WORD_AND_ITS_SPACES.findall(text):
        if _fits((word + spaces).encode(), room):
            if word or spaces:
                yield word + spaces
            continue
        if _fits(word.encode(), room):
            yield word
        else:
            yield from _split_word(word, room)
        if spaces:
            yield from _split_word(spaces, room)


def encoded_words(text: str, first_line_taken: int) -> str:
    """`text` as base64 encoded words, folded between words; the first shares its line with
    `first_line_taken` characters (the header's name, its colon and space).

    A first word too long for what is left of that line starts on the next one, rather than
    being split there.
    """
    first_room = min(MAX_ENCODED_WORD, MAX_LINE - first_line_taken) - WRAPPER
    room = min(MAX_ENCODED_WORD, MAX_LINE - 1) - WRAPPER  # After the folding space.
    words: list[bytes] = []
    current, current_room = b"", first_room
    for piece in _pieces(text, room):
        data = piece.encode("utf-8")
        if _fits(current + data, current_room):
            current += data
            continue
        if current or not words:
            # An empty first word stands for the header's empty first line.
            words.append(current)
            current, current_room = b"", room
        current = data
    words.append(current)
    lead = "" if words[0] else FOLD
    return lead + FOLD.join(
        f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words if word
    )


def set_text_header(message: EmailMessage, name: str, text: str) -> None:
    """An unstructured header such as Subject, exact once decoded."""
    if text.isascii():
        message[name] = text
    else:
        message.set_raw(name, encoded_words(text, len(name) + 2))


def set_address_header(message: EmailMessage, name: str, address: Address) -> None:
    """An address header whose display name is exact once decoded, and one address by structure."""
    if address.display_name.isascii():
        message[name] = address
    else:
        phrase = encoded_words(address.display_name, len(name) + 2)
        message.set_raw(name, f"{phrase}{FOLD}<{address.addr_spec}>")
