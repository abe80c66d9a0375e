"""Whether an uploaded CV is a plain PDF that is safe for the professor to open.

The file is parsed with pikepdf (qpdf), and every object in it is looked at: anything that can
act when the file is opened (JavaScript, launching programs, reaching out to another file, site
or share without a click), carry other files, or hide what it is (encryption, XFA forms) is
refused. Only dictionaries are read; content streams such as pages, fonts and images are never
decompressed, so a 10 MB file takes a fraction of a second.
"""

import contextlib
import enum
import io
import logging
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import pikepdf
import pikepdf.settings
from pikepdf import Array, Dictionary, Name, Stream

log = logging.getLogger(__name__)

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


# A file that takes more than this to check is refused as too complex: a hostile PDF (millions
# of nested arrays, hundreds of object streams each inflating to the qpdf limit) could otherwise
# hold a web worker for half a minute and take gigabytes. Ordinary CVs take well under a second.
CHECK_SECONDS = 2
CHECK_MEMORY = 512 * 1024 * 1024
# Where this module is importable from, for the child process.
PROJECT_DIR = str(Path(__file__).resolve().parents[3])


# One child checks the files of one request in turn, starting once: a start costs far more than
# checking an ordinary file (about 0.3 s against a few milliseconds). It checks at most this
# many before the next starts afresh, each within CHECK_SECONDS of its own.
FILES_PER_CHILD = 12
# Each file goes to the child as its length (8 bytes, big-endian) and its bytes; the child
# answers each with one line: "ok" or the problem's name. A length of 0 ends it.
LENGTH_BYTES = 8


def contained_cv_problem(data: bytes) -> CvProblem | None:
    """cv_problem, run in a child process held to CHECK_SECONDS of CPU and CHECK_MEMORY.

    Whatever the file does to qpdf, the web worker waits about two seconds at most and its own
    memory does not grow: past either limit the child is stopped and the file refused.
    """
    with ContainedChecks() as checks:
        return checks.problem(data)


class ContainedChecks:
    """A child process that checks files one after the other, as cv_problem would, each held
    to CHECK_SECONDS of CPU, all to CHECK_MEMORY: the files of one request, without a start
    for each. Only the file being checked is in this process's memory, once.

    A file that stops the child (past a limit) is refused as too complex, and the next file
    gets a new child.
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.errors: Any = None
        self.checked = 0

    def __enter__(self) -> "ContainedChecks":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child: it exits at the end of its input, or is stopped."""
        child, self.child = self.child, None
        if child is None:
            return
        try:
            assert child.stdin is not None
            child.stdin.write(bytes(LENGTH_BYTES))
            child.stdin.close()
            child.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        finally:
            for stream in (child.stdin, child.stdout, self.errors):
                if stream is not None:
                    with contextlib.suppress(OSError):  # A pipe the child broke.
                        stream.close()
            self.errors = None

    def start(self) -> None:
        self.errors = tempfile.TemporaryFile()
        self.child = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env={**os.environ, "PYTHONPATH": PROJECT_DIR},
        )
        self.checked = 0

    def problem(self, data: bytes) -> CvProblem | None:
        """What is wrong with this file as a CV to mail on, checked in the child."""
        if self.child is None or self.checked >= FILES_PER_CHILD:
            self.close()
            try:
                self.start()
            except OSError:
                self.errors.close()
                self.errors = None
                # No child could be started (no process left, say): checked here, as before,
                # rather than refusing every file.
                log.exception("The CV check could not start its child process; checking in-process")
                return cv_problem(data)
        self.checked += 1
        answer = self.answer_for(data)
        if answer == "ok":
            return None
        if answer in CvProblem.__members__:
            return CvProblem[answer]
        self.stopped(answer)
        return CvProblem.TOO_COMPLEX

    def answer_for(self, data: bytes) -> str:
        """The child's answer line for `data`; "" if it gave none in time (it is stopped)."""
        child = self.child
        assert child is not None and child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(len(data).to_bytes(LENGTH_BYTES, "big"))
            child.stdin.write(data)
            child.stdin.flush()
        except OSError:  # It exited before it read the file: the answer says why.
            pass
        # The CPU limit stops a busy child first; this one, a child that waits, or a start
        # slowed by a machine under load.
        deadline = time.monotonic() + CHECK_SECONDS + 8
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.stdout], [], [], left)[0]:
                child.kill()
                break
            chunk = os.read(child.stdout.fileno(), 64)
            if not chunk:
                break
            line += chunk
        return line.decode("ascii", "replace").strip()

    def stopped(self, answer: str) -> None:
        """The child was stopped, or answered nonsense: say why, and start afresh next time."""
        child = self.child
        assert child is not None
        if child.poll() is None:
            child.kill()
        code = child.wait()
        said = ""
        if self.errors is not None:
            self.errors.seek(0)
            said = self.errors.read().decode("utf-8", "replace").strip()[-300:]
        if not answer and code in (0, -9):
            log.warning(
                "A file took longer than %d s to check; refused as too complex", CHECK_SECONDS
            )
        else:
            log.warning(
                "A file's check was stopped (exit %d: %s); refused as too complex",
                code,
                said or answer,
            )
        self.close()


def check_standard_input() -> None:
    """The child: read files on standard input (each its length, then its bytes), and print
    each one's problem's name or "ok", until a length of 0 or the end of its input."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    started = used.ru_utime + used.ru_stime
    # A limit for all the files this child may check; each file's own is set below.
    ceiling = int(started) + CHECK_SECONDS * FILES_PER_CHILD + 1
    resource.setrlimit(resource.RLIMIT_CPU, (ceiling, ceiling + 1))
    resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY, CHECK_MEMORY))
    source = sys.stdin.buffer
    while True:
        length = int.from_bytes(source.read(LENGTH_BYTES) or bytes(LENGTH_BYTES), "big")
        if not length:
            return
        data = source.read(length)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = min(int(used.ru_utime + used.ru_stime) + CHECK_SECONDS, ceiling)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, ceiling + 1))
        peak_before = peak_memory()
        problem = cv_problem(data)
        del data
        grew = peak_memory() > max(peak_before, CHECK_MEMORY // 2)
        if problem is CvProblem.DAMAGED and grew:
            # qpdf ran out of the memory it may have, and says so as it would of a broken file.
            problem = CvProblem.TOO_COMPLEX
        print("ok" if problem is None else problem.name, flush=True)


def peak_memory() -> int:
    """This process's peak resident memory in bytes (0 where the system does not say).

    Not getrusage's ru_maxrss: Linux carries that over from the parent across exec.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    check_standard_input()
