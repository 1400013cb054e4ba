"""The relay's pieces in this process: starting the app and waiting for it, the launch
lock, the browser's output, the log. The relay as a whole runs as a real host in
tests/e2e/test_host.py; these are the parts whose failures a host process hides (a
deadline a second off, a lock that never conflicts, a log on the wrong stream) and
they run in milliseconds, so ``./dev mutate`` runs them first."""

from __future__ import annotations

import os
import shlex
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host import protocol, relay, transport


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private home of our own: the runtime folder (socket, launch lock) inside it."""
    home = tmp_path / "h"
    monkeypatch.setenv("BRIDGEKEEPER_HOME", str(home))
    monkeypatch.delenv(relay.APP_COMMAND_ENV, raising=False)
    return Path(transport.runtime_dir())


def _app(monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """The app the host starts: ``sh -c script``."""
    monkeypatch.setenv(relay.APP_COMMAND_ENV, shlex.join(["/bin/sh", "-c", script]))


class Clock:
    """``start_app_and_connect``'s deadline and pause: real time, and a record of the
    pauses. A pause long past the deadline fails the test instead of waiting forever."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.deadline

    def pause(self, seconds: float) -> None:
        assert time.monotonic() < self.deadline + 2.0, "still waiting 2 s after the deadline"
        self.pauses.append(seconds)
        time.sleep(seconds)


def test_an_app_that_never_listens_is_given_up_at_the_deadline(
    runtime: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started_file = tmp_path / "started"
    # It exits at once with status 0, as an app that hands over to another process would:
    # the host goes on waiting for the socket.
    _app(monkeypatch, f"touch {shlex.quote(str(started_file))}")
    clock = Clock(0.4)
    began = time.monotonic()
    path = transport.socket_path()
    with pytest.raises(transport.AppUnavailable) as raised:
        relay.start_app_and_connect(path, clock, clock.pause)
    waited = time.monotonic() - began
    assert 0.4 <= waited < 1.4
    assert str(raised.value) == (
        f"Bridgekeeper could not be reached within 10 s (nothing listens at {path}). "
        f"{transport.HOW_TO_FIX}"
    )
    assert started_file.exists()  # the app was started, once
    lock = runtime / transport.LAUNCH_LOCK_NAME
    assert lock.stat().st_mode & 0o777 == 0o600  # in a 0700 folder, and private itself
    # It looked every 5 ms (START_POLL), never longer than the time left.
    assert max(clock.pauses) == relay.START_POLL == 0.005
    assert len(clock.pauses) >= 20


def test_an_app_that_exits_at_once_is_reported_with_its_status(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app(monkeypatch, "exit 3")
    clock = Clock(5.0)
    began = time.monotonic()
    with pytest.raises(transport.AppUnavailable) as raised:
        relay.start_app_and_connect(transport.socket_path(), clock, clock.pause)
    assert time.monotonic() - began < 2.0  # not the whole deadline
    assert str(raised.value) == (
        f"Bridgekeeper was started but exited with status 3. {transport.HOW_TO_FIX}"
    )


def test_an_app_that_cannot_be_started_is_named(
    runtime: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-app"
    monkeypatch.setenv(relay.APP_COMMAND_ENV, str(missing))
    clock = Clock(5.0)
    with pytest.raises(transport.AppUnavailable) as raised:
        relay.start_app_and_connect(transport.socket_path(), clock, clock.pause)
    assert str(raised.value) == (
        f"Bridgekeeper is not running and {str(missing)!r} could not be started: "
        f"No such file or directory. {transport.HOW_TO_FIX}"
    )
    assert clock.pauses == []


def test_while_another_host_holds_the_launch_lock_no_second_app_is_started(
    runtime: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started_file = tmp_path / "started"
    _app(monkeypatch, f"touch {shlex.quote(str(started_file))}")
    transport.ensure_private_dir(str(runtime))
    held = os.open(runtime / transport.LAUNCH_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        assert relay._try_lock(held)
        clock = Clock(0.3)
        with pytest.raises(transport.AppUnavailable):
            relay.start_app_and_connect(transport.socket_path(), clock, clock.pause)
    finally:
        os.close(held)
    assert not started_file.exists()
    assert len(clock.pauses) >= 10  # it waited for the other host's app all the same


def test_the_launch_lock_is_one_holder_at_a_time_until_closed(tmp_path: Path) -> None:
    lock = tmp_path / "launch.lock"
    first = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    second = os.open(lock, os.O_RDWR)
    try:
        assert relay._try_lock(first) is True
        assert relay._try_lock(second) is False
        os.close(first)
        assert relay._try_lock(second) is True
    finally:
        os.close(second)


def test_a_link_in_place_of_the_launch_lock_is_not_followed(runtime: Path, tmp_path: Path) -> None:
    """The runtime folder is checked 0700 and ours; the lock is opened without following
    a link all the same (no file elsewhere is created or locked through it)."""
    transport.ensure_private_dir(str(runtime))
    target = tmp_path / "elsewhere"
    (runtime / transport.LAUNCH_LOCK_NAME).symlink_to(target)
    clock = Clock(0.2)
    with pytest.raises(OSError, match="Too many levels of symbolic links"):  # ELOOP
        relay.start_app_and_connect(transport.socket_path(), clock, clock.pause)
    assert not target.exists()


def test_the_lock_is_not_inherited_by_what_the_host_starts(
    runtime: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The app the host starts must not hold the launch lock: it would keep every later
    host from starting an app once this one has stopped answering."""
    fds = tmp_path / "fds"
    _app(monkeypatch, f"ls -l /proc/self/fd/ > {shlex.quote(str(fds))}")
    clock = Clock(0.5)
    with pytest.raises(transport.AppUnavailable):
        relay.start_app_and_connect(transport.socket_path(), clock, clock.pause)
    listing = fds.read_text()
    assert transport.LAUNCH_LOCK_NAME not in listing


def test_the_browser_gets_each_reply_as_one_native_messaging_frame() -> None:
    reading, writing = os.pipe()
    try:
        out = relay.BrowserOut(writing)
        out.write(b'{"id":"1","ok":true}')
        out.write(b"")
        expected = protocol.browser_frame(b'{"id":"1","ok":true}') + protocol.browser_frame(b"")
        assert os.read(reading, 100) == expected
        assert out.closed is False
    finally:
        os.close(reading)
        os.close(writing)


def test_a_browser_gone_closes_its_output_without_an_error() -> None:
    reading, writing = os.pipe()
    os.close(reading)
    try:
        out = relay.BrowserOut(writing)
        out.write(b"{}")  # EPIPE (SIGPIPE is ignored by Python)
        assert out.closed is True
        out.write(b"{}")  # and nothing more is tried
        assert out.closed is True
    finally:
        os.close(writing)


def test_a_closed_output_writes_nothing() -> None:
    reading, writing = os.pipe()
    try:
        out = relay.BrowserOut(writing)
        out.closed = True
        out.write(b"{}")
        os.set_blocking(reading, False)
        with pytest.raises(BlockingIOError):
            os.read(reading, 10)
    finally:
        os.close(reading)
        os.close(writing)


def test_the_log_goes_to_stderr_and_never_to_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    relay.log("a message ✓")
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == "bridgekeeper-host: a message ✓\n"


def test_a_log_that_cannot_be_written_is_dropped_not_raised() -> None:
    """The browser may close the host's stderr: logging then drops the line."""
    saved = os.dup(2)
    reading, writing = os.pipe()
    os.close(reading)  # a write to it fails (EPIPE)
    try:
        os.dup2(writing, 2)
        relay.log("into a closed pipe")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(writing)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"message":"not allowed"}', "not allowed"),
        (b'{"message":"' + b"x" * 600 + b'"}', "x" * 500),
        (b'{"message":""}', "no reason given"),
        (b'{"other":1}', "no reason given"),
        (b"[1]", "no reason given"),
        (b"not json", "no reason given"),
        (b"[" * 100_000, "no reason given"),
    ],
)
def test_a_refusal_gives_its_reason_whatever_it_holds(payload: bytes, reason: str) -> None:
    assert relay._refusal(payload) == reason


@pytest.mark.parametrize(
    ("platform", "configured", "words"),
    [
        ("win32", '!"x"', ['!"x"']),  # quoted only at its end: kept whole
        ("win32", 'a"b"', ['a"b"']),
        ("win32", "#x#", ["#x#"]),  # same first and last character, not a quote
        ("win32", "!x!", ["!x!"]),  # nor one that sorts before it
        ("win32", '"" a', ["", "a"]),
        ("win32", r"C:\Tools\C#\bkw.exe --x", [r"C:\Tools\C#\bkw.exe", "--x"]),
        ("win32", r"C:\Users\O'Brien\bkw.exe", [r"C:\Users\O'Brien\bkw.exe"]),
        ("linux", "a\\ b 'c d'", ["a b", "c d"]),
        ("darwin", "a\\ b", ["a b"]),
    ],
)
def test_a_configured_command_is_split_as_its_platform_quotes(
    platform: str, configured: str, words: list[str]
) -> None:
    assert relay.split_command(configured, platform) == words


@pytest.mark.parametrize(("platform", "configured"), [("linux", "'/opt/bk"), ("win32", '"C:\\bk')])
def test_a_configured_command_with_a_quote_not_closed_is_answered_not_run(
    runtime: Path, monkeypatch: pytest.MonkeyPatch, platform: str, configured: str
) -> None:
    with pytest.raises(ValueError, match="No closing quotation"):
        relay.split_command(configured, platform)
    monkeypatch.setattr(sys, "platform", platform)  # app_command's default
    monkeypatch.setenv(relay.APP_COMMAND_ENV, configured)
    clock = Clock(5.0)
    with pytest.raises(transport.AppUnavailable) as raised:
        relay._spawn_app()
    assert str(raised.value) == (
        f"{relay.APP_COMMAND_ENV} is not a command line (No closing quotation): "
        f"{configured!r}. {transport.HOW_TO_FIX}"
    )
    assert clock.pauses == []


def test_pythonw_is_the_windows_fallback_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(relay.APP_COMMAND_ENV, raising=False)
    (tmp_path / "pythonw.exe").write_text("")
    python = str(tmp_path / "python3")
    assert relay.app_command(python, "linux") == [python, "-m", "app"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX execute permission")
def test_the_tray_app_beside_the_host_is_started_only_if_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle's tray app beside the host, when it is a file this user may execute; a
    leftover that is not (a failed update, a folder of that name) is passed over."""
    monkeypatch.delenv(relay.APP_COMMAND_ENV, raising=False)
    python = str(tmp_path / "python3")
    beside = tmp_path / "bridgekeeper"
    beside.write_text("#!/bin/sh\n")
    beside.chmod(0o644)
    assert relay.app_command(python, "linux") == [python, "-m", "app"]
    beside.chmod(0o755)
    assert relay.app_command(python, "linux") == [str(beside)]
    beside.unlink()
    beside.mkdir()  # searchable, so "executable" to access(), but not a program
    assert relay.app_command(python, "linux") == [python, "-m", "app"]


def test_a_sandboxed_host_says_the_app_must_be_started_outside() -> None:
    message = relay.not_startable_from("org.chromium.Chromium")
    assert message.startswith(
        "Bridgekeeper is not running, and this browser runs in a Flatpak sandbox "
        "(org.chromium.Chromium), from which it cannot be started."
    )
    assert "Start at login" in message


@pytest.fixture
def host_in_process() -> Iterator[relay.Relay]:
    """A ``Relay`` in this process, whose browser has sent nothing and closed its end."""
    import io

    from host.caller import parse_caller

    reading, writing = os.pipe()
    os.close(writing)
    replies_read, replies = os.pipe()
    stdin = io.FileIO(reading, "rb", closefd=False)
    yield relay.Relay(parse_caller([]), stdin, relay.BrowserOut(replies))
    for fd in (reading, replies_read, replies):
        os.close(fd)


@pytest.mark.skipif(sys.platform == "win32", reason="a Unix socket's backlog")
def test_an_app_that_listens_but_never_accepts_is_waited_for_until_the_deadline(
    runtime: Path, host_in_process: relay.Relay
) -> None:
    """A stopped app's full backlog: the host waits (it may come back) but not past
    connecting's deadline, then says what it found: busy, not gone, and nothing started."""
    from tests.unit.test_transport import fill_backlog

    transport.ensure_private_dir(str(runtime))
    path = transport.socket_path()
    links: list[transport.AppLink] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(0)
        try:
            with pytest.raises(transport.AppBusy) as busy:
                fill_backlog(path, links)
            began = time.monotonic()
            host_in_process._ended_at = began  # the deadline: AFTER_END_CONNECT from now
            assert host_in_process._ensure_link() is None
            waited = time.monotonic() - began
        finally:
            for link in links:
                link.close()
    assert relay.AFTER_END_CONNECT <= waited < relay.AFTER_END_CONNECT + 0.5  # looks: 20 ms
    assert host_in_process._unavailable == str(busy.value)


@pytest.mark.skipif(sys.platform == "win32", reason="the relay's POSIX stdin")
def test_connecting_ends_half_a_second_after_the_browser_input_ended(
    host_in_process: relay.Relay,
) -> None:
    host = host_in_process
    assert host._connect_deadline(100.0) == 100.0 + relay.CONNECT_TIMEOUT == 110.0
    host._ended_at = 104.0
    assert host._connect_deadline(100.0) == 104.0 + relay.AFTER_END_CONNECT == 104.5
    host._ended_at = 200.0
    assert host._connect_deadline(100.0) == 110.0


@pytest.mark.skipif(sys.platform == "win32", reason="a Unix socket pair")
def test_any_whole_frame_from_the_app_restarts_its_patience_and_a_part_does_not(
    host_in_process: relay.Relay,
) -> None:
    """The app answers ``ALIVE`` while a dialog waits for the user: each whole frame it
    sends is a sign of life, so a dialog may stay open longer than LIVENESS_TIMEOUT. (The
    app side: test_cold_start.py waits out the 10 s with a real app.)"""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours, theirs:
        ours.setblocking(False)
        link = transport.AppLink(ours, pid=None)
        alive = protocol.socket_frame(protocol.ALIVE, 1, b"")
        theirs.sendall(alive[:3])
        host_in_process._quiet_since = 1.0
        assert host_in_process._receive(link) is True
        assert host_in_process._quiet_since == 1.0  # a frame's start says nothing yet
        theirs.sendall(alive[3:])
        assert host_in_process._receive(link) is True
        assert host_in_process._quiet_since is None
        assert host_in_process._receive(link) is False  # nothing more to read


def test_an_error_while_reaching_the_app_becomes_the_answer_not_a_crash(
    runtime: Path, host_in_process: relay.Relay
) -> None:
    """An OSError on the way (here the launch lock is a link, refused): the host answers
    app_unavailable with it instead of dying with the request unanswered."""
    transport.ensure_private_dir(str(runtime))
    (runtime / transport.LAUNCH_LOCK_NAME).symlink_to(runtime / "elsewhere")
    assert host_in_process._ensure_link() is None
    assert "Too many levels of symbolic links" in host_in_process._unavailable
