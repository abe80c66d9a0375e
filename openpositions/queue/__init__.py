"""The task queue every feature uses: Huey's storage and consumer, and tasks declared by name."""

from huey import crontab
from huey.exceptions import RetryTask

from openpositions.queue.registration import init_app
from openpositions.queue.task_queue import TaskQueue, current_queue, queue_of
from openpositions.queue.tasks import Task, periodic_task, task

__all__ = [
    "RetryTask",
    "Task",
    "TaskQueue",
    "crontab",
    "current_queue",
    "init_app",
    "periodic_task",
    "queue_of",
    "task",
]
