"""Header values that reach a mail client exactly as written, in any script.

Python's folder may leave a space between two encoded words, where RFC 2047 has decoders drop
it ("Ada ª" arrives as "Adaª"). So text beyond ASCII is written here as encoded words that
hold every character, spaces included, split only between characters.
"""

import base64
from email.headerregistry import Address
from email.message import EmailMessage

# An encoded word is at most 75 characters; a line holding one at most 76 (RFC 2047).
MAX_ENCODED_WORD = 75
MAX_LINE = 76
WRAPPER = len("=?utf-8?b??=")


def _base64_length(size: int) -> int:
    return 4 * -(-size // 3)


def encoded_words(text: str, first_line_taken: int) -> str:
    """`text` as base64 encoded words, folded; the first shares its line with `first_line_taken`
    characters (the header's name, its colon and space)."""
    words: list[bytes] = []
    current = b""
    room = min(MAX_ENCODED_WORD, MAX_LINE - first_line_taken) - WRAPPER
    for char in text:
        encoded = char.encode("utf-8")
        if current and _base64_length(len(current + encoded)) > room:
            words.append(current)
            current = b""
            room = min(MAX_ENCODED_WORD, MAX_LINE - 1) - WRAPPER  # After the folding space.
        current += encoded
    words.append(current)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


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
        message.set_raw(name, f"{phrase}\r\n <{address.addr_spec}>")
