"""Web views of the alerts: the form, its answer, and the pages a subscription's key opens
(confirm, change the categories, unsubscribe).

The form's answer is the same page whatever the address (new, waiting for confirmation, or
subscribed already): no one learns from it who subscribed. The pages that a link in a mail
opens change nothing on a GET, so that mail scanners, which fetch every link, confirm and
unsubscribe no one; a button (a POST) does.
"""

import logging

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from openpositions.alerts import totals
from openpositions.alerts.links import alerts_offered
from openpositions.alerts.models import PENDING, Subscription
from openpositions.alerts.openings import record_openings
from openpositions.alerts.subscribe.confirmation import category_titles
from openpositions.alerts.subscribe.forms import AlertForm, CategoriesForm, ConfirmForm
from openpositions.alerts.subscribe.limits import flood_limit
from openpositions.alerts.subscribe.tasks import queue_confirmation
from openpositions.clock import utcnow
from openpositions.content import current_content, current_day
from openpositions.extensions import csrf, db, limiter
from openpositions.i18n import route_in_each_language
from openpositions.web.errors import minutes_until_retry
from openpositions.web.networks import requesting_network
from openpositions.web.security import use_referrer_policy

log = logging.getLogger(__name__)
bp = Blueprint("alerts", __name__)

Page = tuple[str, int]
# RFC 8058: the body of the one-click POST that a mail client sends for List-Unsubscribe-Post.
ONE_CLICK = "One-Click"
# The endpoints whose address holds a subscription's key.
KEYED = {"alerts.confirm", "alerts.manage", "alerts.unsubscribe"}


@bp.after_request
def keep_keys_private(response: Response) -> Response:
    """A page whose address holds a key: no search engine lists it, no other site learns it.

    same-origin, not no-referrer: its forms post back to this site, and over HTTPS Flask-WTF
    refuses a POST without a Referer of this site's own.
    """
    if request.endpoint in KEYED:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        use_referrer_policy("same-origin")
    return response


def require_alerts_offered() -> None:
    if not alerts_offered():
        abort(404)


@route_in_each_language(bp, "/alerts", methods=["GET", "POST"])
# Every POST counts against its network's limit before anything of it is read.
@limiter.limit(flood_limit, methods=["POST"], key_func=requesting_network)
def form() -> Response | Page:
    require_alerts_offered()
    content = current_content()
    form = AlertForm(content=content)
    if request.method != "POST":
        # A link from a section of the positions page ticks its category: ?category=phd.
        requested = request.args.getlist("category")
        form.categories.data = [c.key for c in content.site.categories if c.key in requested]
        return render_form(form)
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # A CSRFError goes to form_expired.
    if not form.validate():
        return render_form(form, status=422)
    try:
        ask_for_alerts(form)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Alerts: a subscription could not be stored")
        notice = _(
            "We could not save your request just now. Please send it again in a few minutes."
        )
        return render_form(form, status=503, notices=[notice])
    return redirect(url_for("alerts.requested"), code=303)


# The form token is checked in the view, after the flood limit: a forged POST counts too.
csrf.exempt(form)


def ask_for_alerts(form: AlertForm) -> None:
    """Store what the form asked for and queue the mail the address is due, if its limit for
    today allows one. Whatever the address, the visitor is answered alike."""
    subscription = Subscription.ask(
        email=str(form.email.data),
        transport_email=form.transport_email,
        categories=list(form.categories.data or ()),
        language=str(get_locale()),
        consent_wording=form.consent_wording(),
    )
    subscription_id = subscription.id
    mailed = subscription.take_confirmation_mail(current_day())
    db.session.commit()
    if mailed:
        queue_confirmation(subscription_id)
    else:
        log.info("Alerts: no mail sent; the address had its confirmation mails for today")


def render_form(form: AlertForm, status: int = 200, notices: list[str] | None = None) -> Page:
    return render_template("alerts/form.html", form=form, notices=notices or []), status


@route_in_each_language(bp, "/alerts/requested")
def requested() -> str:
    require_alerts_offered()
    return render_template("alerts/requested.html")


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> Page:
    log.info("Alerts form expired or forged: %s", error.description)
    notice = _("Your form expired. Check your details and send it again.")
    if request.endpoint != "alerts.form":
        # A page of a subscription's link, open too long: the same page again, to press anew.
        return render_template("alerts/expired.html", again=request.path), 400
    return render_form(AlertForm(content=current_content()), status=400, notices=[notice])


@bp.errorhandler(429)
def too_many_requests(error: HTTPException) -> Page:
    log.warning("Alerts form rate-limited: %s", error.description)
    minutes = minutes_until_retry() or 60
    notice = ngettext(
        "Very many forms have been sent from your network just now, so the site takes no more "
        "from it for a while. You can send yours again in %(num)d minute.",
        "Very many forms have been sent from your network just now, so the site takes no more "
        "from it for a while. You can send yours again in %(num)d minutes.",
        minutes,
    )
    return render_form(AlertForm(content=current_content()), status=429, notices=[notice])


def opened(token: str) -> Subscription | None:
    require_alerts_offered()
    return Subscription.find(token)


def no_subscription() -> Page:
    """The link's subscription is gone (unsubscribed, or never confirmed) or never was."""
    return render_template("alerts/no_subscription.html"), 404


@route_in_each_language(bp, "/alerts/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Response | Page:
    """The link in the confirmation mail: a page whose button confirms (a POST)."""
    subscription = opened(token)
    if subscription is None:
        return no_subscription()
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        # What is open now is on the site as they confirm: recorded first, never announced.
        record_openings(current_content(), current_day(), utcnow())
        if subscription.confirm():
            totals.add_to_totals({totals.SUBSCRIPTIONS_CONFIRMED: 1})
            log.info("Alerts: subscription %d confirmed", subscription.id)
        db.session.commit()
        return redirect(url_for("alerts.confirm", token=token), code=303)
    if subscription.state != PENDING:
        # Confirmed: what it is alerted of, and where to change it.
        return render_template(
            "alerts/confirmed.html",
            subscription=subscription,
            categories=category_titles(subscription.categories),
            token=token,
        ), 200
    return render_template(
        "alerts/confirm.html",
        form=form,
        subscription=subscription,
        categories=category_titles(subscription.categories),
    ), 200


@route_in_each_language(bp, "/alerts/manage/<token>", methods=["GET", "POST"])
def manage(token: str) -> Response | Page:
    """The link in every alert: change the categories, or unsubscribe."""
    subscription = opened(token)
    if subscription is None:
        return no_subscription()
    if subscription.state == PENDING:
        return redirect(url_for("alerts.confirm", token=token), code=303)
    form = CategoriesForm(content=current_content())
    if request.method == "POST":
        if form.validate():
            subscription.choose(form.categories.data or ())
            db.session.commit()
            return redirect(url_for("alerts.manage", token=token, saved=1), code=303)
        status = 422
    else:
        form.categories.data = subscription.categories
        status = 200
    return render_template(
        "alerts/manage.html",
        form=form,
        subscription=subscription,
        token=token,
        saved=request.method == "GET" and "saved" in request.args,
    ), status


@route_in_each_language(bp, "/alerts/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Page:
    """List-Unsubscribe's address (RFC 8058). A POST whose body is List-Unsubscribe=One-Click,
    as a mail client sends it with no cookie and no form token, unsubscribes at once and
    deletes the address; a GET (a mail client without one-click, a person, a scanner) shows
    the one button that does the same."""
    require_alerts_offered()
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") != ONE_CLICK:
            abort(400)
        subscription = Subscription.find(token)
        if subscription is not None and Subscription.remove(subscription.id):
            totals.add_to_totals({totals.UNSUBSCRIBED: 1})
            log.info("Alerts: subscription %d unsubscribed and deleted", subscription.id)
        db.session.commit()
        # Answered alike whether it was subscribed a moment ago or not: it is not now.
        return render_template("alerts/unsubscribed.html"), 200
    if Subscription.find(token) is None:
        return no_subscription()
    return render_template("alerts/unsubscribe.html", token=token, one_click=ONE_CLICK), 200


# A mail client's one-click POST carries neither a cookie nor a form token: the key in the
# address is what proves it comes from the subscriber's mail.
csrf.exempt(unsubscribe)
