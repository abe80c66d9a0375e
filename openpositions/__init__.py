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
    register_monitoring(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_security(app: Flask) -> None:
    from openpositions.web import page_cache, request_log, security

    security.init_app(app)
    request_log.init_app(app)
    page_cache.init_app(app)


def register_content(app: Flask) -> None:
    import click

    from openpositions.content import ContentStore
    from openpositions.content.last_good import FILE_NAME, LastGoodContent

    store = ContentStore(
        app.config["CONTENT_DIR"],
        display_root=PROJECT_DIR,
        languages=app.config["LANGUAGES"],
        timezone=app.config["TIMEZONE"],
        check_interval=float(app.config["CONTENT_CHECK_INTERVAL"]),
        last_good=LastGoodContent(Path(app.instance_path) / FILE_NAME),
    )
    store.init_app(app)
    # Under the `flask` command, the content is loaded by the first command that needs it: the
    # others (`db upgrade`, `enquiries list`, `--help`) run whatever the content files say.
    # Made to serve (by gunicorn, or imported), the site loads it now, so that no request waits
    # for it, and refuses to start only if the files have errors and none ever loaded without.
    if click.get_current_context(silent=True) is None:
        store.start()


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
    from openpositions.extensions import mail
    from openpositions.mail.addresses import configured_address_problems

    problems = configured_address_problems(app.config)
    if problems:
        raise settings.SettingError("\n".join(problems))
    mail.init_app(app)


def register_queue(app: Flask) -> None:
    from openpositions import queue
    from openpositions.alerts.announce.tasks import ANNOUNCE_TASKS
    from openpositions.alerts.subscribe.tasks import SUBSCRIPTION_TASKS
    from openpositions.enquiries.delivery.tasks import DELIVERY_TASKS
    from openpositions.enquiries.intake.drafts import purge_stale_drafts_regularly
    from openpositions.enquiries.intake.held_documents import purge_unused_documents_regularly
    from openpositions.enquiries.operator.retention import purge_expired_daily

    queue.init_app(
        app,
        [
            *DELIVERY_TASKS,
            purge_unused_documents_regularly,
            purge_stale_drafts_regularly,
            purge_expired_daily,
            *SUBSCRIPTION_TASKS,
            *ANNOUNCE_TASKS,
        ],
    )


def register_blueprints(app: Flask) -> None:
    from openpositions.alerts.subscribe import views as alerts
    from openpositions.enquiries.applicant import views as applicant
    from openpositions.enquiries.intake import additions
    from openpositions.enquiries.intake import views as intake
    from openpositions.pages import crawlers, old_language_switch
    from openpositions.pages import views as pages
    from openpositions.positions import views as positions

    app.register_blueprint(positions.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(applicant.bp)
    app.register_blueprint(additions.bp)
    app.register_blueprint(alerts.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(crawlers.bp)
    app.register_blueprint(old_language_switch.bp)


def register_monitoring(app: Flask) -> None:
    from openpositions.alerts.operator.figures import AlertCollector
    from openpositions.enquiries.operator.figures import EnquiryCollector
    from openpositions.monitoring import health, metrics

    app.register_blueprint(health.bp)
    metrics.init_app(app, [EnquiryCollector(), AlertCollector()])


def register_errorhandlers(app: Flask) -> None:
    from openpositions.web import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from openpositions.alerts.operator.cli import alerts_cli
    from openpositions.enquiries.operator.cli import enquiries_cli
    from openpositions.positions.cli import positions_cli
    from openpositions.queue.cli import queue_cli

    app.cli.add_command(positions_cli)
    app.cli.add_command(enquiries_cli)
    app.cli.add_command(queue_cli)
    app.cli.add_command(alerts_cli)
