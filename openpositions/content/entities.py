"""The group's content as plain, immutable values."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from openpositions.content.problems import Problem

OPEN = "open"
CLOSED = "closed"
POSITION_STATUSES = (OPEN, CLOSED)
# A position whose deadline is this many days away or fewer says that it closes soon.
CLOSING_SOON_DAYS = 7

# schema.org JobPosting employmentType values a position may name.
EMPLOYMENT_TYPES = ("FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "OTHER")


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str
    country_code: str
    country: str


@dataclass(frozen=True)
class Group:
    name: str
    url: str
    project: str
    project_url: str
    faculty: str
    university: str
    # Where the group is, as a sentence says it: "at Technische Universität Berlin", in German
    # "an der Technischen Universität Berlin" (the preposition and case belong to the name).
    at_university: str
    university_url: str
    address: Address


@dataclass(frozen=True)
class Contact:
    name: str
    title: str
    # Where enquiries go. Never rendered: the site exists so that it need not be published.
    email: str
    response_time: str


@dataclass(frozen=True)
class GroupOffice:
    """The group's shared mailbox: the address the site gives where a visitor needs one.

    Never the professor's own (the site exists so that that one need not be published). Empty
    while site.yaml leaves it as a placeholder; the pages then leave it out.
    """

    name: str
    email: str = ""


@dataclass(frozen=True)
class FundingProgramme:
    name: str
    description: str
    url: str


@dataclass(frozen=True)
class Category:
    key: str
    title: str
    none_open: str
    # Whether the funding programmes are offered as a route in when nothing is open.
    list_funding: bool


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class ResponsiblePerson:
    """Who answers for the site's content (§ 18 Abs. 2 MStV), at the group's address."""

    name: str
    title: str


@dataclass(frozen=True)
class LegalNotice:
    """The facts of the legal notice (§ 5 DDG) about the university, which publishes the site.

    A fact that site.yaml leaves as a placeholder is empty here, and the page leaves it out.
    """

    legal_form: str
    # Name and title of the President, who represents the university.
    president: str
    address: Address
    # A public number of the university; never the professor's own.
    phone: str
    supervisory_authority: str
    content_responsible: ResponsiblePerson
    vat_id: str = ""


@dataclass(frozen=True)
class Office:
    """A body the privacy notice tells applicants how to reach: by post, and on the web."""

    name: str
    address: Address
    url: str = ""


@dataclass(frozen=True)
class Privacy:
    """The facts of the privacy notice (Art. 13 GDPR) that are not the site's own settings."""

    data_protection_officer: Office
    # Where applicants may complain (Art. 77 GDPR): the authority for the university.
    supervisory_authority: Office
    # How many days the web server keeps its access logs, which hold visitors' IP addresses;
    # None while site.yaml leaves this deployment's fact as a placeholder.
    access_log_days: int | None = None


@dataclass(frozen=True)
class Placeholder:
    """A value of site.yaml written `TODO: what to enter`, not known yet."""

    field: str
    # What to enter, as the placeholder itself says: "TODO: the President's name" gives
    # "the President's name".
    hint: str

    @property
    def message(self) -> str:
        return f"is a placeholder; enter {self.hint or 'the real value'}"


@dataclass(frozen=True)
class Site:
    group: Group
    contact: Contact
    office: GroupOffice
    categories: tuple[Category, ...]
    funding_intro: str
    funding_programmes: tuple[FundingProgramme, ...]
    links: tuple[Link, ...]
    legal_notice: LegalNotice
    privacy: Privacy
    # The placeholders among the facts above, for `flask positions check` to warn about.
    placeholders: tuple[Placeholder, ...] = ()

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)


# How a position takes applications (a position file's `apply: via:`).
VIA_FORM = "form"  # This site's form is the channel: "Apply for this position".
VIA_POSTING = "posting"  # The official posting is; the form is for questions.
APPLY_CHANNELS = (VIA_FORM, VIA_POSTING)
# The kinds of question a position may ask (`apply: questions: - type:`).
QUESTION_TYPES = ("text", "choice", "date", "yes-no")


@dataclass(frozen=True)
class Document:
    """A file a position asks applicants to send: one PDF per document."""

    key: str  # a slug, unique within the position: `cv`, `transcripts`
    label: str  # in the page's language: "Transcripts of records"
    required: bool = False
    hint: str = ""  # what to put in it, shown beside the field


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


@dataclass(frozen=True)
class Question:
    """A question a position asks in its form, answered in a field of its own."""

    key: str  # a slug, unique within the position
    label: str
    type: str  # one of QUESTION_TYPES
    required: bool = False
    choices: tuple[Choice, ...] = ()  # for type "choice"
    hint: str = ""


# What a position asks for when its file has no `apply:` section: one PDF, the CV, asked for
# but not required, so that a question about the position still needs no file.
CV = Document(key="cv", label="CV")


@dataclass(frozen=True)
class HowToApply:
    via: str = VIA_FORM
    documents: tuple[Document, ...] = (CV,)
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Pay:
    """What a position pays, a month, in euros (EU Pay Transparency Directive, Art. 5)."""

    minimum: int
    maximum: int
    currency: str = "EUR"


@dataclass(frozen=True)
class Position:
    slug: str
    title: str
    category: str
    status: str
    date_posted: date
    body_html: str
    summary: str
    # None means open until filled.
    deadline: date | None = None
    date_updated: date | None = None
    start: str = ""
    duration: str = ""
    salary_grade: str = ""
    employment_type: str = ""
    working_time: str = ""
    requirements: tuple[str, ...] = field(default_factory=tuple)
    what_to_send: str = ""
    posting_url: str = ""
    # The official posting's reference number (the key `reference` in a position file).
    posting_reference: str = ""
    # The language its text is in: English where it has no translation to the page's language.
    language: str = "en"
    # The file it was read from, as messages about it name it.
    source: str = ""
    # How to apply: the channel, the documents and the questions (`apply:` in its file).
    apply: HowToApply = field(default_factory=HowToApply)
    # The pay range, or None where the file names none (`pay:`).
    pay: Pay | None = None

    def is_open_on(self, day: date) -> bool:
        """Open while its status says so, up to the end of its deadline day (the group's time)."""
        return self.status == OPEN and (self.deadline is None or day <= self.deadline)

    def deadline_passed_on(self, day: date) -> bool:
        return self.deadline is not None and day > self.deadline

    def days_left_on(self, day: date) -> int | None:
        """Days from `day` to the deadline (0 on the day itself) while it is open; else None."""
        if self.deadline is None or not self.is_open_on(day):
            return None
        return (self.deadline - day).days

    def closes_soon_on(self, day: date) -> bool:
        days_left = self.days_left_on(day)
        return days_left is not None and days_left <= CLOSING_SOON_DAYS

    @property
    def updated(self) -> date:
        return self.date_updated or self.date_posted


@dataclass(frozen=True)
class Content:
    site: Site
    positions: tuple[Position, ...]
    # Changes whenever any content file does; cached pages are keyed by it.
    version: str
    language: str = "en"
    # The same content in the other languages offered, keyed by language.
    translations: Mapping[str, "Content"] = field(default_factory=dict)
    # What the maintainer should look at, found while loading; the site serves regardless.
    warnings: tuple[Problem, ...] = ()

    def in_language(self, language: str) -> "Content":
        """This content as a visitor reading `language` sees it (English where untranslated)."""
        return self.translations.get(language, self)

    def open_positions(self, day: date) -> tuple[Position, ...]:
        """The positions open on `day`: pass today in the group's time zone."""
        return tuple(p for p in self.positions if p.is_open_on(day))

    def open_in(self, category: Category, day: date) -> tuple[Position, ...]:
        return tuple(p for p in self.open_positions(day) if p.category == category.key)

    def position(self, slug: str) -> Position | None:
        return next((p for p in self.positions if p.slug == slug), None)
