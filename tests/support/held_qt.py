"""The real app with the loading of Qt held back until the test lets it go: a slow start
(a busy machine, a cold disk after login) made deterministic. Nothing of the app changes:
an import hook in front of it waits, at the app's first import of PySide6, until the test
opens a FIFO for writing (``QtGate.release``).

As a script (what the host is told to start, through ``BRIDGEKEEPER_APP_COMMAND``):
``python held_qt.py FIFO [app arguments]``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve()


class QtGate:
    """The test's side: a FIFO the held app waits on, and the command that starts it."""

    def __init__(self, folder: Path) -> None:
        self.fifo = folder / "qt-gate"
        os.mkfifo(self.fifo, 0o600)

    def app_command(self) -> str:
        """For ``BRIDGEKEEPER_APP_COMMAND``."""
        return f"{sys.executable} {HERE} {self.fifo}"

    def release(self, timeout: float = 15.0) -> None:
        """Let the app load Qt; it must have reached the gate within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)  # the app has not reached the gate yet
            else:
                os.close(fd)
                return


class _Hold:
    """A meta path finder that, asked for PySide6 the first time, waits at the gate and
    then steps aside (the normal import goes on)."""

    def __init__(self, fifo: str) -> None:
        self._fifo = fifo

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == "PySide6":
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
            with open(self._fifo, "rb"):  # blocks until the test opens it for writing
                pass
        return None


def main() -> int:
    fifo = sys.argv.pop(1)
    sys.meta_path.insert(0, _Hold(fifo))
    from app.cli import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
