"""`flask queue worker`: run the queue's tasks in a process of its own."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from openpositions.queue.task_queue import current_queue

queue_cli = AppGroup("queue", help="Run the task queue.")


@queue_cli.command("worker")
@click.option("--workers", type=int, help="Worker threads (default: QUEUE_WORKERS).")
def worker(workers: int | None) -> None:
    """Run queued tasks in this process (set FLASK_QUEUE_IN_PROCESS=false on the web side).

    SIGTERM lets a mail being sent finish (MAIL_DATA_TIMEOUT and MAIL_TIMEOUT at most), then
    stops.
    """
    logging.getLogger("huey").setLevel(logging.INFO)
    consumer = current_queue().worker(
        workers=workers or current_app.config["QUEUE_WORKERS"],
        shutdown_timeout=(
            current_app.config["MAIL_DATA_TIMEOUT"] + current_app.config["MAIL_TIMEOUT"] + 5
        ),
    )
    consumer.run()
