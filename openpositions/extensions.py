"""The Flask extensions, created once and bound to an app in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from openpositions.enquiries.transport import Mailer


class Base(DeclarativeBase):
    pass


babel = Babel()
csrf = CSRFProtect()
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mailer()
limiter = Limiter(key_func=get_remote_address)
