"""A pipe that wakes whoever polls its read end: another thread's ``poll``, or the GUI
thread through a ``QSocketNotifier``. Writing never blocks the waker.

On Windows it is a connected pair of sockets: ``QSocketNotifier`` watches sockets there,
not pipes (nor does ``select``). The socket thread on Windows waits on the pipe poller's
own wake-up (``app.system.pipe_server.PipeWaker``) instead."""

from __future__ import annotations

import contextlib
import os
import socket
import sys


class SocketPairWake:
    """``WakePipe`` on Windows: a connected pair of sockets (it runs anywhere)."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self.read_fd = self._reader.fileno()

    def wake(self) -> None:
        # Full: a wake-up is pending anyway. Closed: nobody reads any more.
        with contextlib.suppress(BlockingIOError, OSError):
            self._writer.send(b"\0")

    def drain(self) -> None:
        try:
            while self._reader.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        """Close both ends; only once nobody wakes or drains it any more."""
        self._reader.close()
        self._writer.close()


if sys.platform == "win32":
    WakePipe = SocketPairWake
else:

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
