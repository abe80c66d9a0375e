"""Each app's queue: SQLite in the instance folder by default, Redis when configured."""

import atexit
import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from openpositions.queue.consumer import InProcessConsumer

if TYPE_CHECKING:
    from openpositions.queue.tasks import Task

EXTENSION = "openpositions.queue"


@dataclass
class TaskQueue:
    """One app's Huey, the tasks registered with it, and its in-process consumer, if started."""

    huey: Huey
    registered: dict[str, TaskWrapper]
    consumer: Consumer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Queue a run of the task `name`; raises if the storage cannot be reached."""
        self.registered[name](*args, **kwargs)

    def pending_count(self) -> int:
        """How many runs wait in the storage (raises if it cannot be reached)."""
        return int(self.huey.pending_count())

    def start_in_process(self, workers: int) -> None:
        """Run the consumer in this process's background threads, once."""
        with self.lock:
            if self.consumer is None:
                self.consumer = InProcessConsumer(
                    self.huey, workers=workers, worker_type="thread", shutdown_timeout=10
                )
                self.consumer.start()
                # Its threads are daemons: without this, a server's exit would cut off a mail
                # in mid-send, to be sent again (a duplicate) once its claim runs out.
                atexit.register(self.stop_in_process)

    def stop_in_process(self) -> None:
        """Stop the in-process consumer, letting a task under way finish (10 s at most)."""
        with self.lock:
            if self.consumer is not None:
                self.consumer.stop(graceful=True)
                self.consumer = None

    def worker(self, workers: int, shutdown_timeout: float) -> Consumer:
        """A consumer for a process of its own (`flask queue worker`), stopped by SIGTERM."""
        return self.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            graceful_signal="TERM",
            shutdown_timeout=shutdown_timeout,
        )


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


def register(huey: Huey, app: Flask, declared: "Task[Any]") -> TaskWrapper:
    function = in_app_context(app, declared.function)
    if declared.schedule is not None:
        return huey.periodic_task(declared.schedule, name=declared.name)(function)
    decorate = huey.task(
        name=declared.name, retries=declared.retries, retry_delay=declared.retry_delay
    )
    return decorate(function)


def init_app(app: Flask, tasks: "Iterable[Task[Any]]") -> TaskQueue:
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


def queue_of(app: Flask) -> TaskQueue:
    """The queue of `app` (KeyError if it has none, as an app that failed to start)."""
    queue: TaskQueue = app.extensions[EXTENSION]
    return queue


def current_queue() -> TaskQueue:
    """The queue of the app handling the current request or command."""
    return queue_of(current_app)
