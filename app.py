"""The WSGI entry point that `flask run` and `gunicorn app:app` find."""

import sys

from openpositions import create_app
from openpositions.content import ContentError
from openpositions.settings import SettingError

# What gunicorn's master takes for "the worker failed to boot": it then stops, rather than start
# workers that fail alike over and over.
CANNOT_START = 3

try:
    app = create_app()
except (ContentError, SettingError) as error:
    # A bad content file or setting is the maintainer's to fix: say which and why, no traceback.
    print(error, file=sys.stderr)
    sys.exit(CANNOT_START)
