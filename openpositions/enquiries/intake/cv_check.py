"""Whether an uploaded CV is a plain PDF that is safe for the professor to open.

The file is parsed with pikepdf (qpdf), and every object in it is looked at: anything that can
act when the file is opened (JavaScript, launching programs, reaching out to another file, site
or share without a click), carry other files, or hide what it is (encryption, XFA forms) is
refused. Only dictionaries are read; content streams such as pages, fonts and images are never
decompressed, so a 10 MB file takes a fraction of a second.
"""

import enum
import io
from collections.abc import Iterable, Iterator
from itertools import chain

import pikepdf
import pikepdf.settings
from pikepdf import Array, Dictionary, Name, Stream

# A CV has a few thousand objects, dictionary entries and array items, a long thesis tens of
# thousands; past this many a file is refused rather than holding up the request.
MAX_ITEMS = 100_000

# Streams are only decompressed where qpdf must read objects packed into them (object and
# cross-reference streams). A few hundred bytes can inflate to gigabytes; real ones stay far
# below this. The limit is qpdf's and process-wide; nothing else in the site uses qpdf.
FLATE_MAX_BYTES = 8 * 1024 * 1024
pikepdf.settings.set_qpdf_limits(flate_max_memory=FLATE_MAX_BYTES)


class CvProblem(enum.Enum):
    """Why a CV is refused; the form tells the applicant what to do about each."""

    NOT_A_PDF = "not a PDF"
    DAMAGED = "cannot be parsed as a PDF"
    PASSWORD_PROTECTED = "needs a password to open"
    ENCRYPTED = "encrypted"
    JAVASCRIPT = "carries JavaScript"
    LAUNCH_ACTION = "can launch a program"
    ACTS_WHEN_OPENED = "does something by itself when opened"
    EMBEDDED_FILE = "carries embedded files"
    XFA_FORM = "is an XFA form"
    TOO_COMPLEX = "too many objects to check"


# Keys whose mere presence is the problem, wherever they appear: a JavaScript action's script,
# the document's JavaScript name tree, the attachments name tree, an embedded file in a file
# specification, an XFA form in the AcroForm.
PROBLEM_KEYS = {
    "/JS": CvProblem.JAVASCRIPT,
    "/JavaScript": CvProblem.JAVASCRIPT,
    "/EmbeddedFiles": CvProblem.EMBEDDED_FILE,
    "/EF": CvProblem.EMBEDDED_FILE,
    "/XFA": CvProblem.XFA_FORM,
}

# Values of the type keys that are the problem: an action's /S, an annotation's /Subtype, a
# stream's /Type. An action is refused wherever it hangs (/OpenAction, /AA, /A, /Next, ...).
# Compared as Names: str() fails on a name that is not UTF-8, which PDF allows.
PROBLEM_TYPES = {
    ("/S", Name.JavaScript): CvProblem.JAVASCRIPT,
    ("/S", Name.Launch): CvProblem.LAUNCH_ACTION,
    ("/Subtype", Name.FileAttachment): CvProblem.EMBEDDED_FILE,
    ("/Type", Name.EmbeddedFile): CvProblem.EMBEDDED_FILE,
}
TYPE_KEYS = {key for key, _ in PROBLEM_TYPES}

# What the file does by itself, with no click: the document's /OpenAction, and the additional
# actions (/AA) of the document, its pages, annotations and fields (opening, closing, focus,
# the mouse passing over). Of those, the kinds that reach outside the file: another document or
# a share (GoToR, GoToE; a UNC path leaks the reader's Windows password hash), a web address
# (URI), sending or reading data (SubmitForm, ImportData), media (Rendition). A link's own /A
# with a URI, which acts only when clicked, is what every CV tool writes, and stays.
TRIGGER_KEYS = {"/OpenAction", "/AA"}
ACTS_BY_ITSELF = {
    Name.GoToR, Name.GoToE, Name.URI, Name.SubmitForm, Name.ImportData, Name.Rendition,
}  # fmt: skip
# How many triggered actions, chained by /Next included, are looked at in one file: a CV has a
# handful at most.
MAX_TRIGGERED_ACTIONS = 10_000


class TooComplex(Exception):
    pass


def cv_problem(data: bytes) -> CvProblem | None:
    """What is wrong with this file as a CV to mail on, or None when it is fine to send."""
    # Viewers and mail clients recognise a PDF by its first bytes; qpdf would also take a
    # header further in, which lets a file be something else to another program.
    if not data.startswith(b"%PDF-"):
        return CvProblem.NOT_A_PDF
    try:
        # No recovery: a file whose cross-reference table is broken is rebuilt by each viewer in
        # its own way, so what is checked here need not be what the professor's viewer shows.
        with pikepdf.open(
            io.BytesIO(data), attempt_recovery=False, conversion_mode="explicit"
        ) as pdf:
            # Even with an empty user password the contents are hidden from other scanners,
            # such as the mail server's, and restrictions get in the professor's way.
            if pdf.is_encrypted:
                return CvProblem.ENCRYPTED
            problem = first_problem_in(pdf)
            # qpdf warns where it had to guess, and reads an object it cannot decode (one over
            # the limit above, say) as null: what it saw may not be what a viewer will show.
            if problem is None and pdf.get_warnings():
                return CvProblem.DAMAGED
            return problem
    except pikepdf.PasswordError:
        return CvProblem.PASSWORD_PROTECTED
    except TooComplex:
        return CvProblem.TOO_COMPLEX
    except pikepdf.PdfError:
        # qpdf's word for a file it cannot read, also when it only finds out while resolving an
        # object that the walk asks for.
        return CvProblem.DAMAGED


def first_problem_in(pdf: pikepdf.Pdf) -> CvProblem | None:
    triggered = TriggeredActions()
    for key, value in all_entries(pdf):
        if key in PROBLEM_KEYS:
            return PROBLEM_KEYS[key]
        if key in TYPE_KEYS and isinstance(value, Name):
            problem = PROBLEM_TYPES.get((key, value))
            if problem is not None:
                return problem
        if key in TRIGGER_KEYS and triggered.reach_outside(key, value):
            return CvProblem.ACTS_WHEN_OPENED
    return None


class TriggeredActions:
    """The actions a file starts by itself, looked at up to MAX_TRIGGERED_ACTIONS in all."""

    def __init__(self) -> None:
        self.left = MAX_TRIGGERED_ACTIONS

    def reach_outside(self, key: str, value: pikepdf.Object) -> bool:
        """Whether an /OpenAction or /AA entry starts an action that reaches outside the file.

        JavaScript and Launch are refused wherever they are (PROBLEM_TYPES); here the kinds
        that are harmless behind a click but not when the file runs them by itself.
        """
        if key == "/AA":
            if not isinstance(value, Dictionary):
                return False
            pending = [action for _, action in entries_of(value)]
        else:
            pending = [value]  # An /OpenAction is an action, or a destination (harmless).
        while pending:
            action = pending.pop()
            self.left -= 1
            if self.left < 0:
                raise TooComplex()
            if isinstance(action, Array):
                pending.extend(action.as_list())  # /Next may hold an array of actions.
                continue
            if not isinstance(action, Dictionary):
                continue
            kind = action.get("/S")
            if isinstance(kind, Name) and kind in ACTS_BY_ITSELF:
                return True
            chained = action.get("/Next")
            if chained is not None:
                pending.append(chained)
        return False


def all_entries(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    """Every dictionary entry in the file: in each indirect object, the trailer, and all they
    hold directly. References are not followed: what they point to is an indirect object,
    visited on its own."""
    # Counted in the cross-reference table first, before qpdf parses them all.
    if len(pdf.get_xref_table()) > MAX_ITEMS:
        raise TooComplex()
    budget = MAX_ITEMS
    for top in chain([pdf.trailer], pdf.objects):
        stack = [top]
        while stack:
            current = stack.pop()
            if isinstance(current, Stream):
                current = current.stream_dict
            children: Iterable[pikepdf.Object]
            if isinstance(current, Dictionary):
                entries = entries_of(current)
                budget -= 1 + len(entries)
                yield from entries
                children = (value for _, value in entries)
            elif isinstance(current, Array):
                children = current.as_list()  # A fraction of the time of list(current).
                budget -= 1 + len(current)
            else:
                continue
            if budget < 0:
                raise TooComplex()
            stack.extend(
                child
                for child in children
                if isinstance(child, Dictionary | Array) and not child.is_indirect
            )


def entries_of(dictionary: Dictionary) -> list[tuple[str, pikepdf.Object]]:
    try:
        # A fraction of the time of items(), which is most of the check's.
        return list(dictionary.as_dict().items())
    except UnicodeDecodeError:
        # as_dict() fails on a key that is not UTF-8, which PDF allows; items() takes it.
        return list(dictionary.items())
