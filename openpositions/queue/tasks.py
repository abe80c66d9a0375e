"""Background tasks, declared once at module level and run by each app's queue.

Huey binds a task to one Huey instance, while each app has a queue of its own (its storage is a
setting; tests make many apps). So a feature declares its tasks here, by name, and the factory
hands them to `init_app`, which registers each with that app's Huey.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec

from openpositions.queue.task_queue import current_queue

P = ParamSpec("P")


@dataclass(frozen=True, eq=False)
class Task(Generic[P]):
    """A function the queue's consumer runs in the app's context, later or on a schedule."""

    name: str
    function: Callable[P, None]
    retries: int = 0
    retry_delay: int = 0
    # For periodic tasks: when they run (Huey's crontab, in UTC).
    schedule: Callable[..., bool] | None = None

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Queue a run on the current app's queue; raises if its storage cannot be reached."""
        current_queue().enqueue(self.name, *args, **kwargs)


def task(
    name: str, *, retries: int = 0, retry_delay: int = 0
) -> Callable[[Callable[P, None]], Task[P]]:
    """Declare a task the queue runs when asked to (`Task.enqueue`)."""

    def declare(function: Callable[P, None]) -> Task[P]:
        return Task(name, function, retries=retries, retry_delay=retry_delay)

    return declare


def periodic_task(
    schedule: Callable[..., bool], name: str
) -> Callable[[Callable[[], None]], Task[[]]]:
    """Declare a task the queue's consumer runs on a schedule, e.g. `crontab(minute="*/10")`."""

    def declare(function: Callable[[], None]) -> Task[[]]:
        return Task(name, function, schedule=schedule)

    return declare
