"""An applicant's name as the professor's mail will show it: one line, no hidden characters,
nothing that reads as an address."""

import re
import unicodedata

# Characters that look like the < > @ of an address once NFKC has mapped the fullwidth and
# small forms (＜ ＠ ﹤ …) to ASCII: angle brackets and quotation marks of other scripts.
ADDRESS_LOOKALIKES = frozenset("<>@‹›⟨⟩〈〉《》˂˃ᐸᐳ❬❭❮❯⧼⧽⋖⋗")
# Line and paragraph separators and control characters: in a name they could end a header.
NOT_ON_ONE_LINE = frozenset({"Cc", "Zl", "Zp"})


def normalised_name(value: str) -> str:
    """NFKC (fullwidth letters and look-alikes become their plain forms), without format
    characters (bidi overrides, zero-width spaces, soft hyphens, BOMs: category Cf), trimmed,
    each run of spaces one space."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return re.sub(" {2,}", " ", text.strip())


def reads_as_address(name: str) -> bool:
    return any(char in ADDRESS_LOOKALIKES for char in name)


def spans_lines(name: str) -> bool:
    return any(unicodedata.category(char) in NOT_ON_ONE_LINE for char in name)
