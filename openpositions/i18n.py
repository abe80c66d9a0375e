"""Each language at its own address: English at /openpositions, German at /de/openpositions.

The language of a request is read from its URL alone, never from a cookie or Accept-Language:
one URL shows one page, which search engines can index and caches can keep as it is. Every
page's view is registered once per language with `route_in_each_language`; its rules carry
the language as the URL value LANGUAGE, which `url_for` fills in with the current language,
so `url_for("positions.detail", slug=...)` links within the page's language everywhere,
in a mail composed by the queue too (under `force_locale`).
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, has_request_context, request
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import get_locale

from openpositions.settings import SettingError

# The URL value that says which language a rule is in. Views never see it.
LANGUAGE = "lang_code"

View = TypeVar("View", bound=Callable[..., Any])


def languages() -> list[str]:
    """The languages offered; the first is the default, at the addresses without a prefix."""
    offered: list[str] = current_app.config["LANGUAGES"]
    return offered


def language_of_path(path: str) -> str:
    """The language a path is in: its first segment if that names a language, else the default.

    Also for addresses no rule matches, so that /de/no-such-page answers in German.
    """
    first = path.lstrip("/").split("/", 1)[0]
    default, *others = languages()
    return first if first in others else default


def select_locale() -> str:
    """Flask-Babel's locale selector: the language of the URL, the default outside a request."""
    if not has_request_context():
        return languages()[0]
    return language_of_path(request.path)


def current_language() -> str:
    return str(get_locale())


def route_in_each_language(
    bp: Blueprint, rule: str, *, methods: Sequence[str] = ("GET",), **paths: str
) -> Callable[[View], View]:
    """Register a view at `rule` in the default language and at /<language><rule> in the others.

    A language whose address differs names it: `de="/impressum"` puts German at /de/impressum.
    Each rule fixes its language as a default value, so that building a URL for a language
    picks exactly that language's rule.
    """

    def decorator(view: View) -> View:
        def register(state: BlueprintSetupState) -> None:
            default, *others = state.app.config["LANGUAGES"]
            localized = {default: rule} | {
                language: f"/{language}{paths.get(language, rule)}" for language in others
            }
            for language, path in localized.items():
                state.add_url_rule(
                    path, view.__name__, view, methods=list(methods), defaults={LANGUAGE: language}
                )

        bp.record(register)
        return view

    return decorator


def is_localized(endpoint: str) -> bool:
    """Whether the endpoint has a rule per language (a page), unlike /static or /healthz."""
    try:
        rules = list(current_app.url_map.iter_rules(endpoint))
    except KeyError:  # No such endpoint.
        return False
    return any(LANGUAGE in (rule.defaults or {}) for rule in rules)


def fill_in_language(endpoint: str, values: dict[str, Any]) -> None:
    """url_for's default: a page links to pages in its own language unless told another."""
    language = values.pop(LANGUAGE, None) or current_language()
    if is_localized(endpoint):
        values[LANGUAGE] = language


def drop_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The language is already the request's locale (select_locale): views do not take it."""
    if values is not None:
        values.pop(LANGUAGE, None)


def require_compiled_catalogues(app: Flask) -> None:
    """Stop the start when a language offered has no compiled catalogue.

    Flask-Babel would serve its pages in English under their own addresses and `lang`, and
    say nothing: a deployment that missed compiling the catalogues would go unnoticed.
    """
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    for language in app.config["LANGUAGES"]:
        if language == app.config["BABEL_DEFAULT_LOCALE"]:
            continue  # The site's own text is written in it.
        catalogue = directory / language / "LC_MESSAGES" / "messages.mo"
        if not catalogue.is_file():
            raise SettingError(
                f"{catalogue} is missing: the pages in {language!r} would be in English. "
                f"Compile the catalogues with: pybabel compile -d {directory}"
            )


def init_app(app: Flask) -> None:
    require_compiled_catalogues(app)
    # Werkzeug would otherwise redirect between rules of one endpoint whose defaults agree, such
    # as the two old home addresses; here a default names a language and never stands for
    # another address.
    app.url_map.redirect_defaults = False
    app.url_defaults(fill_in_language)
    app.url_value_preprocessor(drop_language)
