"""SPEC "The local socket" (1.1) and the hung-app rule, as an attacker on the same
machine tries them: nobody can pose as the app (another user's folder or socket gets
nothing, a symlink is never followed), every frame gets exactly one reply, no wait of the
host is unbounded, and errors are clear. Real hosts, the real app, a real second user
(skipped with the reason when not root), real SIGSTOP."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host import protocol
from tests.support.harness import (
    CHROME_ARGV,
    CHROME_ID,
    HEADER,
    AppProcess,
    Home,
    HostProcess,
    allow_test_callers,
    app_command,
    encode,
    host_command,
    one_shot,
    read_frame,
    wait_for,
)
from tests.support.machine import bk
from tests.support.other_user import Impostor, User, throwaway_user
from tests.support.raw_client import HOST_HELLO, RawClient

pytestmark = pytest.mark.unix_socket

SECRET_SET = {"type": "secret.set", "id": "s", "name": "token", "value": "hunter2"}


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def assert_unavailable(reply: Any, *fragments: str) -> None:
    assert reply["ok"] is False, reply
    assert reply["error"]["code"] == "app_unavailable", reply
    for fragment in fragments:
        assert fragment in reply["error"]["message"], reply


def doctor_lines(home: Home) -> list[str]:
    done = bk(home, "doctor")
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()


def line_with(lines: list[str], *fragments: str) -> int:
    for index, line in enumerate(lines):
        if all(fragment in line for fragment in fragments):
            return index
    raise AssertionError(f"no line with {fragments} in:\n" + "\n".join(lines))


# Another user, first in the place of the socket.


@pytest.mark.second_user
def test_host_gives_nothing_to_another_users_folder_made_first() -> None:
    """The issue's attack, as it was: XDG_RUNTIME_DIR unset, so the victim's socket folder
    is /tmp/bridgekeeper-<uid>; another user made it first (0777) and listens in it."""
    with throwaway_user() as victim, throwaway_user() as attacker, contextlib.ExitStack() as stack:
        folder = Path(f"/tmp/bridgekeeper-{victim.uid}")
        try:
            impostor = Impostor(attacker, folder / "bk.sock", own_folder=True)
            stack.enter_context(impostor)
            env = {
                "PATH": os.environ["PATH"],
                "HOME": "/nonexistent",
                "BRIDGEKEEPER_APP_COMMAND": "/bin/false",
            }
            host = subprocess.Popen(
                victim.command(*host_command(), *CHROME_ARGV),
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = host.communicate(encode(SECRET_SET), timeout=15)
            reply = read_frame(_stream(out))
            assert reply["id"] == "s"
            assert_unavailable(reply, str(folder), f"belongs to user {attacker.name}")
            assert b"Traceback" not in err
            assert impostor.events() == []  # not even a connection
            assert os.lstat(folder).st_uid == attacker.uid
            assert mode(folder) == 0o777  # refused, not repaired
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _stream(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


@pytest.mark.second_user
def test_a_socket_served_by_another_user_gets_no_byte_and_is_named(home: Home) -> None:
    """The folder is the victim's own, but the socket in it is served by another user
    (what a swapped folder would give): the host, the command line and doctor check the
    peer's credentials before sending a byte."""
    with throwaway_user() as attacker, contextlib.ExitStack() as stack:
        home.socket.parent.mkdir(parents=True, mode=0o700)
        impostor = stack.enter_context(Impostor(attacker, home.socket, own_folder=False))
        reply = one_shot(home, SECRET_SET)
        assert_unavailable(reply, f"served by user {attacker.name}", str(home.socket))
        assert f"pid {impostor.process.pid}" in reply["error"]["message"]
        paused = bk(home, "pause")
        assert paused.returncode == 1
        assert f"served by user {attacker.name}" in paused.stderr
        assert "Traceback" not in paused.stderr
        lines = doctor_lines(home)
        owner = line_with(lines, "[FAIL] app", "socket owner", attacker.name, "impostor")
        assert f"sudo kill {impostor.process.pid}" in lines[owner + 1]
        assert "[ ok ] app           socket reachable" not in "\n".join(lines)
        events = impostor.events()
        assert events.count("accepted") >= 3  # host, pause, doctor: each connected, then left
        assert {event for event in events if event.startswith("received")} == {"received 0"}


@pytest.mark.second_user
def test_the_app_refuses_a_socket_folder_of_another_user_and_says_so(home: Home) -> None:
    with throwaway_user() as attacker, contextlib.ExitStack() as stack:
        home.root.chmod(0o711)
        home.bk_home.chmod(0o1777)  # like /tmp: anyone may make a folder in it
        impostor = stack.enter_context(Impostor(attacker, home.socket, own_folder=True))
        folder = home.socket.parent
        done = subprocess.run(
            app_command(), env=home.env(), capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 1
        assert f"cannot use the socket folder: {folder} belongs to user {attacker.name}" in (
            done.stderr
        )
        assert "Fix:" in done.stderr
        assert "Traceback" not in done.stderr
        assert mode(folder) == 0o777
        assert_unavailable(one_shot(home, SECRET_SET), f"belongs to user {attacker.name}")
        lines = doctor_lines(home)
        row = line_with(lines, "[FAIL] app", "socket folder", f"belongs to user {attacker.name}")
        assert "not yours to remove" in lines[row + 1]
        assert impostor.events() == []


@pytest.mark.parametrize("target_mode", [0o755, 0o700], ids=["home-like", "private"])
def test_a_symlinked_socket_folder_is_never_followed_nor_repaired(
    home: Home, target_mode: int
) -> None:
    target = home.root / "elsewhere"
    target.mkdir()
    target.chmod(target_mode)
    home.socket.parent.symlink_to(target)
    done = subprocess.run(
        app_command(), env=home.env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "is a symbolic link" in done.stderr
    assert "Traceback" not in done.stderr
    assert_unavailable(one_shot(home, {"type": "ping", "id": 1}), "symbolic link")
    assert mode(target) == target_mode
    assert list(target.iterdir()) == []  # no socket, no lock: nothing was made through it
    lines = doctor_lines(home)
    row = line_with(lines, "[FAIL] app", "socket folder", "symbolic link")
    assert f"rm {home.socket.parent}" in lines[row + 1]


@contextlib.contextmanager
def app_of(user: User) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """The real app, run as ``user`` with a home of its own."""
    root = Path(tempfile.mkdtemp(prefix="bku", dir="/tmp"))
    home = Home(root)
    (root / "home").mkdir()
    allow_test_callers(home)
    shutil.chown(root, user.uid, user.gid)
    for path in root.rglob("*"):
        shutil.chown(path, user.uid, user.gid)
    process = subprocess.Popen(
        user.command(*app_command()),
        env=home.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(home.socket.exists, 30, "the other user's app to listen")
        yield home.socket, process
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.second_user
def test_the_app_closes_a_connection_from_another_user_unread() -> None:
    with throwaway_user() as owner, app_of(owner) as (path, _process):
        log = path.parent.parent / "log" / "bridgekeeper.log"
        # root can reach any socket; the app still serves only its own user's programs.
        intruder = RawClient(path)
        intruder.request(1, {"type": "ping", "id": 1})
        assert intruder.until_closed() == []
        wait_for(
            lambda: "refused a client of another user (uid 0" in log.read_text(),
            5,
            "the app to log the refusal",
        )
        intruder.close()
        # Its own user's host is served as ever.
        done = subprocess.run(
            owner.command(*host_command(), *CHROME_ARGV),
            input=encode({"type": "ping", "id": 2}),
            env={"PATH": os.environ["PATH"], "BRIDGEKEEPER_HOME": str(path.parent.parent)},
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert read_frame(_stream(done.stdout))["result"]["pong"] is True


# Exactly one reply, whatever the frame.

HOSTILE: list[tuple[str, bytes, str]] = [
    # name, frame, what it must get ("" when either answer is right)
    ("nested-100000", b"[" * 100_000 + b"]" * 100_000, "bad_request"),
    (
        "nested-object-1000",
        b'{"type":"ping","id":"n","x":' + b"[" * 1000 + b"]" * 1000 + b"}",
        "bad_request",
    ),
    ("nested-id", b'{"type":"ping","id":' + b"[" * 5000 + b"]" * 5000 + b"}", "bad_request"),
    ("int-10000-digits", b'{"type":"ping","id":' + b"7" * 10_000 + b"}", "bad_request"),
    (
        "float-10000-digits",
        b'{"type":"confirm","title":"t","timeout":1.' + b"0" * 10_000 + b"}",
        "bad_request",
    ),
    ("exponent", b'{"type":"confirm","title":"t","timeout":1e999}', "bad_request"),
    ("duplicate-keys", b'{"type":"confirm","type":"ping","id":"d","id":"dup"}', "ok"),
    ("lone-surrogate-id", b'{"type":"ping","id":"\\ud800"}', "ok"),
    (
        "lone-surrogate-title",
        b'{"type":"notify","id":"ls","title":"\\udfff x","message":"\\ud800"}',
        "",
    ),
    ("lone-surrogate-key", b'{"type":"ping","\\ud800":1}', "bad_request"),
    ("raw-surrogate-bytes", b'{"type":"ping","id":"\xed\xa0\x80"}', "bad_request"),
    ("over-1MiB-nested", b"[" * 600_000 + b"]" * 600_000, "bad_request"),
    ("over-1MiB-not-utf8", b'{"id":"' + b"\xff" * 1_100_000 + b'"}', "bad_request"),
    ("nul-bytes", b"\x00" * 100, "bad_request"),
]


def test_a_port_survives_every_hostile_frame_with_one_reply_each(app: AppProcess) -> None:
    """The issue's case: a deeply nested request broke the whole port, its other pending
    request got app_unavailable, and the nested one got no reply at all."""
    host = HostProcess(app.home)
    try:
        host.send({"type": "confirm", "id": "pending", "title": "waits", "timeout": 600})
        for index, (name, payload, expected) in enumerate(HOSTILE):
            host.send_raw(HEADER.pack(len(payload)) + payload)
            host.send({"type": "ping", "id": f"after-{index}"})
            pair = [host.read(), host.read()]  # a GUI-thread reply may come second
            after = [r for r in pair if r.get("id") == f"after-{index}"]
            assert len(after) == 1, (name, pair)
            assert after[0]["ok"] is True, (name, pair)
            reply = pair[1 - pair.index(after[0])]
            if expected == "ok":
                assert reply["ok"] is True, (name, reply)
            elif expected:
                assert reply["error"]["code"] == expected, (name, reply)
            if name == "lone-surrogate-id":
                assert reply["id"] == "\ud800"
        host.send({"type": "cancel", "id": "x", "target": "pending"})
        answers = {reply["id"]: reply for reply in (host.read(), host.read())}
        assert answers["pending"]["error"]["code"] == "cancelled"  # it was pending all along
        assert answers["x"]["result"] == {"cancelled": True}
        assert host.wait() == 0
        assert "Traceback" not in host.stderr_text()
    finally:
        host.kill()
    assert "Traceback" not in app.home.log_text()


@pytest.mark.parametrize("payload", [p for _, p, _ in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_the_host_answers_any_frame_once_when_the_app_is_unavailable(
    home: Home, payload: bytes
) -> None:
    host = HostProcess(home, env={"BRIDGEKEEPER_APP_COMMAND": "/bin/false"})
    try:
        host.send_raw(HEADER.pack(len(payload)) + payload)
        host.send({"type": "ping", "id": "after"})
        first, second = host.read(), host.read()
        assert first["ok"] is False
        assert first["error"]["code"] in ("app_unavailable", "bad_request")
        assert second["id"] == "after"
        assert host.wait() == 0
        assert host.stdout.read() == b""  # nothing more: one reply each
        assert "Traceback" not in host.stderr_text()
    finally:
        host.kill()


def test_hello_and_commands_that_cannot_be_parsed_are_answered(app: AppProcess) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    hello = RawClient(app.home.socket, hello=None)
    hello.send(protocol.HELLO, 0, deep)
    frames = hello.until_closed()
    assert [kind for kind, _, _ in frames] == [protocol.REFUSED]
    hello.close()
    control = RawClient(app.home.socket, hello={"protocol": 2, "role": "control", "pid": 1})
    for seq, payload in enumerate([deep, b'{"command":' + b"[" * 900 + b"]" * 900 + b"}"]):
        control.request(seq, payload)
        assert control.reply()[1]["error"]["code"] == "bad_request"  # type: ignore[index]
    control.close()
    assert one_shot(app.home, {"type": "ping", "id": 1})["ok"] is True
    assert "Traceback" not in app.home.log_text()


def test_an_old_host_is_still_served_and_a_new_one_probes(app: AppProcess) -> None:
    old = RawClient(app.home.socket, hello={**HOST_HELLO, "protocol": 1})
    old.request(1, {"type": "ping", "id": 1})
    assert old.reply()[0] == 1
    old.close()
    new = RawClient(app.home.socket)
    new.send(protocol.ALIVE, 77, b"")
    assert new.receive() == (protocol.ALIVE, 77, b"")
    new.close()


# No unbounded wait.


def test_a_stopped_app_costs_every_waiter_ten_seconds_at_most(app: AppProcess) -> None:
    """SIGSTOP the app: a port's pending request, a new host, a host that cannot even
    connect (backlog full), a second `bridgekeeper` and doctor each end with a clear
    answer; a host whose input ends exits within a second; SIGCONT, and all is served."""
    home = app.home
    port = HostProcess(home)
    port.send({"type": "confirm", "id": "c", "title": "t", "timeout": 600})
    port.send({"type": "ping", "id": "p"})
    assert port.read()["id"] == "p"
    os.kill(app.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    fillers: list[socket.socket] = []
    try:
        second = subprocess.Popen(
            app_command(), env=home.env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        waiting = HostProcess(home)
        waiting.send({"type": "ping", "id": "w"})
        doctor = doctor_lines(home)
        row = line_with(doctor, "[FAIL] app", "socket reachable", "did not answer")
        assert f"kill -CONT {app.process.pid}" in doctor[row]
        _fill_backlog(home.socket, fillers)
        blocked = HostProcess(home)
        blocked.send({"type": "ping", "id": "b"})
        leaving = HostProcess(home)
        leaving.send({"type": "ping", "id": "l"})
        time.sleep(0.3)
        closed = time.monotonic()
        assert leaving.wait(5) == 0
        assert time.monotonic() - closed < 1.0  # end of input ends it, whatever it waits on
        for host, rid in ((port, "c"), (waiting, "w"), (blocked, "b")):
            reply = host.read()
            assert reply["id"] == rid
            assert_unavailable(reply, "Bridgekeeper")
        assert time.monotonic() - stopped < 15
        _, err = second.communicate(timeout=15)
        assert second.returncode == 1
        message = err.decode()
        assert "did not answer" in message
        assert f"kill -CONT {app.process.pid}" in message
        assert "Traceback" not in message
    finally:
        os.kill(app.process.pid, signal.SIGCONT)
        for filler in fillers:
            filler.close()
    for host in (port, waiting, blocked, leaving):
        host.kill()
    assert one_shot(home, {"type": "ping", "id": "again"})["ok"] is True


def _fill_backlog(path: Path, fillers: list[socket.socket]) -> None:
    """Connect until the stopped app's backlog takes no more."""
    for _ in range(1000):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(str(path))
        except BlockingIOError:
            sock.close()
            return
        fillers.append(sock)
    raise AssertionError("the backlog never filled")


def test_a_request_waiting_for_the_user_outlives_the_liveness_timeout(app: AppProcess) -> None:
    """The app answers the host's liveness checks from its socket thread: a dialog that
    waits longer than LIVENESS_TIMEOUT is not mistaken for a hung app."""
    host = HostProcess(app.home)
    try:
        started = time.monotonic()
        timeout = protocol.LIVENESS_TIMEOUT + 2
        host.send({"type": "confirm", "id": "c", "title": "t", "timeout": timeout})
        reply = host.read()
        assert reply["result"]["reason"] == "timeout", reply
        assert time.monotonic() - started >= timeout - 0.5
    finally:
        host.kill()


# What a connection may cost the app.


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_flood_of_idle_connections_does_not_lock_hosts_out(app: AppProcess) -> None:
    pid = app.process.pid
    before = open_fds(pid)
    idle = []
    try:
        for _ in range(2000):  # no hello, ever: the 20,000 scaled to this test
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(str(app.home.socket))
            idle.append(sock)
        started = time.monotonic()
        assert one_shot(app.home, {"type": "ping", "id": 1})["ok"] is True
        assert time.monotonic() - started < 5
        assert open_fds(pid) < before + 600  # at most MAX_CONNECTIONS of them held
        wait_for(lambda: open_fds(pid) <= before + 5, 15, "idle connections to be dropped")
    finally:
        for sock in idle:
            sock.close()
    assert one_shot(app.home, {"type": "ping", "id": 2})["ok"] is True


def test_partial_frames_hold_bounded_memory_that_returns(app: AppProcess) -> None:
    """The issue's 300 connections each holding a 1 MiB partial frame: a connection holds
    64 KiB of a frame unless it has one of 16 large-frame slots."""
    pid = app.process.pid
    baseline = rss_mb(pid)
    clients = [RawClient(app.home.socket) for _ in range(300)]
    header = protocol.SOCKET_HEADER.pack(protocol.REQUEST, 1, protocol.MAX_SOCKET_FRAME_BYTES)
    chunk = b"x" * (protocol.MAX_SOCKET_FRAME_BYTES - 1)  # all but the last byte
    try:
        push_until_stuck([client.sock for client in clients], header + chunk)
        assert one_shot(app.home, {"type": "ping", "id": 1})["ok"] is True
        peak = peak_mb(pid)
        assert peak - baseline < 80, (baseline, peak)
    finally:
        for client in clients:
            client.close()
    assert one_shot(app.home, {"type": "ping", "id": 2})["ok"] is True
    wait_for(lambda: rss_mb(pid) - baseline < 10, 10, "the app's memory to come back")


def push_until_stuck(socks: list[socket.socket], data: bytes) -> None:
    """Send ``data`` on each socket for as long as the app takes any of it."""
    left = {sock: memoryview(data) for sock in socks}
    for sock in socks:
        sock.setblocking(False)
    quiet_since = time.monotonic()
    while left and time.monotonic() - quiet_since < 0.5:
        for sock, rest in list(left.items()):
            try:
                sent = sock.send(rest)
            except BlockingIOError:
                continue
            quiet_since = time.monotonic()
            left[sock] = rest[sent:]
            if not left[sock]:
                del left[sock]
        time.sleep(0.01)


def test_a_peer_that_never_reads_is_throttled_and_others_are_served(app: AppProcess) -> None:
    """The issue's client that sent 20 MB of bad frames and never read its replies (the
    app grew by 14 times what it sent): once 256 KiB of replies wait for it, the app
    reads no more from it, so it can make the app hold no more."""
    pid = app.process.pid
    baseline = rss_mb(pid)
    flooder = RawClient(app.home.socket)
    flooder.sock.setblocking(False)
    frames = protocol.socket_frame(protocol.REQUEST, 1, b"{") * 1000

    def flood() -> int:
        """Send until the socket takes no more (the app does not read it)."""
        sent = 0
        deadline = time.monotonic() + 10
        with contextlib.suppress(BlockingIOError):
            while time.monotonic() < deadline:
                sent += flooder.sock.send(frames)
        return sent

    sent = flood()
    assert one_shot(app.home, {"type": "ping", "id": 1})["ok"] is True
    sent += flood()  # what a read under way when it paused made room for
    assert sent < 2_000_000  # its writes block: the app stopped reading it
    time.sleep(1.0)  # an app that still read it would make room meanwhile
    with pytest.raises(BlockingIOError):
        flooder.sock.send(frames)
    assert rss_mb(pid) - baseline < 20, (baseline, rss_mb(pid))
    flooder.close()
    assert one_shot(app.home, {"type": "ping", "id": 2})["ok"] is True


# Clear errors at start.


def test_a_read_only_home_is_a_clear_error(home: Home) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: it mounts the home read-only in a mount namespace of its own")
    env = home.env()
    env.pop("BRIDGEKEEPER_HOME")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env.pop(name)
    script = 'mount --bind "$HOME" "$HOME" && mount -o remount,bind,ro "$HOME" && exec "$@"'
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *app_command()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if "mount" in done.stderr and done.returncode != 1:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.returncode == 1, done.stderr
    assert f"cannot create or open {home.home}" in done.stderr
    assert "Read-only file system" in done.stderr
    assert "set BRIDGEKEEPER_HOME" in done.stderr
    assert "Traceback" not in done.stderr


# Lenient argv.


@pytest.mark.parametrize(
    "origin",
    [
        f"chrome-extension://{CHROME_ID}//",
        f"chrome-extension:///{CHROME_ID}/",
        f"chrome-extension://{CHROME_ID}",
    ],
)
def test_a_mangled_origin_is_not_taken_for_the_allowed_extension(
    app: AppProcess, origin: str
) -> None:
    reply = one_shot(app.home, {"type": "ping", "id": 1}, [origin])
    assert reply["error"]["code"] == "untrusted_extension"
    assert one_shot(app.home, {"type": "ping", "id": 2})["ok"] is True


def test_firefox_needs_a_manifest_path_and_an_add_on_id(app: AppProcess) -> None:
    manifest = str(app.home.home / ".mozilla/native-messaging-hosts/org.bridgekeeper.host.json")
    ok = one_shot(app.home, {"type": "ping", "id": 1}, [manifest, "demo@bridgekeeper.org"])
    assert ok["ok"] is True
    for argv in (["demo@bridgekeeper.org"], ["manifest.json", "demo@bridgekeeper.org"]):
        reply = one_shot(app.home, {"type": "ping", "id": 2}, argv)
        assert reply["error"]["code"] == "untrusted_extension", argv
