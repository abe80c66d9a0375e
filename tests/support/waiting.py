"""Waiting for something that happens in another thread or process."""

import time
from collections.abc import Callable

import pytest


def wait_until(
    condition: Callable[[], object], timeout: float = 20, interval: float = 0.05
) -> None:
    """Poll `condition` until it is true; fail the test if it is not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s: {condition.__doc__ or condition}")
        time.sleep(interval)
