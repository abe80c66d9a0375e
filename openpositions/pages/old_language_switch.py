"""The old language switch, /language/<code>?next=<path>, kept for bookmarks and old links.

It used to set a cookie; now each language has its own addresses, so it only redirects to the
page it names, in the language chosen.
"""

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from openpositions.i18n import LANGUAGE, languages
from openpositions.web.local_paths import local_page

bp = Blueprint("old_language_switch", __name__)


@bp.get("/language/<code>")
def choose_language(code: str) -> Response:
    if code not in languages():
        abort(404)
    page = local_page(request.args.get("next", ""))
    if page is None:
        # Whatever `next` was, the answer stays on this site: its list of positions.
        in_language: dict[str, Any] = {LANGUAGE: code}
        return redirect(url_for("positions.index", **in_language), code=301)
    return redirect(page.url_in(code), code=301)
