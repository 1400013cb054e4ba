"""The bounds of the app's socket (``app.qt.server``), one at a time, on the real server in
this process, so that the test decides when the GUI thread runs. Deadlines and limits are
shortened for the test where waiting the real ones would only make it slow; the
end-to-end tests (tests/e2e/test_trust_socket.py) run them at their real values."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.core.router import Work
from app.main import Bridgekeeper
from app.qt import server as server_module
from app.qt.server import Connection, SocketServer
from host import protocol
from host.caller import Caller
from tests.support.harness import Home, wait_for
from tests.support.raw_client import RawClient

pytestmark = pytest.mark.unix_socket


def no_frame_within(client: RawClient, seconds: float) -> bool:
    try:
        client.receive(seconds)
    except TimeoutError:
        return True
    return False


def test_alive_is_answered_only_while_the_gui_thread_takes_its_work(
    bridgekeeper: Bridgekeeper, home: Home, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "LIVENESS_TIMEOUT", 0.5)
    client = RawClient(home.socket)
    client.send(protocol.ALIVE, 1, b"")
    assert client.receive() == (protocol.ALIVE, 1, b"")  # nothing waits for the GUI
    client.request(2, {"type": "status", "id": "s"})  # waits for the GUI thread...
    time.sleep(0.7)  # ...which runs no events here, for longer than LIVENESS_TIMEOUT
    client.send(protocol.ALIVE, 3, b"")
    assert no_frame_within(client, 0.3)  # a GUI thread that takes no work is not alive
    # The GUI thread runs events again until the status reply is there to read.
    qtbot.waitUntil(lambda: bool(select.select([client.sock], [], [], 0)[0]), timeout=5000)
    assert client.receive()[:2] == (protocol.REPLY, 2)  # type: ignore[index]
    client.send(protocol.ALIVE, 4, b"")
    assert client.receive() == (protocol.ALIVE, 4, b"")
    client.close()


def test_alive_is_answered_while_the_gui_thread_comes_up_but_not_past_its_start_timeout(
    home: Home, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(home.bk_home))
    monkeypatch.setattr(server_module, "GUI_START_TIMEOUT", 0.5)
    running = Bridgekeeper()
    running.listen()  # the GUI thread is not served yet: Qt would be loading now
    try:
        client = RawClient(home.socket)
        client.request(1, {"type": "status", "id": "s"})  # waits for the GUI thread
        client.send(protocol.ALIVE, 2, b"")
        assert client.receive() == (protocol.ALIVE, 2, b"")  # starting is not hanging
        time.sleep(0.7)  # a start that takes longer than GUI_START_TIMEOUT...
        client.send(protocol.ALIVE, 3, b"")
        assert no_frame_within(client, 0.3)  # ...is a hang: hosts give it up
        running.serve_gui()
        assert client.receive()[:2] == (protocol.REPLY, 1)  # type: ignore[index]
        client.send(protocol.ALIVE, 4, b"")
        assert client.receive() == (protocol.ALIVE, 4, b"")
        client.close()
    finally:
        running.stop()


def test_a_connection_with_32_requests_waiting_for_the_gui_is_not_read(
    bridgekeeper: Bridgekeeper, home: Home, qtbot: QtBot
) -> None:
    client = RawClient(home.socket)
    waiting = server_module.MAX_QUEUED_WORK
    frames = [
        protocol.socket_frame(protocol.REQUEST, seq, json.dumps({"type": "status"}).encode())
        for seq in range(1, 2 * waiting + 1)
    ]
    ping = protocol.socket_frame(protocol.REQUEST, 100, b'{"type":"ping"}')
    client.sock.sendall(b"".join(frames) + ping)  # one read's worth, sent at once
    wait_for(lambda: bridgekeeper.server.queued_total == waiting, 5, "work for the GUI")
    assert no_frame_within(client, 0.5)  # the ping waits behind: not even it is acted on
    assert bridgekeeper.server.queued_total == waiting  # the rest wait, unread
    qtbot.waitUntil(lambda: bridgekeeper.server.queued_total == 0, timeout=5000)
    seqs = {client.reply()[0] for _ in range(2 * waiting + 1)}
    assert seqs == {*range(1, 2 * waiting + 1), 100}  # all answered, once each
    client.close()


class Echo:
    """A listener that answers every request on the socket thread with its payload, and
    ``burst`` with two of the largest replies."""

    def __init__(self) -> None:
        self.closed: list[Connection] = []

    def identify(self, hello: dict[str, Any]) -> Caller:
        return Caller("chromium", "x")

    def on_request(self, connection: Connection, seq: int, payload: bytes) -> Work | None:
        if payload == b"burst":
            for n in range(2):
                connection.send_reply(seq + n, b"x" * protocol.MAX_SOCKET_FRAME_BYTES)
        else:
            connection.send_reply(seq, payload)
        return None

    def on_closed(self, connection: Connection) -> None:
        self.closed.append(connection)


@pytest.fixture
def echo_server(tmp_path: Path, qtbot: QtBot) -> Iterator[tuple[Path, Echo, SocketServer]]:
    path = tmp_path / "s.sock"
    listener = Echo()
    server = SocketServer(str(path), listener)
    server.listen()
    server.serve_gui_thread()
    yield path, listener, server
    server.close()


def test_no_hello_in_time_and_a_frame_that_stalls_are_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, qtbot: QtBot
) -> None:
    monkeypatch.setattr(server_module, "HELLO_TIMEOUT", 0.3)
    monkeypatch.setattr(server_module, "FRAME_TIMEOUT", 0.3)
    path = tmp_path / "s.sock"
    server = SocketServer(str(path), Echo())
    server.listen()
    server.serve_gui_thread()
    try:
        silent = RawClient(path, hello=None)
        stalled = RawClient(path)
        stalled.sock.sendall(protocol.socket_frame(protocol.REQUEST, 1, b"x" * 1000)[:500])
        steady = RawClient(path)
        for client in (silent, stalled):
            assert client.until_closed(timeout=5) == []
        steady.request(2, b'"still here"')
        assert steady.receive() == (protocol.REPLY, 2, b'"still here"')
        for client in (silent, stalled, steady):
            client.close()
    finally:
        server.close()


def test_over_the_connection_limit_the_oldest_without_hello_makes_room(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, qtbot: QtBot
) -> None:
    monkeypatch.setattr(server_module, "MAX_CONNECTIONS", 3)
    path = tmp_path / "s.sock"
    server = SocketServer(str(path), Echo())
    server.listen()
    server.serve_gui_thread()
    try:
        silent = RawClient(path, hello=None)
        hosts = [RawClient(path) for _ in range(2)]
        for seq, host in enumerate(hosts):
            host.request(seq, b"1")
            assert host.receive() == (protocol.REPLY, seq, b"1")  # both said hello
        newcomer = RawClient(path)
        newcomer.request(7, b"2")
        assert newcomer.receive() == (protocol.REPLY, 7, b"2")
        assert silent.until_closed() == []  # it made room
        refused = RawClient(path, hello=None)  # all three said hello: nobody makes room
        frames = refused.until_closed()
        assert [kind for kind, _, _ in frames] == [protocol.REFUSED]
        assert "too many connections" in json.loads(frames[0][2])["message"]
        for client in (silent, *hosts, newcomer, refused):
            client.close()
    finally:
        server.close()


def test_replies_past_the_output_budget_close_the_peer_they_are_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, qtbot: QtBot
) -> None:
    budget = 3 * protocol.MAX_SOCKET_FRAME_BYTES
    monkeypatch.setattr(server_module, "OUTPUT_BUDGET", budget)
    path = tmp_path / "s.sock"
    listener = Echo()
    server = SocketServer(str(path), listener)
    server.listen()
    server.serve_gui_thread()
    try:
        hogs = [RawClient(path) for _ in range(2)]
        for hog in hogs:  # each leaves ~2 MiB of replies unread: 4 MiB in all
            hog.request(1, b"burst")
        qtbot.waitUntil(lambda: len(listener.closed) == 1, timeout=5000)
        reader = RawClient(path)
        reader.request(3, b"small")
        assert reader.receive() == (protocol.REPLY, 3, b"small")
        for client in (*hogs, reader):
            client.close()
    finally:
        server.close()


HOLD = """
import select, socket, sys, time
path, count = sys.argv[1], int(sys.argv[2])
sys.stdin.readline()
held = []
for _ in range(count):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    held.append(sock)
answered = set()  # refused (a frame, then closed) rather than left waiting
deadline = time.monotonic() + 3
while time.monotonic() < deadline and len(answered) < count:
    ready, _, _ = select.select([s for s in held if s not in answered], [], [], 0.2)
    answered.update(ready)
print(len(answered), flush=True)
sys.stdin.read()
"""


def test_out_of_descriptors_clients_are_refused_at_once_and_service_resumes(
    echo_server: tuple[Path, Echo, SocketServer], qtbot: QtBot
) -> None:
    path, _listener, server = echo_server
    count = 16
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    import resource  # POSIX only: imported here, so the module loads on Windows

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        # Room for a few clients in this process (the server's), not for all of them.
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 4, hard))
        try:
            holder.stdin.write(b"go\n")
            holder.stdin.flush()
            answered = int(holder.stdout.readline())
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert 0 < answered < count  # some served, the rest refused at once, none left hanging
        assert 0 < server.connections < count
        probe = RawClient(path)  # served again once descriptors are free
        probe.request(5, b"ok")
        assert probe.receive() == (protocol.REPLY, 5, b"ok")
        probe.close()
    finally:
        holder.stdin.close()
        holder.wait(10)
        holder.stdout.close()
