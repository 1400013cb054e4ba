"""The worker thread that runs blocking calls (the keychain, reading browser profiles):
results come back on the GUI thread, and a runner that goes away takes nothing down."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.blocking import BlockingTimeout
from app.qt.worker import ThreadRunner

ROOT = Path(__file__).resolve().parents[2]

# Many runners, each used once, closed and dropped at once: PySide deletes a Qt object
# whose last reference goes on another thread later on the GUI thread, and crashed doing
# so when the worker thread held the runner; a per-job QTimer left to deleteLater when its
# runner went crashed the event loop too. Run in a process of its own: a crash is a
# failed test, not a dead suite.
MANY_RUNNERS = """
import gc, sys, time
from PySide6.QtCore import QCoreApplication
from app.qt.worker import ThreadRunner
app = QCoreApplication([])
results = []
for n in range(300):
    runner = ThreadRunner()
    runner.run(lambda n=n: n, results.append, results.append, 5.0)
    deadline = time.monotonic() + 5
    while len(results) <= n and time.monotonic() < deadline:
        app.processEvents()
    runner.close()
    del runner
    if n % 7 == 0:
        gc.collect()
    app.processEvents()
assert results == list(range(300)), results[-3:]
print("ok")
"""


def test_many_short_lived_runners_neither_crash_nor_lose_a_result() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", MANY_RUNNERS],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-3000:]


def test_result_error_and_timeout_each_arrive_once_on_the_gui_thread(qtbot: QtBot) -> None:
    runner = ThreadRunner()
    gui = threading.get_ident()
    seen: list[tuple[str, object, bool]] = []
    release = threading.Event()

    def record(kind: str) -> Callable[[object], None]:
        return lambda value: seen.append((kind, value, threading.get_ident() == gui))

    def fails() -> None:
        raise OSError("no keychain")

    try:
        runner.run(lambda: threading.get_ident() != gui, record("result"), record("error"), 5)
        runner.run(fails, record("result"), record("error"), 5)
        runner.run(release.wait, record("result"), record("error"), 0.2)
        qtbot.waitUntil(lambda: len(seen) == 3, timeout=5000)
        release.set()
        qtbot.wait(100)  # the late result of the third call must be dropped
    finally:
        runner.close()
    assert [(kind, on_gui) for kind, _, on_gui in seen] == [
        ("result", True),
        ("error", True),
        ("error", True),
    ]
    assert seen[0][1] is True  # the call ran on the worker
    assert isinstance(seen[1][1], OSError)
    assert isinstance(seen[2][1], BlockingTimeout)
