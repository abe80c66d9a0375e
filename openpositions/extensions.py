"""The Flask extensions, created once and bound to an app in the factory, and the database
helpers the features' models share."""

from collections.abc import Mapping
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


def add_to_running_totals(table: Any, amounts: Mapping[str, float]) -> None:
    """Add to the totals of `table` (a model of `name` and `value` columns) in the session's
    transaction: they count once the caller commits, with the change they count, so that a
    total can neither miss a committed change nor count one rolled back.

    One UPDATE each, adding in the database, so that processes adding at once lose nothing;
    in name order, so that two transactions adding to the same totals cannot deadlock.
    """
    for name in sorted(amounts):
        added = db.session.execute(
            sa.update(table).where(table.name == name).values(value=table.value + amounts[name])
        )
        if rows_affected(added) == 0:
            # A total the migration did not start (a name added since): its first count.
            db.session.add(table(name=name, value=amounts[name]))
            db.session.flush()


def read_running_totals(table: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Every total of `table` by name; 0 for one of `names` that has not counted anything yet."""
    rows = db.session.execute(sa.select(table.name, table.value))
    return {name: 0 for name in names} | {name: value for name, value in rows}
