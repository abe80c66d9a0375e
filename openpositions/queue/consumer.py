"""Huey's consumer, run as background threads of a web process."""

from huey.consumer import Consumer


class InProcessConsumer(Consumer):
    """Huey's consumer as background threads of the web process.

    Huey's consumer installs its own SIGINT/SIGTERM/SIGHUP handlers, then acts on them only
    from its run loop, which a web process never enters: the server's SIGTERM would be
    swallowed. Huey offers no public switch for that, so this overrides the one private method
    that installs them; pyproject.toml pins Huey below its next major version, and
    tests/test_dependency_pins.py fails if the method is renamed or gone.
    """

    def _set_signal_handlers(self) -> None:
        pass
