"""A pipe that wakes whoever polls its read end: another thread's ``poll``, or the GUI
thread through a ``QSocketNotifier``. Writing never blocks the waker."""

from __future__ import annotations

import contextlib
import os


class WakePipe:
    """``wake`` from any thread; the reader ``drain``s, then looks at what woke it."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self._write_fd, False)

    def wake(self) -> None:
        # Full: a wake-up is pending anyway. Closed: nobody reads any more.
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._write_fd, b"\0")

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        """Close both ends; only once nobody wakes or drains it any more."""
        for fd in (self.read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
