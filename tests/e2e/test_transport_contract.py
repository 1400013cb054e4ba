"""The contract of the app's local transport, the same for every kind: the Unix socket
(runs on Linux and macOS) and the Windows named pipe (runs on Windows). Each test runs
once per transport (``tests/support/transports.py``); one that cannot run here is
skipped with the reason. A real server serves each address: on Windows, the app's own
pipe end (``app.system.pipe_server``).

What every transport promises its clients (the host and the command line): connecting to
nothing is ``None``; a server of another user is refused before a byte is sent; frames
arrive whole, in order, up to the limit both ways, and a larger one is a protocol error;
every wait has an end; a closed connection reads as ``None`` after what was sent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host import protocol
from host.transport import AppUnavailable, SocketPathError
from tests.support.harness import wait_for
from tests.support.transports import TRANSPORTS, Link, Transport, private_folder

HELLO = json.dumps({"protocol": protocol.SOCKET_PROTOCOL, "role": "host"}).encode()


@pytest.fixture(params=TRANSPORTS, ids=lambda transport: transport.name)
def transport(request: pytest.FixtureRequest) -> Transport:
    chosen: Transport = request.param
    reason = chosen.unavailable()
    if reason:
        pytest.skip(reason)
    return chosen


@pytest.fixture
def folder() -> Iterator[Path]:
    with private_folder() as path:
        yield path


def connected(transport: Transport, address: str) -> Link:
    link = transport.connect(address)
    assert link is not None, f"nothing served {address}"
    link.settimeout(10)
    link.send(protocol.HELLO, 0, HELLO)
    return link


def request(link: Link, seq: int, asked: object) -> None:
    link.send(protocol.REQUEST, seq, json.dumps(asked).encode())


def sends_until_refused(link: Link) -> int:
    """How many requests ``link`` takes before a send fails (it must fail)."""
    for sent in range(50):
        try:
            request(link, sent + 2, {})
        except ConnectionError:
            return sent
    raise AssertionError("50 sends to a vanished server all succeeded")


# --- Connecting ------------------------------------------------------------------------


def test_connect_to_nothing_is_none(transport: Transport, folder: Path) -> None:
    assert transport.connect(transport.address(folder)) is None


def test_connect_after_the_server_stopped_is_none(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    with transport.serve(address):
        pass
    # A Unix socket leaves its file behind (nobody listens on it); a pipe vanishes.
    assert transport.connect(address) is None


# --- Frames ----------------------------------------------------------------------------


def test_frames_round_trip_whole_and_in_order(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    payloads = [
        json.dumps({"type": "ping", "id": 1}).encode(),
        json.dumps({"title": "Zoë 漢字 🙂"}, ensure_ascii=False).encode(),
        b"{}",
    ]
    with transport.serve(address) as server:
        link = connected(transport, address)
        try:
            for seq, payload in enumerate(payloads, start=1):
                link.send(protocol.REQUEST, seq, payload)
            replies = [link.receive() for _ in payloads]
        finally:
            link.close()
        assert replies == [
            (protocol.REPLY, seq, payload) for seq, payload in enumerate(payloads, start=1)
        ]
        assert server.hellos == [HELLO]
        assert server.requests == payloads


def test_many_replies_in_one_read_are_all_handed_out(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    count = 300
    with transport.serve(address):
        link = connected(transport, address)
        try:
            for seq in range(1, count + 1):
                request(link, seq, {"n": seq})
            replies: list[tuple[int, int, bytes]] = []
            deadline = time.monotonic() + 20
            while len(replies) < count and time.monotonic() < deadline:
                if transport.wait_readable(link, 5):
                    frames = link.receive_ready()
                    assert frames is not None, "the server closed the connection"
                    replies += frames
        finally:
            link.close()
    assert [seq for _kind, seq, _payload in replies] == list(range(1, count + 1))
    assert all(json.loads(payload) == {"n": seq} for _kind, seq, payload in replies)


def test_receive_ready_with_nothing_come_is_blocking_io_error(
    transport: Transport, folder: Path
) -> None:
    """The relay reads when woken, and may be woken for nothing: never a wait, nor an end."""
    address = transport.address(folder)
    with transport.serve(address):
        link = connected(transport, address)
        try:
            link.settimeout(0)
            with pytest.raises(BlockingIOError):
                link.receive_ready()
            link.settimeout(10)
            request(link, 1, {"n": 1})
            assert link.receive() == (protocol.REPLY, 1, b'{"n": 1}')
        finally:
            link.close()


def test_queued_frames_larger_than_the_buffers_go_out_whole_by_flushing(
    transport: Transport, folder: Path
) -> None:
    """The host's relay writes without waiting (``queue``, then ``flush`` whenever the link
    is writable) while it reads replies: frames far larger than the buffers go out whole,
    in order, however the writes are cut."""
    address = transport.address(folder)
    count, pad = 4, "p" * 700_000
    with transport.serve(address) as server:
        link = transport.connect(address)
        assert link is not None
        try:
            link.queue(protocol.HELLO, 0, HELLO)
            for seq in range(1, count + 1):
                link.queue(protocol.REQUEST, seq, json.dumps({"size": seq, "pad": pad}).encode())
            replies: list[tuple[int, int, bytes]] = []
            deadline = time.monotonic() + 30
            while len(replies) < count and time.monotonic() < deadline:
                if link.unsent and transport.wait_writable(link, 0.05):
                    link.flush()
                if transport.wait_readable(link, 0 if link.unsent else 5):
                    frames = link.receive_ready()
                    assert frames is not None, "the server closed the connection"
                    replies += frames
            assert link.unsent == 0
            assert link.flush()
        finally:
            link.close()
    assert replies == [(protocol.REPLY, seq, b"x" * seq) for seq in range(1, count + 1)]
    assert [json.loads(payload)["pad"] == pad for payload in server.requests] == [True] * count


def test_the_largest_frame_passes_both_ways(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    largest = protocol.MAX_SOCKET_FRAME_BYTES
    asked = json.dumps({"size": largest, "pad": ""}).encode()
    big_request = asked[:-2] + b"x" * (largest - len(asked)) + asked[-2:]
    assert len(big_request) == largest
    with transport.serve(address) as server:
        link = connected(transport, address)
        try:
            link.send(protocol.REQUEST, 7, big_request)
            reply = link.receive()
        finally:
            link.close()
        assert server.requests == [big_request]
    assert reply is not None
    assert reply[:2] == (protocol.REPLY, 7)
    assert reply[2] == b"x" * largest


def test_a_frame_over_the_limit_is_a_protocol_error(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    with transport.serve(address):
        link = connected(transport, address)
        try:
            request(link, 1, {"oversize": True})
            with pytest.raises(protocol.ProtocolError):
                link.receive()
        finally:
            link.close()


# --- Waits and endings -----------------------------------------------------------------


def test_a_reply_that_never_comes_times_out(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    with transport.serve(address):
        link = connected(transport, address)
        try:
            request(link, 1, {"silent": True})
            link.settimeout(0.3)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                link.receive()
            assert time.monotonic() - started < 5
        finally:
            link.close()


def test_a_server_that_closes_after_its_reply_reads_as_reply_then_none(
    transport: Transport, folder: Path
) -> None:
    address = transport.address(folder)
    with transport.serve(address):
        link = connected(transport, address)
        try:
            request(link, 1, {"size": 200_000, "close": True})
            reply = link.receive()
            assert reply == (protocol.REPLY, 1, b"x" * 200_000)
            assert link.receive() is None
        finally:
            link.close()


def test_a_server_that_vanishes_reads_as_none_and_refuses_sends(
    transport: Transport, folder: Path
) -> None:
    address = transport.address(folder)
    with transport.serve(address) as server:
        link = connected(transport, address)
        request(link, 1, {"silent": True})
        wait_for(lambda: len(server.requests) == 1, 10, "the request to arrive")
        server.stop()
    try:
        assert link.receive() is None
        # A Unix socket takes one write into its buffer before the peer's reset refuses more.
        assert sends_until_refused(link) <= 1
    finally:
        link.close()


def test_closing_a_link_twice_is_harmless(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    with transport.serve(address) as server:
        link = connected(transport, address)
        link.close()
        link.close()
        assert not link.alive
        wait_for(lambda: server.accepted == 1, 10, "the server to see the client")


def test_many_clients_at_once_are_each_answered(transport: Transport, folder: Path) -> None:
    address = transport.address(folder)
    with transport.serve(address) as server:
        links = [connected(transport, address) for _ in range(60)]
        try:
            for number, link in enumerate(links):
                request(link, 1, {"client": number})
            replies = [link.receive() for link in links]
        finally:
            for link in links:
                link.close()
        assert server.accepted == 60
    assert replies == [
        (protocol.REPLY, 1, json.dumps({"client": number}).encode()) for number in range(60)
    ]


# --- Who serves ------------------------------------------------------------------------

OTHER_SERVER = r"""
import socket, sys
path, log = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(8)
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    conn.settimeout(2)
    got = b""
    try:
        while chunk := conn.recv(65536):
            got += chunk
    except OSError:
        pass
    with open(log, "ab") as out:
        out.write(got + b"|")
    conn.close()
"""


@pytest.fixture
def other_user() -> Iterator[tuple[int, int]]:
    """A second local user for the length of one test (root only)."""
    if sys.platform == "win32":
        pytest.skip("a second POSIX user")
    name = f"bkt{os.getpid()}"
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], check=True)
    try:
        import pwd

        entry = pwd.getpwnam(name)
        yield entry.pw_uid, entry.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


@pytest.mark.second_user
def test_unix_socket_served_by_another_user_is_refused_before_a_byte(
    other_user: tuple[int, int], folder: Path
) -> None:
    from tests.support.transports import UnixSocket

    if sys.platform == "win32":
        pytest.skip("the Unix socket")
    uid, gid = other_user
    os.chown(folder, uid, gid)
    address, log = folder / "bk.sock", folder / "received"
    server = subprocess.Popen(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            "/usr/bin/python3",
            "-SI",
            "-c",
            OTHER_SERVER,
            str(address),
            str(log),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == b"ready\n"
        refused: AppUnavailable | SocketPathError | None = None
        try:
            link = UnixSocket().connect(str(address))
        except (AppUnavailable, SocketPathError) as error:  # its folder, or its credentials
            refused = error
        else:
            assert link is not None
            link.close()
        assert refused is not None, "connected to another user's server"
        assert "another user" in str(refused) or str(uid) in str(refused)
        if isinstance(refused, SocketPathError):
            assert not log.exists(), "it connected through another user's folder"
        else:  # connected, saw whose server it was, and left
            wait_for(log.exists, 10, "the other user's server to note the connection")
            assert log.read_bytes() == b"|", "bytes reached another user's server"
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skip(
    reason="needs a second Windows account, which this suite does not create. How: as an "
    "administrator, `net user bktest <password> /add`; start a pipe server as that user "
    "(`runas /user:bktest`, or CreateProcessWithLogonW) on "
    "winpipe.pipe_name(<our SID>); then transport.connect must raise ForeignPeer (from "
    "winpipe.WrongUser), and the "
    "server must have read nothing (the check of GetNamedPipeServerProcessId's token "
    "user comes before the first write)"
)
def test_named_pipe_served_by_another_user_is_refused_before_a_byte() -> None:
    raise AssertionError("not run: see the skip reason")


# --- The app's pipe end (Windows) ------------------------------------------------------


@pytest.mark.windows
def test_a_pipe_name_already_served_cannot_be_served_again(folder: Path) -> None:
    from app.system import pipe_server
    from host import winpipe
    from tests.support.transports import NamedPipe

    address = NamedPipe().address(folder)
    with NamedPipe().serve(address):
        poller = pipe_server.PipePoller()
        try:
            with pytest.raises(winpipe.PipeInUse):
                pipe_server.listen(address, poller)
        finally:
            poller.close()


@pytest.mark.windows
def test_the_pipe_server_sees_its_client_as_the_same_user(folder: Path) -> None:
    from app.system import pipe_server
    from host import winpipe
    from tests.support.transports import NamedPipe

    address = NamedPipe().address(folder)
    poller = pipe_server.PipePoller()
    listener = pipe_server.listen(address, poller)
    client = winpipe.connect(address)
    try:
        assert client is not None
        poller.register(listener.fileno(), pipe_server.READ)
        ready = poller.poll(5000)
        assert ready == [(listener.fileno(), pipe_server.READ)]
        connection, _ = listener.accept()
        assert connection.client_pid() == os.getpid()
        assert connection.client_is_same_user()
        connection.close()
    finally:
        if client is not None:
            client.close()
        listener.close()
        poller.close()


@pytest.mark.windows
def test_a_poller_wakes_from_another_thread(folder: Path) -> None:
    from app.system import pipe_server

    poller = pipe_server.PipePoller()
    waker = poller.waker()
    poller.register(waker.read_fd, pipe_server.READ)
    try:
        threading.Timer(0.2, waker.wake).start()
        started = time.monotonic()
        assert poller.poll(10_000) == [(waker.read_fd, pipe_server.READ)]
        assert time.monotonic() - started < 5
        waker.drain()
        assert poller.poll(100) == []
    finally:
        poller.close()
