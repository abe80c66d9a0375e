"""The least a WSGI app can do: the same bytes for every request, from the file BENCH_BODY names.

bench/pages.py serves it under the same gunicorn, settings and workers as the site, so that the
page's rate is compared with what gunicorn itself allows.
"""

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
