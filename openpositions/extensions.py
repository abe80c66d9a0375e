"""The Flask extensions, created once and bound to an app in the factory."""

from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


babel = Babel()
csrf = CSRFProtect()
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
limiter = Limiter(key_func=get_remote_address)

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds db.Model from Base at run time; to the type checker it is Base.
    Model = Base
else:
    Model = db.Model


def rows_affected(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a CursorResult, typed Result)."""
    return int(cast("sa.CursorResult[Any]", result).rowcount or 0)
