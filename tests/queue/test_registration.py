"""The queue package: each app's Huey, the tasks declared by name, the in-process consumer."""

import threading
from pathlib import Path

import pytest
from flask import Flask, current_app

from openpositions.enquiries.delivery.tasks import deliver_enquiry, notify_withdrawal
from openpositions.queue import Task, current_queue, init_app, queue_of, task
from tests.support.app import make_app
from tests.support.smtp import SmtpSink

# What the factory hands the queue: every background task of the site, by name.
SITE_TASKS = {
    "deliver_enquiry",
    "deliver_added_documents",
    "alert_operator",
    "notify_withdrawal",
    "queue_lost_enquiries",
    "tell_applicants_of_failures",
    "purge_expired_enquiries",
    "purge_unused_documents",
    "purge_stale_drafts",
    "send_alert_confirmation",
    "sweep_alert_subscriptions",
    "check_for_openings",
    "send_alerts",
}


def test_the_factory_registers_every_task_of_the_site_by_name(app: Flask) -> None:
    assert set(queue_of(app).registered) == SITE_TASKS


def test_a_declared_task_queues_on_the_current_apps_own_storage(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    first = make_app(tmp_path / "first", smtp.port)
    second = make_app(tmp_path / "second", smtp.port)
    with first.app_context():
        deliver_enquiry.enqueue(1)
        notify_withdrawal.enqueue("RS-0000-0001")
        assert current_queue() is queue_of(first)
    assert queue_of(first).pending_count() == 2
    assert queue_of(second).pending_count() == 0


def test_two_tasks_of_one_name_are_refused(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port)

    @task("deliver_enquiry")
    def impostor(enquiry_id: int) -> None:
        pass

    with pytest.raises(ValueError, match="two tasks are named 'deliver_enquiry'"):
        init_app(app, [deliver_enquiry, impostor])


def test_the_in_process_consumer_runs_a_task_inside_the_apps_context(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    ran: list[str] = []
    done = threading.Event()

    @task("note_the_app")
    def note_the_app(word: str) -> None:
        ran.append(f"{word} in {current_app.config['QUEUE_NAME']}")
        done.set()

    app = make_app(tmp_path, smtp.port, QUEUE_NAME="noted")
    queue = init_app(app, [note_the_app])
    queue.start_in_process(workers=1)
    try:
        with app.app_context():
            note_the_app.enqueue("ran")
        assert done.wait(timeout=20), "the consumer never ran the task"
    finally:
        queue.stop_in_process()
    assert ran == ["ran in noted"]


def test_a_task_is_a_named_declaration_not_a_closure() -> None:
    assert isinstance(deliver_enquiry, Task)
    assert deliver_enquiry.name == "deliver_enquiry"
    assert deliver_enquiry.function.__module__ == "openpositions.enquiries.delivery.tasks"
