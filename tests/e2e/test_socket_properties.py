"""Property test of the running app's socket: arbitrary frame sequences (well-formed,
malformed, oversize, cut short, interleaved) from several connections at once. The app
stays up, every request on a connection that keeps to the protocol gets exactly one reply,
no connection gets a reply for anything it did not ask, and the app's memory stays under
the bound ``app.qt.server`` states."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host import protocol
from tests.support.harness import AppProcess, one_shot, start_app, temp_home
from tests.support.raw_client import RawClient

pytestmark = pytest.mark.unix_socket

MEMORY_BOUND_MB = 120
"""The app's own bound (app.qt.server: 49 MiB of frames in progress, 32 MiB unsent,
256 checked requests for the GUI thread) with room for Python's overhead."""


@pytest.fixture(scope="module")
def running_app() -> Iterator[AppProcess]:
    with temp_home() as home:
        app = start_app(home)
        yield app
        app.stop()


def memory_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(field_name)


def json_request(message: object) -> bytes:
    return json.dumps(message).encode()


PAYLOADS = {
    "ping": json_request({"type": "ping", "id": 1}),
    "bare-ping": json_request("ping"),
    "status": json_request({"type": "status", "id": "s"}),
    "confirm": json_request({"type": "confirm", "id": "c", "title": "t", "timeout": 600}),
    "cancel": json_request({"type": "cancel", "id": "x", "target": "c"}),
    "unknown-type": json_request({"type": "teleport"}),
    "long-title": json_request({"type": "confirm", "title": "x" * 300}),
    "nested-100000": b"[" * 100_000 + b"]" * 100_000,
    "long-number": b'{"type":"ping","id":' + b"9" * 10_000 + b"}",
    "duplicate-keys": b'{"type":"ping","id":"a","id":"\\ud800"}',
    "lone-surrogates": b'{"type":"status","\\udfff":"\\ud800"}',
    "large": b'{"type":"ping","pad":"' + b"p" * 200_000 + b'"}',
    "not-utf8": b"\xff\xfe{",
    "empty": b"",
}
"""Named, so that a failing example prints short."""
PAYLOAD = st.one_of(st.sampled_from(sorted(PAYLOADS)), st.binary(max_size=64))


def payload_of(choice: str | bytes) -> bytes:
    return PAYLOADS[choice] if isinstance(choice, str) else choice


@dataclass
class Step:
    connection: int
    action: str
    """request | alive | oversize | bad_kind | hello_again | cut"""
    payload: str | bytes = b""


PROTOCOL_BREAKS = ("oversize", "bad_kind", "hello_again")

STEP = st.builds(
    Step,
    connection=st.integers(0, 3),
    action=st.sampled_from(["request"] * 6 + ["alive", *PROTOCOL_BREAKS, "cut"]),
    payload=PAYLOAD,
)


@dataclass
class Peer:
    client: RawClient
    asked: list[int] = field(default_factory=list)
    sent: int = 0
    probes: int = 0
    broke: bool = False
    cut: bool = False


def play(peers: list[Peer], steps: list[Step]) -> None:
    for peer in peers:
        peer.client.sock.settimeout(20)  # the app must keep reading: never a hang here
    for step in steps:
        peer = peers[step.connection]
        if peer.cut:
            continue
        frame = frame_of(peer, step)
        if peer.broke:
            with contextlib.suppress(OSError):  # the app may have closed it already
                peer.client.sock.sendall(frame)
        else:
            peer.client.sock.sendall(frame)
        if step.action in PROTOCOL_BREAKS:
            peer.broke = True
        elif step.action == "cut":  # half a frame, then gone
            peer.cut = True
            peer.client.close()


def frame_of(peer: Peer, step: Step) -> bytes:
    """The bytes ``step`` sends, and what ``peer`` then expects."""
    if step.action == "request":
        peer.sent += 1
        if not peer.broke:
            peer.asked.append(peer.sent)
        return protocol.socket_frame(protocol.REQUEST, peer.sent, payload_of(step.payload))
    if step.action == "alive":
        if not peer.broke:
            peer.probes += 1
        return protocol.socket_frame(protocol.ALIVE, 1000 + peer.probes, b"")
    if step.action == "oversize":
        limit = protocol.MAX_SOCKET_FRAME_BYTES
        return protocol.SOCKET_HEADER.pack(protocol.REQUEST, 7, limit + 1)
    if step.action == "bad_kind":
        return protocol.socket_frame(99, 0, b"{}")
    if step.action == "hello_again":
        return protocol.socket_frame(protocol.HELLO, 0, b"{}")
    frame = protocol.socket_frame(protocol.REQUEST, 9, payload_of(step.payload) or b"{}")
    return frame[: max(1, len(frame) // 2)]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, max_size=30))
def test_any_frames_from_several_connections_get_exactly_one_reply_each(
    running_app: AppProcess, steps: list[Step]
) -> None:
    pid = running_app.process.pid
    baseline = memory_mb(pid, "VmRSS")
    peers = [Peer(RawClient(running_app.home.socket)) for _ in range(4)]
    try:
        play(peers, steps)
        for peer in peers:
            if not peer.cut:
                check_replies(peer)
    finally:
        for peer in peers:
            peer.client.close()
    assert one_shot(running_app.home, {"type": "ping", "id": "up"})["ok"] is True
    assert memory_mb(pid, "VmRSS") - baseline < MEMORY_BOUND_MB


def check_replies(peer: Peer) -> None:
    if not peer.broke:
        peer.client.send(protocol.END, 0, b"")
    frames = peer.client.until_closed(timeout=30)
    replies = [seq for kind, seq, _ in frames if kind == protocol.REPLY]
    assert len(replies) == len(set(replies)), "a request answered twice"
    assert set(replies) <= set(peer.asked), "a reply for nothing asked"
    if not peer.broke:
        assert sorted(replies) == peer.asked  # exactly one reply each
        alive = [seq for kind, seq, _ in frames if kind == protocol.ALIVE]
        assert len(alive) == peer.probes
    for kind, _seq, payload in frames:
        if kind == protocol.REPLY:
            json.loads(payload)  # every reply is JSON
