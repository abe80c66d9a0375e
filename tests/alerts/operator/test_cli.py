"""`flask alerts`: counts with no address, one address's data and its deletion on request,
the check run at once; and /metrics, which shows the figures and nothing personal."""

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.alerts.subscribers import (
    NEW_POSTDOC,
    alerts_in,
    confirmed_subscription,
    open_position,
    stored_mails,
    subscribe,
)
from tests.support.app import make_app, queued_tasks
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

pytestmark = pytest.mark.database


def test_list_counts_subscriptions_by_category_and_state_without_addresses(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    confirmed_subscription(app, "ada@example.org", ["phd", "postdoc"])
    confirmed_subscription(app, "bo@example.org", ["postdoc"])
    subscribe(client, "cy@example.org", ["phd"])
    result = runner.invoke(args=["alerts", "list"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["category", "pending", "confirmed", "suspended"]
    assert lines[1] == ["phd", "1", "1", "0"]
    assert lines[2] == ["postdoc", "0", "2", "0"]
    assert lines[3] == ["addresses", "1", "2", "0"]
    assert "@" not in result.output


def test_send_checks_at_once_and_returns_when_the_mails_are_queued(
    app: Flask, content_dir: Path, runner: FlaskCliRunner
) -> None:
    confirmed_subscription(app, "ada@example.org")
    confirmed_subscription(app, "bo@example.org")
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    assert f"Newly open: {NEW_POSTDOC}. Alert mails made: 2; queued: 2." in result.output
    assert queued_tasks(app) == 1  # Both in one task: sent over one connection.
    again = runner.invoke(args=["alerts", "send"])
    assert "Newly open: none. Alert mails made: 0; queued: 0." in again.output


def test_export_gives_an_address_everything_stored_about_it(
    app: Flask, content_dir: Path, runner: FlaskCliRunner, smtp: SmtpSink, consumer: None
) -> None:
    confirmed_subscription(app, "ada@example.org", ["postdoc"], language="de")
    confirmed_subscription(app, "bo@example.org", ["phd"])
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    runner.invoke(args=["alerts", "send"])
    smtp.wait_for(1)

    def sent() -> bool:
        """the alert is recorded as sent"""
        return [status for _, status, _ in stored_mails(app)] == ["sent"]

    wait_until(sent)
    result = runner.invoke(args=["alerts", "export", "ADA@example.org"])
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff"))))
    assert row["email"] == "ada@example.org"
    assert (row["state"], row["language"], row["categories"]) == ("confirmed", "de", "postdoc")
    assert row["consent_wording"] == "I agree."
    assert row["consented_at"] and row["confirmed_at"]
    assert (
        row["positions_announced"].startswith(f"{NEW_POSTDOC} (")
        and "sent" in row["positions_announced"]
    )

    every = runner.invoke(args=["alerts", "export"])
    assert len(list(csv.DictReader(io.StringIO(every.output.removeprefix("\ufeff"))))) == 2
    unknown = runner.invoke(args=["alerts", "export", "nobody@example.org"])
    assert unknown.exit_code == 1 and "No subscription" in unknown.output


def test_delete_removes_an_address_and_everything_stored_with_it(
    app: Flask, content_dir: Path, runner: FlaskCliRunner, smtp: SmtpSink, consumer: None
) -> None:
    confirmed_subscription(app, "ada@example.org")
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    runner.invoke(args=["alerts", "send"])
    smtp.wait_for(1)
    wait_until(lambda: [status for _, status, _ in stored_mails(app)] == ["sent"])

    result = runner.invoke(args=["alerts", "delete", "ada@example.org"])
    assert result.exit_code == 0, result.output
    assert stored_mails(app) == []
    export = runner.invoke(args=["alerts", "export"])
    assert "ada@example.org" not in export.output
    again = runner.invoke(args=["alerts", "delete", "ada@example.org"])
    assert again.exit_code == 1 and "No subscription" in again.output


def test_metrics_show_subscriptions_by_category_and_alerts_sent_and_nothing_personal(
    app: Flask,
    client: FlaskClient,
    content_dir: Path,
    runner: FlaskCliRunner,
    smtp: SmtpSink,
    consumer: None,
) -> None:
    confirmed_subscription(app, "ada@example.org", ["phd", "postdoc"])
    confirmed_subscription(app, "bo@example.org", ["postdoc"])
    subscribe(client, "pending@example.org", ["phd"])
    open_position(content_dir, NEW_POSTDOC, "postdoc")
    runner.invoke(args=["alerts", "send"])
    alerts_in(smtp.wait_for(3))
    wait_until(lambda: [status for _, status, _ in stored_mails(app)] == ["sent", "sent"])

    body = client.get("/metrics").get_data(as_text=True)
    assert 'openpositions_alert_subscriptions{category="phd"} 1.0' in body
    assert 'openpositions_alert_subscriptions{category="postdoc"} 2.0' in body
    assert "openpositions_alerts_sent_total 2.0" in body
    assert "openpositions_alerts_pending 0.0" in body
    assert "@" not in body and "example.org" not in body


def test_send_without_site_url_says_what_is_missing(tmp_path: Path, smtp: SmtpSink) -> None:
    runner = make_app(tmp_path, smtp.port).test_cli_runner()
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 1
    assert "Alerts need FLASK_SITE_URL" in result.output
