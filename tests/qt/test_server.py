"""The app's socket thread: what it answers by itself, what waits for the GUI thread, and
replies from both threads on one connection. Real sockets, the real Bridgekeeper in this
process (so the test decides when the Qt event loop runs), and real host processes."""

from __future__ import annotations

import json
import select
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytestqt.qtbot import QtBot

from app.core.router import Work
from app.main import Bridgekeeper
from app.qt.server import MAX_UNSENT, Connection, SocketServer
from host import protocol
from host.caller import Caller
from host.transport import connect
from tests.support.harness import AppProcess, Home, HostProcess, app_command

if TYPE_CHECKING:
    from host.transport import PlatformLink

pytestmark = pytest.mark.app_transport

HELLO = json.dumps(
    {"protocol": 1, "role": "host", "caller": {"family": "chromium", "extension": "x"}}
).encode()


def open_link(path: Path | str) -> PlatformLink:
    link = connect(str(path))
    assert link is not None
    link.send(protocol.HELLO, 0, HELLO)
    link.settimeout(5)
    return link


def test_ping_is_answered_while_the_gui_thread_is_busy(
    bridgekeeper: Bridgekeeper, home: Home, qtbot: QtBot
) -> None:
    link = open_link(home.address)
    # This thread is the GUI thread, and it runs no Qt events until told to below.
    link.send(protocol.REQUEST, 1, b'{"type":"status","id":"s"}')
    link.send(protocol.REQUEST, 2, b'{"type":"ping","id":"p"}')
    reply = link.receive()
    assert reply is not None
    assert reply[:2] == (protocol.REPLY, 2)
    assert json.loads(reply[2])["result"]["pong"] is True
    link.settimeout(0.3)
    with pytest.raises(TimeoutError):
        link.receive()  # status needs the GUI thread, which is busy
    link.settimeout(5)
    # The GUI thread runs events again until the status reply is there to read.
    qtbot.waitUntil(lambda: bool(select.select([link], [], [], 0)[0]), timeout=5000)
    status = link.receive()
    assert status is not None
    assert status[:2] == (protocol.REPLY, 1)
    assert json.loads(status[2])["result"]["pending"] == 0
    link.close()


def test_bad_and_unknown_requests_are_answered_by_the_socket_thread(
    bridgekeeper: Bridgekeeper, home: Home
) -> None:
    link = open_link(home.address)
    link.send(protocol.REQUEST, 1, b"{not json")
    link.send(protocol.REQUEST, 2, b'{"type":"teleport","id":7}')
    replies = [link.receive(), link.receive()]
    errors = [json.loads(r[2])["error"]["code"] for r in replies if r is not None]
    assert errors == ["bad_request", "bad_request"]
    link.close()


def test_replies_from_both_threads_reach_the_browser_whole_and_once(app: AppProcess) -> None:
    """Pings (socket thread) and status requests (GUI thread) sent without waiting: every
    reply frame arrives intact, each request answered exactly once."""
    host = HostProcess(app.home)
    try:
        count = 400
        for i in range(count):
            host.send({"type": "status" if i % 4 == 0 else "ping", "id": i})
        replies = [host.read() for _ in range(count)]
        assert sorted(r["id"] for r in replies) == list(range(count))
        assert all(r["ok"] for r in replies)
        assert {("pong" in r["result"]) for r in replies if r["id"] % 4} == {True}
        assert host.wait() == 0
    finally:
        host.kill()


class BigReplies:
    """A listener whose work, on the GUI thread, answers a request with ``count`` replies
    of ``size`` bytes each (the most one frame may carry), sent without waiting."""

    def __init__(self, count: int, size: int) -> None:
        self.count = count
        self.size = size
        self.sent = False
        self.closed: list[Connection] = []

    def identify(self, hello: dict[str, Any]) -> Caller:
        return Caller("chromium", "x")

    def on_request(self, connection: Connection, seq: int, payload: bytes) -> Work:
        def work() -> None:
            for n in range(self.count):
                connection.send_reply(seq + n, bytes([n]) * self.size)  # does not wait
            connection.finish()  # closes once the replies are written, not before
            self.sent = True

        return work

    def on_closed(self, connection: Connection) -> None:
        self.closed.append(connection)


@pytest.mark.unix_socket
def test_replies_larger_than_the_socket_buffer_are_written_whole_then_closed(
    tmp_path: Path, qtbot: QtBot
) -> None:
    # Three of the largest replies: more than the socket buffer, within MAX_UNSENT.
    listener = BigReplies(3, protocol.MAX_SOCKET_FRAME_BYTES)
    server = SocketServer(str(tmp_path / "s.sock"), listener)
    server.listen()
    server.serve_gui_thread()
    try:
        link = open_link(tmp_path / "s.sock")
        link.send(protocol.REQUEST, 9, b"later")
        qtbot.waitUntil(lambda: listener.sent, timeout=5000)
        for n in range(listener.count):  # read only now: most of it waited for room
            reply = link.receive()
            assert reply is not None
            assert reply[:2] == (protocol.REPLY, 9 + n)
            assert reply[2] == bytes([n]) * listener.size
        assert link.receive() is None  # then closed
        link.close()
    finally:
        server.close()
    assert not (tmp_path / "s.sock").exists()


@pytest.mark.unix_socket
def test_an_app_that_cannot_listen_says_why_and_exits(home: Home) -> None:
    home.socket.parent.mkdir(parents=True, mode=0o700)
    home.socket.mkdir()  # a folder where the socket should go
    done = subprocess.run(
        app_command(), check=False, env=home.env(), capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert f"cannot listen on {home.socket}" in done.stderr
    assert "Traceback" not in done.stderr


class HogAndOthers(BigReplies):
    """Answers seq 9 with ``count`` of the largest replies, any other seq with one small."""

    def on_request(self, connection: Connection, seq: int, payload: bytes) -> Work:
        def work() -> None:
            if seq == 9:
                for n in range(self.count):
                    connection.send_reply(seq + n, bytes([n]) * self.size)
                self.sent = True
            else:
                connection.send_reply(seq, b'"small"')

        return work


@pytest.mark.unix_socket
def test_a_peer_that_leaves_more_than_max_unsent_unread_is_dropped_and_others_served(
    tmp_path: Path, qtbot: QtBot
) -> None:
    listener = HogAndOthers(8, protocol.MAX_SOCKET_FRAME_BYTES)  # 8 MiB, read by nobody
    assert listener.count * listener.size > MAX_UNSENT
    server = SocketServer(str(tmp_path / "s.sock"), listener)
    server.listen()
    server.serve_gui_thread()
    try:
        hog = open_link(tmp_path / "s.sock")
        hog.send(protocol.REQUEST, 9, b"later")
        qtbot.waitUntil(lambda: listener.sent, timeout=5000)
        qtbot.waitUntil(lambda: len(listener.closed) == 1, timeout=5000)
        other = open_link(tmp_path / "s.sock")
        other.send(protocol.REQUEST, 1, b"ping")
        qtbot.waitUntil(lambda: other_replied(other), timeout=5000)
        received = 0
        while (frame := hog.receive()) is not None:  # what the socket held, then the end
            received += len(frame[2])
        assert received < listener.count * listener.size
        hog.close()
        other.close()
    finally:
        server.close()


def other_replied(link: PlatformLink) -> bool:
    link.settimeout(0.05)
    try:
        frame = link.receive()
    except TimeoutError:
        return False
    assert frame == (protocol.REPLY, 1, b'"small"')
    return True
