"""Creating each app's queue: SQLite in the instance folder by default, Redis when configured."""

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from openpositions.queue.task_queue import EXTENSION, TaskQueue
from openpositions.queue.tasks import Task


def create_huey(app: Flask) -> Huey:
    url = app.config["QUEUE_URL"]
    options = {"results": False, "utc": True}
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Short timeouts: a request that queues must not hang on a Redis that is down.
        timeout = app.config["QUEUE_REDIS_TIMEOUT"]
        pool = redis.ConnectionPool.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        return RedisHuey(app.config["QUEUE_NAME"], connection_pool=pool, **options)
    path = url.removeprefix("sqlite:///") if url else str(Path(app.instance_path) / "queue.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(app.config["QUEUE_NAME"], filename=path, **options)


def in_app_context(app: Flask, function: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> None:
        with app.app_context():
            function(*args, **kwargs)

    return run


def register(huey: Huey, app: Flask, declared: Task[Any]) -> TaskWrapper:
    function = in_app_context(app, declared.function)
    if declared.schedule is not None:
        return huey.periodic_task(declared.schedule, name=declared.name)(function)
    decorate = huey.task(
        name=declared.name, retries=declared.retries, retry_delay=declared.retry_delay
    )
    return decorate(function)


def init_app(app: Flask, tasks: Iterable[Task[Any]]) -> TaskQueue:
    """Create the app's queue and register `tasks`; the consumer starts with the first request."""
    huey = create_huey(app)
    registered: dict[str, TaskWrapper] = {}
    for declared in tasks:
        if declared.name in registered:
            raise ValueError(f"two tasks are named {declared.name!r}")
        registered[declared.name] = register(huey, app, declared)
    queue = TaskQueue(huey=huey, registered=registered)
    app.extensions[EXTENSION] = queue
    if app.config["QUEUE_IN_PROCESS"]:
        # Started by the first request rather than here, so that `flask db upgrade` and the
        # other commands, which create the app too, do not start running tasks.
        def start_consumer() -> None:
            if queue.consumer is None:
                queue.start_in_process(app.config["QUEUE_WORKERS"])

        app.before_request(start_consumer)
    return queue
