"""The Qt binding does not corrupt reference counts on the app's hot paths.

PySide6 6.12.0's ``Signal.emit()`` drops a reference to ``True`` on every call; under
Python 3.11 the app then aborts ("bool_dealloc") after a few hundred requests.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Emitter(QObject):
    fired = Signal(object, int, bytes)

app = QCoreApplication([])
emitter = Emitter()
emitter.fired.connect(lambda *args: None)
before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
for _ in range(20_000):
    emitter.fired.emit(emitter, 1, b"x")
after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
print(*(b - a for a, b in zip(after, before)))
"""


def test_signal_emit_keeps_reference_counts_of_singletons() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    leaked = [abs(int(n)) for n in done.stdout.split()]
    assert max(leaked) < 100, f"references lost on True/False/None: {leaked}"
