"""Each app's queue: its Huey, the tasks registered with it, its in-process consumer."""

import atexit
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from huey import Huey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from openpositions.queue.consumer import InProcessConsumer

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


def queue_of(app: Flask) -> TaskQueue:
    """The queue of `app` (KeyError if it has none, as an app that failed to start)."""
    queue: TaskQueue = app.extensions[EXTENSION]
    return queue


def current_queue() -> TaskQueue:
    """The queue of the app handling the current request or command."""
    return queue_of(current_app)
