"""How the core runs a blocking call (the keychain) without blocking the GUI thread: a
``BlockingRunner`` calls it elsewhere and hands the result back on the GUI thread.

``app.qt.worker.ThreadRunner`` is the app's; tests of the core may pass one that runs the
call at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class BlockingTimeout(Exception):
    """The call did not finish in time; its late result is dropped."""


class BlockingRunner(Protocol):
    def run(
        self,
        work: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
        timeout: float,
    ) -> None:
        """Call ``work()`` off the GUI thread; then, on the GUI thread, exactly one of
        ``on_result(value)``, ``on_error(exception)``, or after ``timeout`` seconds
        ``on_error(BlockingTimeout(...))``."""
