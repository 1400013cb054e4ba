"""The wake-up pipe that hands work to the GUI thread, watched by a real
``QSocketNotifier``: the Unix pipe, and the socket pair Windows uses (QSocketNotifier
watches sockets there, not pipes), which runs here too."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSocketNotifier
from pytestqt.qtbot import QtBot

from app.qt.wake import SocketPairWake, WakePipe


@pytest.mark.parametrize("kind", [WakePipe, SocketPairWake], ids=["platform", "socket-pair"])
def test_a_wake_from_another_thread_reaches_the_gui_thread(
    qtbot: QtBot, kind: type[WakePipe] | type[SocketPairWake]
) -> None:
    wake = kind()
    notifier = QSocketNotifier(wake.read_fd, QSocketNotifier.Type.Read)
    try:
        for _ in range(3):  # drained, it wakes again
            with qtbot.waitSignal(notifier.activated, timeout=5000):
                wakers = [threading.Thread(target=wake.wake) for _ in range(8)]
                for waker in wakers:
                    waker.start()
                for waker in wakers:
                    waker.join()
                for _ in range(100_000):  # more than fits: the waker never blocks
                    wake.wake()
            wake.drain()
        with qtbot.assertNotEmitted(notifier.activated, wait=100):
            pass
    finally:
        notifier.setEnabled(False)
        wake.close()
    wake.wake()  # closed: nobody reads any more, and nothing raises
