"""The WSGI entry point that `flask run` and `gunicorn app:app` find."""

import sys

from openpositions import create_app
from openpositions.content import ContentError
from openpositions.settings import SettingError

try:
    app = create_app()
except (ContentError, SettingError) as error:
    # A bad content file or setting is the maintainer's to fix: say which and why, no traceback.
    sys.exit(str(error))
