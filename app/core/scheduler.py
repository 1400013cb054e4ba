"""Time for the core: one-shot callbacks and a monotonic clock, behind a protocol so that
the queue runs on Qt's event loop in the app and on a manual clock in tests.

There is no polling timer anywhere: every callback is a single shot at its deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Handle(Protocol):
    """A scheduled callback."""

    def cancel(self) -> None:
        """Do not call it (no effect once it ran or was cancelled)."""


class Scheduler(Protocol):
    """Runs callbacks later on the thread that owns the queue."""

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Handle:
        """Call ``fn`` once, ``seconds`` from now (at once for ``seconds <= 0``)."""

    def now(self) -> float:
        """The clock ``call_later`` counts on, in seconds (``time.monotonic()`` for real)."""
