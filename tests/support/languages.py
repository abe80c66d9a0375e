"""Each page's address in each language, as the site gives them: German under /de/."""

from tests.support.html import Page

# Where German differs from English by more than the /de prefix.
GERMAN_PATHS = {"/legal-notice": "/impressum"}


def in_language(language: str, path: str) -> str:
    """The address of the English page at `path` (query string and all) in `language`."""
    if language == "en":
        return path
    bare, question, query = path.partition("?")
    return f"/{language}{GERMAN_PATHS.get(bare, bare)}{question}{query}"


def german(path: str) -> str:
    return in_language("de", path)


def hreflang_links(page: Page) -> dict[str, str]:
    """hreflang -> href of a page's <link rel="alternate" hreflang=...> elements."""
    return {
        link["hreflang"]: link["href"] for link in page.links("alternate") if "hreflang" in link
    }
