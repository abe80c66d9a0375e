"""The openpositions application factory."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import StrictUndefined

from openpositions import settings

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the site: configuration, content, extensions, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
    )
    settings.load(app, PROJECT_DIR, test_config)
    if app.debug or app.testing:
        # A name a template uses but nobody passed fails loudly instead of rendering as "".
        app.jinja_env.undefined = StrictUndefined
    register_security(app)
    register_content(app)
    register_extensions(app)
    register_mail(app)
    register_queue(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_security(app: Flask) -> None:
    from openpositions.web import page_cache, request_log, security

    security.init_app(app)
    request_log.init_app(app)
    page_cache.init_app(app)


def register_content(app: Flask) -> None:
    from openpositions.content import ContentStore

    store = ContentStore(
        app.config["CONTENT_DIR"],
        display_root=PROJECT_DIR,
        languages=app.config["LANGUAGES"],
        timezone=app.config["TIMEZONE"],
        check_interval=float(app.config["CONTENT_CHECK_INTERVAL"]),
    )
    store.init_app(app)


def register_extensions(app: Flask) -> None:
    from openpositions import i18n
    from openpositions.extensions import babel, csrf, db, limiter, migrate
    from openpositions.web import templating

    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    csrf.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"))
    limiter.init_app(app)
    templating.init_app(app)


def register_mail(app: Flask) -> None:
    from openpositions.enquiries.addresses import configured_address_problems
    from openpositions.extensions import mail

    problems = configured_address_problems(app.config)
    if problems:
        raise settings.SettingError("\n".join(problems))
    mail.init_app(app)


def register_queue(app: Flask) -> None:
    from openpositions.enquiries import queue

    queue.init_app(app)


def register_blueprints(app: Flask) -> None:
    from openpositions.enquiries import private_views as private_enquiry
    from openpositions.enquiries import views as enquiries
    from openpositions.pages import crawlers
    from openpositions.pages import views as pages
    from openpositions.positions import views as positions
    from openpositions.web import health, metrics, old_language_switch

    app.register_blueprint(positions.bp)
    app.register_blueprint(enquiries.bp)
    app.register_blueprint(private_enquiry.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(crawlers.bp)
    app.register_blueprint(old_language_switch.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)


def register_errorhandlers(app: Flask) -> None:
    from openpositions.web import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from openpositions.enquiries.cli import enquiries_cli, queue_cli
    from openpositions.positions.cli import positions_cli

    app.cli.add_command(positions_cli)
    app.cli.add_command(enquiries_cli)
    app.cli.add_command(queue_cli)
