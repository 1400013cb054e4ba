"""The native messaging host, started as browsers start it, against the real app."""

from __future__ import annotations

import json
import os
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app import __version__
from host import protocol, transport
from tests.support.fake_app import FakeApp
from tests.support.harness import (
    CHROME_ARGV,
    CHROME_ID,
    FIREFOX_ID,
    HEADER,
    AppProcess,
    Home,
    HostProcess,
    app_command,
    encode,
    one_shot,
    process_command,
    processes_of,
    wait_for,
)

pytestmark = pytest.mark.app_transport

FIREFOX_ARGV_TAIL = FIREFOX_ID


def test_host_answers_ping_one_shot(app: AppProcess) -> None:
    reply = one_shot(app.home, {"type": "ping", "id": 7})
    assert reply["id"] == 7
    assert reply["ok"] is True
    assert reply == {
        "id": 7,
        "ok": True,
        "result": {"pong": True, "version": __version__, "protocol": 1},
    }


def test_host_answers_bare_ping_string_with_pong(app: AppProcess) -> None:
    assert one_shot(app.home, "ping") == "pong"


def test_host_answers_status(app: AppProcess) -> None:
    reply = one_shot(app.home, {"type": "status", "id": "s"})
    assert reply == {
        "id": "s",
        "ok": True,
        "result": {
            "version": __version__,
            "protocol": 1,
            "paused": False,
            "pending": 0,
        },
    }


@pytest.mark.parametrize(
    ("argv", "family", "extension"),
    [
        (CHROME_ARGV, "chromium", CHROME_ID),
        ([*CHROME_ARGV, "--parent-window=4242"], "chromium", CHROME_ID),
        (["--parent-window=0", *CHROME_ARGV], "chromium", CHROME_ID),
        (
            ["/home/u/.mozilla/native-messaging-hosts/org.bridgekeeper.host.json", FIREFOX_ID],
            "firefox",
            FIREFOX_ID,
        ),
    ],
    ids=["chromium", "chromium-windows", "chromium-windows-first", "firefox"],
)
def test_host_passes_caller_from_argv_out_of_band(
    app: AppProcess, argv: list[str], family: str, extension: str
) -> None:
    reply = one_shot(app.home, {"type": "ping", "caller": {"family": "x"}}, argv)
    assert reply["error"]["code"] == "bad_request"  # a message cannot carry a caller
    assert one_shot(app.home, {"type": "ping"}, argv)["ok"] is True
    wait_for(
        lambda: f"host for {family} extension {extension!r}" in app.home.log_text(),
        5,
        "the app to log the caller",
    )


def test_port_serves_many_requests_in_order(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        for i in range(200):
            host.send({"type": "ping", "id": i})
        assert [host.read()["id"] for _ in range(200)] == list(range(200))
        assert host.wait() == 0
    finally:
        host.kill()


def _cpu_seconds(pid: int) -> float:
    """User and system time of process ``pid`` so far (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_an_idle_port_uses_no_cpu_after_a_large_request(app: AppProcess) -> None:
    """Once a request larger than the socket takes at once is written, the host stops
    asking for room to write: a port that then waits (for a dialog, say) sleeps."""
    host = HostProcess(app.home)
    try:
        host.send({"type": "ping", "id": 1, "pad": "x" * (600 * 1024)})
        assert host.read()["id"] == 1
        host.send({"type": "ping", "id": 2})
        assert host.read()["id"] == 2
        before = _cpu_seconds(host.process.pid)
        time.sleep(1.0)
        assert _cpu_seconds(host.process.pid) - before < 0.1
    finally:
        host.kill()


def _wake_ups(pid: int) -> int:
    """How many times process ``pid`` (one thread) gave up the CPU to wait (``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches in /proc")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_an_idle_port_does_not_wake_up(app: AppProcess) -> None:
    """A port with nothing waiting for an answer sleeps until the browser or the app says
    something: not once a second, not ever (a laptop's battery)."""
    host = HostProcess(app.home)
    try:
        host.send({"type": "ping", "id": 1})
        assert host.read()["id"] == 1
        time.sleep(0.3)  # the host goes back to its wait after writing the reply
        before = _wake_ups(host.process.pid)
        time.sleep(2.5)
        assert _wake_ups(host.process.pid) - before == 0
    finally:
        host.kill()


@contextmanager
def _request_held(home: Home, rid: object) -> Iterator[tuple[FakeApp, HostProcess, int]]:
    """A host whose ``confirm`` ``rid`` this FAKE app holds, never answering it nor ALIVE
    (as a stopped app would); yields the app, the host and the request's seq."""
    held: list[int] = []
    fake = FakeApp(home.socket, lambda _conn, seq, _req: held.append(seq))
    host = HostProcess(home)
    try:
        host.send({"type": "confirm", "id": rid, "title": "t"})
        wait_for(lambda: held, 5, "the fake app to hold the request")
        yield fake, host, held[0]
    finally:
        host.kill()
        fake.crash()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_port_waiting_for_an_answer_sleeps(home: Home) -> None:
    """While a request waits for its answer (a dialog open), the host wakes only to probe
    the app's liveness (every PROBE_INTERVAL, 2 s), not hundreds of times a second."""
    with _request_held(home, 1) as (fake, host, _seq):
        time.sleep(0.2)
        before, cpu = _wake_ups(host.process.pid), _cpu_seconds(host.process.pid)
        time.sleep(3.0)  # past the first probe (this app never answers one)
        assert _wake_ups(host.process.pid) - before <= 3  # one probe falls due, maybe two
        assert _cpu_seconds(host.process.pid) - cpu < 0.2  # nor polls without waiting
        assert 1 <= len(fake.probes) <= 2


BAD_INPUTS: list[tuple[str, bytes, str]] = [
    ("broken-json", b'{"type": "ping",', "bad_request"),
    ("invalid-utf8", b'{"type": "ping", "id": "\xff\xfe"}', "bad_request"),
    ("nan", b'{"type": "ping", "id": NaN}', "bad_request"),
    ("not-an-object", b"[1, 2, 3]", "bad_request"),
    ("other-string", b'"pong"', "bad_request"),
    ("number", b"42", "bad_request"),
    ("empty", b"", "bad_request"),
    ("unknown-type", b'{"type": "launch-missiles"}', "bad_request"),
    ("missing-type", b'{"id": 1}', "bad_request"),
    ("bad-id", b'{"type": "ping", "id": {"x": 1}}', "bad_request"),
    ("long-id", json.dumps({"type": "ping", "id": "x" * 129}).encode(), "bad_request"),
]


@pytest.mark.parametrize(
    ("payload", "code"), [(p, c) for _, p, c in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
def test_host_bad_request_is_answered_and_port_goes_on(
    app: AppProcess, payload: bytes, code: str
) -> None:
    host = HostProcess(app.home)
    try:
        host.send_raw(HEADER.pack(len(payload)) + payload)
        host.send({"type": "ping", "id": "after"})
        error = host.read()
        assert error["ok"] is False
        assert error["error"]["code"] == code
        assert error["error"]["message"]
        assert host.read()["id"] == "after"
        assert host.wait() == 0
    finally:
        host.kill()


def test_host_unknown_type_error_names_the_type(app: AppProcess) -> None:
    reply = one_shot(app.home, {"type": "launch-missiles", "id": 3})
    assert reply["id"] == 3
    assert "launch-missiles" in reply["error"]["message"]


def test_host_oversize_frame_replies_too_large_and_skips_payload(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        declared = 64 * 1024 * 1024 + 1  # SPEC: "at most 64 MiB a frame"
        host.send_raw(HEADER.pack(declared))
        chunk = b" " * (1024 * 1024)
        for _ in range(declared // len(chunk)):
            host.send_raw(chunk)
        host.send_raw(b" " * (declared % len(chunk)))
        host.send({"type": "ping", "id": "after"})
        reply = host.read()
        assert reply == {
            "id": None,
            "ok": False,
            "error": {
                "code": "too_large",
                "message": "the request is 67108865 bytes; at most 67108864 bytes are accepted",
            },
        }
        assert host.read()["id"] == "after"
        assert host.wait() == 0
    finally:
        host.kill()


def test_host_large_but_allowed_frame_is_bad_request_with_its_id(app: AppProcess) -> None:
    message = {"type": "confirm", "id": "big", "title": "x" * (3 * 1024 * 1024)}
    reply = one_shot(app.home, message)
    assert reply["id"] == "big"
    assert reply["error"]["code"] == "bad_request"


def _frame_of(size: int, rid: str) -> dict[str, str]:
    """A confirm whose JSON is exactly ``size`` bytes."""
    message = {"type": "confirm", "id": rid, "title": ""}
    message["title"] = "x" * (size - len(json.dumps(message)))
    assert len(json.dumps(message).encode()) == size
    return message


def test_a_request_over_1_048_576_bytes_is_answered_by_the_host_itself(app: AppProcess) -> None:
    over = one_shot(app.home, _frame_of(1_048_577, "over"))
    assert over == {
        "id": "over",
        "ok": False,
        "error": {
            "code": "bad_request",
            "message": "the request is 1048577 bytes; no valid request is larger than "
            "1048576 bytes (check the length of its fields)",
        },
    }
    # One byte less reaches the app, which names the field that is too long.
    at_limit = one_shot(app.home, _frame_of(1_048_576, "at"))
    assert (at_limit["id"], at_limit["error"]["code"]) == ("at", "bad_request")
    assert "title" in at_limit["error"]["message"]
    assert "no valid request is larger" not in at_limit["error"]["message"]


OVER_A_MIB = 1_048_577


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'"' + b"\xff" * (OVER_A_MIB - 2) + b'"', "the request is not UTF-8: "),
        (b"{" + b" " * (OVER_A_MIB - 1), "the request is not valid JSON: "),
        (b"[" * OVER_A_MIB, "the request is nested too deeply"),
    ],
    ids=["not-utf8", "not-json", "nested"],
)
def test_a_request_over_1_048_576_bytes_that_cannot_be_read_gets_one_reply(
    home: Home, payload: bytes, message: str
) -> None:
    """The host answers these itself (no app needed), once each, and the port goes on."""
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": "/nonexistent/bridgekeeper"})
    try:
        host.send_raw(len(payload).to_bytes(4, sys.byteorder) + payload)
        host.send({"type": "ping", "id": 2})
        reply = host.read()
        assert (reply["id"], reply["ok"], reply["error"]["code"]) == (None, False, "bad_request")
        assert reply["error"]["message"].startswith(message)
        assert host.read()["id"] == 2  # app_unavailable: there is no app here
        host.close()
        assert host.wait() == 0
    finally:
        host.kill()


def _frame(kind: bytes, seq: int, payload: bytes) -> bytes:
    return kind + seq.to_bytes(4, "big") + len(payload).to_bytes(4, "big") + payload


def _frames_from(sock: socket.socket, count: int) -> list[tuple[bytes, int, bytes]]:
    """``count`` frames read off ``sock``, split by hand: (kind byte, seq, payload)."""
    received = b""
    out: list[tuple[bytes, int, bytes]] = []
    while len(out) < count:
        data = sock.recv(65536)
        assert data, f"the app closed the connection after {received!r}"
        received += data
        while len(received) >= 9:
            size = int.from_bytes(received[5:9], "big")
            if len(received) < 9 + size:
                break
            seq = int.from_bytes(received[1:5], "big")
            out.append((received[:1], seq, received[9 : 9 + size]))
            received = received[9 + size :]
    return out


def test_the_socket_speaks_the_documented_frames_to_a_protocol_1_host(app: AppProcess) -> None:
    """host <-> app frames as host/protocol.py documents them, written byte by byte: a
    9-byte big-endian header (kind u8, seq u32, length u32); HELLO 1, REQUEST 2, REPLY 3;
    ALIVE 6 is echoed; REFUSED 4 says why the app will not serve a client. A host of
    socket protocol 1 (an older install) is still served."""
    hello = json.dumps(
        {
            "protocol": 1,
            "role": "host",
            "caller": {"family": "chromium", "extension": CHROME_ID},
            "pid": os.getpid(),
            "browser_exe": None,
        }
    ).encode()
    ping = b'{"type": "ping", "id": 9}'
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(app.home.socket))
        sock.sendall(_frame(b"\x01", 0, hello) + _frame(b"\x02", 70000, ping))
        [(kind, seq, payload)] = _frames_from(sock, 1)
        sock.sendall(_frame(b"\x06", 12, b""))
        assert _frames_from(sock, 1) == [(b"\x06", 12, b"")]
    assert (kind, seq) == (b"\x03", 70000)
    assert json.loads(payload) == {
        "id": 9,
        "ok": True,
        "result": {"pong": True, "version": __version__, "protocol": 1},
    }
    # A socket protocol the app does not speak: REFUSED, and the connection closed.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(app.home.socket))
        sock.sendall(_frame(b"\x01", 0, hello.replace(b'"protocol": 1', b'"protocol": 99')))
        [(kind, seq, payload)] = _frames_from(sock, 1)
        assert sock.recv(1) == b""
    assert (kind, seq, json.loads(payload)["code"]) == (b"\x04", 0, "refused")


def test_host_frame_cut_short_exits_without_writing(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send_raw(HEADER.pack(100) + b'{"type": "ping"')
        started = time.monotonic()
        assert host.wait() == 0
        assert time.monotonic() - started < 1.0
        assert host.stdout.read() == b""
    finally:
        host.kill()


def test_host_truncated_header_exits_without_writing(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send_raw(b"\x05\x00")
        assert host.wait() == 0
        assert host.stdout.read() == b""
    finally:
        host.kill()


def test_stdout_carries_frames_only(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send_raw(HEADER.pack(3) + b"{x}")
        host.send({"type": "ping", "id": 1})
        host.close()
        data = host.stdout.read()
        frames = []
        while data:
            (length,) = struct.unpack("=I", data[:4])
            frames.append(json.loads(data[4 : 4 + length]))
            data = data[4 + length :]
        assert [f["id"] for f in frames] == [None, 1]
    finally:
        host.kill()


def test_host_exits_quickly_after_end_of_input(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send({"type": "ping"})
        assert host.read()["ok"] is True
        started = time.monotonic()
        host.wait()
        assert time.monotonic() - started < 1.0
    finally:
        host.kill()


@pytest.mark.find_processes
def test_app_not_running_is_started_by_the_host(home: Home) -> None:
    reply = one_shot(home, {"type": "ping", "id": 1})
    try:
        assert reply["ok"] is True
    finally:
        os.kill(_app_pid(home), signal.SIGTERM)


@pytest.mark.unix_socket
def test_stale_socket_file_is_replaced(home: Home) -> None:
    home.socket.parent.mkdir(parents=True, mode=0o700)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(home.socket))
    stale.close()  # leaves the file behind, nothing listening: a crashed app's socket
    reply = one_shot(home, {"type": "ping", "id": 1})
    try:
        assert reply["ok"] is True
    finally:
        os.kill(_app_pid(home), signal.SIGTERM)


@pytest.mark.parametrize(
    ("command", "named"),
    [
        ("/nonexistent/bridgekeeper --tray", "'/nonexistent/bridgekeeper' could not be started"),
        ("'/opt/bridgekeeper", "quotation"),
    ],
    ids=["missing", "quote-not-closed"],
)
def test_unstartable_app_gets_app_unavailable_not_a_hang(
    home: Home, command: str, named: str
) -> None:
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": command})
    try:
        host.send({"type": "ping", "id": 1})
        host.send({"type": "status", "id": 2})
        first, second = host.read(), host.read()
        assert (first["id"], second["id"]) == (1, 2)
        for reply in (first, second):
            assert reply["error"]["code"] == "app_unavailable"
            assert "bridgekeeper doctor" in reply["error"]["message"]
            assert named in reply["error"]["message"]  # the program, not its argument
        assert host.wait() == 0
    finally:
        host.kill()


def test_a_port_starts_an_app_that_exits_at_once_only_once(home: Home, tmp_path: Path) -> None:
    """An app command that fails (exits at once) is tried once per host: the port's next
    requests are answered with the same reason, not by starting it again each time."""
    starts = tmp_path / "starts"
    failing = shlex.join(["/bin/sh", "-c", f"echo started >> {shlex.quote(str(starts))}; exit 3"])
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": failing})
    try:
        for rid in (1, 2, 3):
            host.send({"type": "ping", "id": rid})
            reply = host.read()
            assert (reply["id"], reply["error"]["code"]) == (rid, "app_unavailable")
            assert "exited with status 3" in reply["error"]["message"]
        assert starts.read_text() == "started\n"
    finally:
        host.kill()


def test_input_ended_while_the_app_starts_is_answered_half_a_second_later(home: Home) -> None:
    """``sendNativeMessage``'s host reads one request, then its input ends: an app that has
    not listened by 0.5 s after that end (AFTER_END_CONNECT) is given up, and the request
    is answered before the browser kills the host."""
    hands_over = f'"{sys.executable}" -c "pass"'  # exits 0 and never listens
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": hands_over})
    try:
        host.send({"type": "ping", "id": 7})
        host.close()
        ended = time.monotonic()
        reply = host.read()
        waited = time.monotonic() - ended
        assert reply == {
            "id": 7,
            "ok": False,
            "error": {
                "code": "app_unavailable",
                "message": "the browser's input ended before Bridgekeeper could be "
                "reached; nothing was sent",
            },
        }
        assert 0.5 <= waited < 3.0
        assert host.wait() == 0
    finally:
        host.kill()


def test_app_that_exits_at_start_gets_app_unavailable(home: Home) -> None:
    exits_1 = f'"{sys.executable}" -c "raise SystemExit(1)"'  # /bin/false, on every platform
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": exits_1})
    try:
        started = time.monotonic()
        host.send({"type": "ping", "id": 1})
        reply = host.read()
        assert reply["error"]["code"] == "app_unavailable"
        assert "exited with status 1" in reply["error"]["message"]
        assert time.monotonic() - started < 5
    finally:
        host.kill()


def test_fifty_hosts_at_once_are_all_answered(app: AppProcess) -> None:
    with ThreadPoolExecutor(50) as pool:
        replies = list(pool.map(lambda i: one_shot(app.home, {"type": "ping", "id": i}), range(50)))
    assert [r["id"] for r in replies] == list(range(50))
    assert all(r["ok"] for r in replies)


@pytest.mark.find_processes
def test_fifty_hosts_at_once_start_one_app(home: Home) -> None:
    with ThreadPoolExecutor(50) as pool:
        replies = list(pool.map(lambda i: one_shot(home, {"type": "ping", "id": i}), range(50)))
    try:
        assert all(r["ok"] for r in replies), replies
        assert len(_app_pids(home)) == 1
    finally:
        os.kill(_app_pid(home), signal.SIGTERM)


@pytest.mark.find_processes
def test_port_outlives_a_killed_app_by_starting_it_again(app: AppProcess) -> None:
    host = HostProcess(app.home)
    try:
        host.send({"type": "ping", "id": 0})
        assert host.read()["id"] == 0
        app.kill()
        host.send({"type": "ping", "id": 1})
        reply = host.read()
        assert reply["id"] == 1
        assert reply["ok"] is True
        os.kill(_app_pid(app.home), signal.SIGTERM)
    finally:
        host.kill()


# The real app answers ping at once; holding requests and then vanishing, or replying
# over the browser's limit, needs the scripted FAKE app.


@pytest.mark.unix_socket
def test_app_gone_with_requests_outstanding_answers_each_in_order(home: Home) -> None:
    held: list[int] = []
    fake = FakeApp(home.socket, lambda _conn, seq, _req: held.append(seq))
    host = HostProcess(home)
    try:
        for i in range(5):
            host.send({"type": "confirm", "id": i, "title": "t"})
        wait_for(lambda: len(held) == 5, 5, "the fake app to hold five requests")
        fake.crash()
        replies = [host.read() for _ in range(5)]
        assert [r["id"] for r in replies] == list(range(5))
        assert {r["error"]["code"] for r in replies} == {"app_unavailable"}
        assert host.wait() == 0
    finally:
        host.kill()


@pytest.mark.unix_socket
def test_app_frame_over_the_socket_limit_drops_the_app_and_answers_app_unavailable(
    home: Home,
) -> None:
    # No valid reply is larger than a browser accepts (the app answers too_large instead:
    # test_secrets.py), so a larger frame means a broken app, never relayed.
    def broken(conn: socket.socket, seq: int, request: Any) -> None:
        over = 1_048_576 + 1  # SPEC: "at most 1,048,576 bytes a frame"
        conn.sendall(protocol.SOCKET_HEADER.pack(protocol.REPLY, seq, over) + b"x" * 4096)

    FakeApp(home.socket, broken)
    reply = one_shot(home, {"type": "secret.get", "id": "s", "name": "n"})
    assert reply == {
        "id": "s",
        "ok": False,
        "error": {
            "code": "app_unavailable",
            "message": f"Bridgekeeper stopped before answering. {transport.HOW_TO_FIX}",
        },
    }


@pytest.mark.unix_socket
def test_reply_of_exactly_1_048_576_bytes_passes_whole(home: Home) -> None:
    overhead = len(b'{"id":"s","ok":true,"result":{"value":""}}')
    value = "x" * (1_048_576 - overhead)  # SPEC: "at most 1,048,576 bytes a frame"

    def exact(conn: socket.socket, seq: int, request: Any) -> None:
        FakeApp.reply(conn, seq, protocol.ok_reply(request.get("id"), {"value": value}))

    FakeApp(home.socket, exact)
    host = HostProcess(home)
    try:
        host.send({"type": "secret.get", "id": "s", "name": "n"})
        host.close()
        frame = host.stdout.read()
        assert struct.unpack("=I", frame[:4]) == (1_048_576,)
        assert len(frame) == 4 + 1_048_576
        assert json.loads(frame[4:]) == {"id": "s", "ok": True, "result": {"value": value}}
    finally:
        host.kill()


@pytest.mark.unix_socket
def test_host_tells_app_at_end_of_input_and_exits_within_a_second(home: Home) -> None:
    with _request_held(home, 1) as (fake, host, seq):
        started = time.monotonic()
        assert host.wait() == 0
        assert time.monotonic() - started < 1.0
        assert fake.ended.is_set()
        # As host/protocol.py documents them, written out: HELLO (1) and END (5) are seq
        # 0, END is empty (a probe, ALIVE (6), may come between under load).
        hello, request, end = [f for f in fake.frames if f[0] != 6]
        assert hello[:2] == (1, 0)
        assert request[:2] == (2, seq)
        assert end == (5, 0, 0)
        assert fake.hellos[0]["protocol"] == 2  # socket protocol 2: with ALIVE
        browser = Path("/proc/self/exe")  # the host's parent: this process, as a browser
        assert fake.hellos[0]["browser_exe"] == (os.readlink(browser) if browser.exists() else None)


def test_host_imports_only_the_standard_library(home: Home) -> None:
    probe = (
        "import sys, sysconfig\n"
        "before = set(sys.modules)\n"
        "from host.relay import main\n"
        "sys.argv = ['bridgekeeper-host', 'chrome-extension://x/']\n"
        "main()\n"
        "stdlib = (sysconfig.get_paths()['stdlib'], sysconfig.get_paths()['platstdlib'])\n"
        "for name in sorted(set(sys.modules) - before):\n"
        "    origin = getattr(sys.modules[name], '__file__', None) or 'built-in'\n"
        "    print(name, origin, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=home.env({"BRIDGEKEEPER_APP_COMMAND": "/bin/false"}),
        input=b"",
        capture_output=True,
        timeout=30,
        check=True,
    )
    import sysconfig

    stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    package = str(Path(protocol.__file__).parent)
    lines = [line.split(" ", 1) for line in done.stderr.decode().splitlines()]
    loaded = {name: origin for name, origin in lines if not name.startswith("bridgekeeper-")}
    assert "host.relay" in loaded
    foreign = {
        name: origin
        for name, origin in loaded.items()
        if origin != "built-in" and not origin.startswith((*stdlib, package))
    }
    assert foreign == {}


def _app_pids(home: Home) -> list[int]:
    pids = []
    for pid in processes_of(home.root):
        command = process_command(pid)
        if command is not None and b"bridgekeeper-host" not in command:
            pids.append(pid)
    return pids


def _app_pid(home: Home) -> int:
    wait_for(lambda: len(_app_pids(home)) == 1, 5, "exactly one app process")
    return _app_pids(home)[0]


# The SPEC's 10 s (slow tests: last, so that a mutation run fails fast on the others).


def test_an_app_that_stops_answering_is_given_up_after_10_s(home: Home) -> None:
    """SPEC (1.1): a host whose app says nothing for 10 s (this FAKE app holds the request
    and ignores ALIVE, as a stopped one would) answers it app_unavailable. Meanwhile it
    asks ALIVE after 2 s of silence, and every 2 s again."""
    with _request_held(home, "c") as (fake, host, _seq):
        sent = time.monotonic()
        reply = host.read()
        waited = time.monotonic() - sent
        assert (reply["id"], reply["error"]["code"]) == ("c", "app_unavailable")
        assert "has not answered for 10 s" in reply["error"]["message"]
        assert f"(pid {os.getpid()})" in reply["error"]["message"]  # the FAKE app's
        assert 9.9 <= waited < 11.5, waited
        probes = [at - sent for at in fake.probes]
        assert len(probes) == 4, probes  # at 2, 4, 6 and 8 s
        gaps = [later - earlier for earlier, later in zip([0.0, *probes], probes, strict=False)]
        assert all(1.8 <= gap < 2.8 for gap in gaps), probes
        host.close()
        assert host.wait() == 0
        assert "Traceback" not in host.stderr_text()


def test_a_stopped_app_is_given_up_whatever_the_browser_sends_meanwhile(home: Home) -> None:
    """A message from the browser between two probes, one the host answers itself (over
    1 MiB), neither holds the give-up off nor leaves the host waiting without end: the
    app, silent since the request (this FAKE app ignores ALIVE), is given up 10 s on."""
    with _request_held(home, "c") as (fake, host, _seq):
        sent = time.monotonic()
        time.sleep(1.5)  # half a second before the first probe
        host.send(_frame_of(1_048_577, "over"))
        assert host.read()["id"] == "over"
        ready, _, _ = select.select([host.stdout], [], [], 14.0)
        assert ready, "the host waits without end for an app that stopped answering"
        reply = host.read()
        waited = time.monotonic() - sent
        assert (reply["id"], reply["error"]["code"]) == ("c", "app_unavailable")
        assert 9.9 <= waited < 11.5, waited
        assert len(fake.probes) == 4  # at 2, 4, 6 and 8 s


def test_an_app_that_never_listens_is_given_up_10_s_after_the_host_started(home: Home) -> None:
    """SPEC: the host starts the app and waits up to 10 s for its socket."""
    started = time.monotonic()
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": "sleep 30"})
    try:
        host.send({"type": "ping", "id": 1})
        reply = host.read()
        waited = time.monotonic() - started
        assert (reply["id"], reply["error"]["code"]) == (1, "app_unavailable")
        assert "could not be reached within 10 s" in reply["error"]["message"]
        assert 10.0 <= waited < 11.5, waited
    finally:
        host.kill()


def _app_socket_served_by_hand(home: Home, backlog: int = 1) -> socket.socket:
    """A socket listening where the app's would be, for a test to play an app that the
    real one cannot be made to be (one that never reads, refuses, closes at once)."""
    home.socket.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(home.socket))
    server.listen(backlog)
    return server


def _send_more_than_the_socket_holds(host: HostProcess) -> list[int]:
    """Four pings of 512 KiB each (2 MiB, more than a Unix socket holds: the host keeps
    what the app has not read); returns their ids."""
    pad = "x" * (512 * 1024)
    ids = [0, 1, 2, 3]
    for rid in ids:
        host.send({"type": "ping", "id": rid, "pad": pad})
    return ids


def _answer_requests(conn: socket.socket, count: int) -> None:
    """Be the app on ``conn`` until ``count`` REQUEST frames are answered (each ok)."""
    received = b""
    answered = 0
    while answered < count:
        data = conn.recv(1 << 20)
        if not data:
            return
        received += data
        while len(received) >= 9 and len(received) >= 9 + (
            size := int.from_bytes(received[5:9], "big")
        ):
            kind, seq = received[0], int.from_bytes(received[1:5], "big")
            received = received[9 + size :]
            if kind == protocol.REQUEST:
                conn.sendall(_frame(b"\x03", seq, b'{"id":1,"ok":true}'))
                answered += 1


@pytest.mark.unix_socket
def test_an_app_that_does_not_read_stops_the_host_reading_the_browser_past_8_mib(
    home: Home,
) -> None:
    """The host holds at most 8 MiB (``relay.MAX_UNSENT``) for an app that takes nothing
    in; past that it leaves the browser's messages in the pipe, so its memory stays
    bounded whatever the browser sends (until the app's silence gives it up, after 10 s)."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        host.send({"type": "ping", "id": 0})  # the host connects; the app never reads
        conn, _ = server.accept()
        request = encode({"type": "ping", "id": 1, "pad": "x" * (64 * 1024)})
        stream = request * 480  # 30 MiB of valid requests
        fd = host.stdin.fileno()
        os.set_blocking(fd, False)
        sent, stalled_since = 0, time.monotonic()
        while sent < len(stream) and time.monotonic() - stalled_since < 2.0:
            try:
                sent += os.write(fd, stream[sent : sent + 65536])
                stalled_since = time.monotonic()
            except BlockingIOError:
                time.sleep(0.01)
        mib = 1024 * 1024
        # 8 MiB held (the last frame may pass it by up to 64 KiB), plus the socket's and
        # the pipe's buffers and a frame being read: under 9 MiB.
        assert 8 * mib <= sent < 9 * mib, sent
        assert host.process.poll() is None

        # The app catches up: everything held, and everything the browser sends after,
        # reaches it, and every request is answered.
        replier = threading.Thread(target=_answer_requests, args=(conn, 481), daemon=True)
        replier.start()
        os.set_blocking(fd, True)
        host.send_raw(stream[sent:])
        host.close()
        replies = [host.read() for _ in range(481)]
        assert replies[0] == {"id": 1, "ok": True}
        assert all(reply == {"id": 1, "ok": True} for reply in replies)
        replier.join(5.0)
        assert host.wait() == 0
        conn.close()
    finally:
        server.close()
        host.kill()


@pytest.mark.unix_socket
def test_an_answer_comes_through_while_the_app_has_not_read_what_it_was_sent(
    home: Home,
) -> None:
    """The app answers an early request while later ones, more than the socket holds,
    wait for it to read (a dialog's answer while a large request is on its way): the
    answer reaches the browser at once, not when the app reads or is given up 10 s on."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        host.send({"type": "ping", "id": "early"})
        conn, _ = server.accept()
        conn.settimeout(10)
        (hello, _, _), (kind, seq, _) = _frames_from(conn, 2)
        assert (hello, kind) == (b"\x01", b"\x02")
        _send_more_than_the_socket_holds(host)
        time.sleep(0.3)  # the host holds what the socket does not take
        conn.sendall(_frame(b"\x03", seq, b'{"id":"early","ok":true}'))
        ready, _, _ = select.select([host.stdout], [], [], 3.0)
        assert ready, "the answer did not come through within 3 s"
        assert host.read() == {"id": "early", "ok": True}
        conn.close()
    finally:
        server.close()
        host.kill()


@pytest.mark.unix_socket
def test_an_app_that_starts_reading_late_gets_everything_at_once(home: Home) -> None:
    """The host holds what the socket did not take; when the app reads, the room is used
    at once, with the browser silent (not at the next probe, 2 s after the requests)."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        ids = _send_more_than_the_socket_holds(host)
        conn, _ = server.accept()
        time.sleep(0.3)  # the host holds what the socket does not take
        started = time.monotonic()
        threading.Thread(target=_answer_requests, args=(conn, len(ids)), daemon=True).start()
        assert [host.read() for _ in ids] == [{"id": 1, "ok": True}] * len(ids)
        assert time.monotonic() - started < 1.0
        conn.close()
    finally:
        server.close()
        host.kill()


@pytest.mark.unix_socket
def test_an_app_that_catches_up_after_input_ended_answers_within_the_grace(
    home: Home,
) -> None:
    """Input ends while the host still holds requests for an app that is not reading;
    the app catches up within the end's grace: the held requests reach it and its
    answers reach the browser."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        ids = _send_more_than_the_socket_holds(host)
        conn, _ = server.accept()
        host.close()
        time.sleep(0.2)  # the host is in its end's grace, holding requests
        threading.Thread(target=_answer_requests, args=(conn, len(ids)), daemon=True).start()
        assert [host.read() for _ in ids] == [{"id": 1, "ok": True}] * len(ids)
        assert host.wait() == 0
        conn.close()
    finally:
        server.close()
        host.kill()


@pytest.mark.find_processes
def test_a_port_waits_for_an_app_that_takes_a_while_to_listen(home: Home) -> None:
    """A slow start (a cold disk after login): the port's requests, including those the
    browser sends while the app starts, wait for it (up to 10 s), not half a second."""
    slow = shlex.join(["/bin/sh", "-c", 'sleep 1.5; exec "$@"', "app", *app_command()])
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": slow})
    try:
        host.send({"type": "ping", "id": 1})
        time.sleep(0.5)
        host.send({"type": "ping", "id": 2})
        assert [host.read()["ok"] for _ in range(2)] == [True, True]
        # It looked for the socket every few milliseconds, sleeping between looks: not a
        # core spent for the 1.5 s (a login's other programs want it).
        assert _cpu_seconds(host.process.pid) < 0.4
    finally:
        host.kill()
        os.kill(_app_pid(home), signal.SIGTERM)


@pytest.mark.unix_socket
def test_input_ended_while_the_app_takes_nothing_is_answered_within_a_second(
    home: Home,
) -> None:
    """The browser's input ends while the host still holds requests the app has not
    taken in (the socket is full): each is answered app_unavailable within
    END_GRACE_SECONDS, and the host exits."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        ids = _send_more_than_the_socket_holds(host)
        conn, _ = server.accept()  # and never read
        host.close()
        ended = time.monotonic()
        replies = [host.read() for _ in ids]
        assert time.monotonic() - ended < 1.0 + 1.0  # END_GRACE_SECONDS, and slack
        message = "Bridgekeeper did not answer before the browser's input ended."
        assert replies == [
            {"id": rid, "ok": False, "error": {"code": "app_unavailable", "message": message}}
            for rid in ids
        ]
        assert host.wait() == 0
        conn.close()
    finally:
        server.close()
        host.kill()


@pytest.mark.unix_socket
def test_a_reply_for_nothing_waiting_is_dropped_and_the_next_in_the_same_read_is_relayed(
    home: Home,
) -> None:
    """A stray reply (for a request that is not waiting) is dropped, and the frames that
    came with it are relayed all the same."""

    def stray_then_real(conn: socket.socket, seq: int, request: Any) -> None:
        stray = protocol.socket_frame(protocol.REPLY, seq + 1000, b'{"id":"stray","ok":true}')
        real = protocol.socket_frame(protocol.REPLY, seq, b'{"id":1,"ok":true}')
        conn.sendall(stray + real)  # one write: one read in the host

    FakeApp(home.socket, stray_then_real)
    host = HostProcess(home)
    try:
        started = time.monotonic()
        host.send({"type": "ping", "id": 1})
        assert host.read() == {"id": 1, "ok": True}
        assert time.monotonic() - started < 5.0  # not the 10 s of an app gone silent
        host.close()
        assert host.wait() == 0
        assert "dropped a reply for 1001, which is not waiting for one" in host.stderr_text()
    finally:
        host.kill()


@pytest.mark.unix_socket
def test_an_app_that_closes_without_reading_is_answered_not_a_crash(home: Home) -> None:
    """The app dies with the host's frames unread (the host's next read gets a reset,
    not an end): the request is answered and the host exits cleanly."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        host.send({"type": "ping", "id": 1})
        conn, _ = server.accept()
        wait_for(lambda: select.select([conn], [], [], 0)[0], 5, "the host's frames")
        conn.close()  # unread: a reset
        reply = host.read()
        assert reply["id"] == 1
        assert reply["error"]["code"] == "app_unavailable"
        host.close()
        assert host.wait() == 0
        assert "Traceback" not in host.stderr_text()
    finally:
        server.close()
        host.kill()


@pytest.mark.unix_socket
def test_an_app_that_closes_while_the_host_holds_what_it_did_not_read(home: Home) -> None:
    """The app dies with more unread than the socket holds and more held by the host: the
    host's next write fails (a reset), and every request is answered, no crash."""
    server = _app_socket_served_by_hand(home)
    host = HostProcess(home)
    try:
        ids = _send_more_than_the_socket_holds(host)
        conn, _ = server.accept()
        time.sleep(0.3)  # the socket is full; the host holds the rest
        conn.close()
        replies = [host.read() for _ in ids]
        assert [r["id"] for r in replies] == ids
        assert {r["error"]["code"] for r in replies} == {"app_unavailable"}
        host.close()
        assert host.wait() == 0
        assert "Traceback" not in host.stderr_text()
    finally:
        server.close()
        host.kill()


def test_an_app_that_refuses_the_host_is_named_with_its_reason(home: Home) -> None:
    """An app over its connection limit writes ``REFUSED`` with a reason and closes, each
    time a host connects: every request of the host is answered app_unavailable with
    that reason (a refusal that arrives before the request is sent, or after)."""
    server = _app_socket_served_by_hand(home, backlog=8)
    refusal = b'{"code":"busy","message":"511 connections are open"}'

    def refuse_each() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # the test is over
            with conn:
                conn.sendall(_frame(b"\x04", 0, refusal))

    threading.Thread(target=refuse_each, daemon=True).start()
    host = HostProcess(home)
    try:
        host.send({"type": "ping", "id": 1})
        host.send({"type": "status", "id": 2})
        message = "Bridgekeeper refused this host: 511 connections are open"
        for rid in (1, 2):
            assert host.read() == {
                "id": rid,
                "ok": False,
                "error": {"code": "app_unavailable", "message": message},
            }
        host.close()
        assert host.wait() == 0
        assert message in host.stderr_text()
    finally:
        server.close()
        host.kill()
