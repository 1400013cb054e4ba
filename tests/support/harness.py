"""Real processes for tests and benchmarks: the app on its socket, hosts started the way
browsers start them, and a short-pathed private ``BRIDGEKEEPER_HOME``.

``BK_TEST_APP_CMD`` / ``BK_TEST_HOST_CMD`` point the same tests at other executables (the
PyInstaller bundle); by default they use this environment's entry points.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from host.caller import CHROMIUM, FIREFOX

BIN = Path(sys.executable).parent
CHROME_ID = "jkdnicfhmapgokpkghnoknfplbgkmjan"
CHROME_ARGV = [f"chrome-extension://{CHROME_ID}/"]
FIREFOX_ID = "demo@bridgekeeper.org"
HEADER = struct.Struct("=I")


def app_command() -> list[str]:
    configured = os.environ.get("BK_TEST_APP_CMD")
    return shlex.split(configured) if configured else [str(BIN / "bridgekeeper")]


def host_command() -> list[str]:
    configured = os.environ.get("BK_TEST_HOST_CMD")
    return shlex.split(configured) if configured else [str(BIN / "bridgekeeper-host")]


def short_temp_dir() -> str:
    """Where temporary folders go: ``/tmp`` where there is one (Unix socket paths must
    stay short, and macOS's per-user temporary folder is long), else the system's."""
    return "/tmp" if sys.platform != "win32" and os.path.isdir("/tmp") else tempfile.gettempdir()


@dataclass
class Home:
    """A private ``BRIDGEKEEPER_HOME`` (and ``HOME``) under a short temporary path."""

    root: Path

    @property
    def bk_home(self) -> Path:
        return self.root / "bk"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def socket(self) -> Path:
        """The app's Unix socket (POSIX)."""
        return self.bk_home / "run" / "bk.sock"

    @property
    def address(self) -> str:
        """Where the app of this home listens: its Unix socket, or on Windows its pipe
        (named for the user and this home, as ``host.winpipe.user_pipe_name``)."""
        if sys.platform == "win32":
            from host import winpipe

            return winpipe.pipe_name(winpipe.current_user_sid(), os.path.abspath(self.bk_home))
        return str(self.socket)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            BRIDGEKEEPER_HOME=str(self.bk_home),
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            QT_QPA_PLATFORM=os.environ.get("BK_TEST_QPA", "offscreen"),
        )
        env.pop("XDG_RUNTIME_DIR", None)
        env.update(extra or {})
        return env

    def app_stderr(self) -> str:
        path = self.root / "app.stderr"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def log_text(self) -> str:
        path = self.bk_home / "log" / "bridgekeeper.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""


def allow_test_callers(home: Home) -> None:
    """Allow CHROME_ID and FIREFOX_ID, as ``bridgekeeper install --extension`` would: the
    app answers any other caller with untrusted_extension."""
    from app.system import settings

    config = settings.Settings(
        [
            settings.Extension(CHROMIUM, CHROME_ID),
            settings.Extension(FIREFOX, FIREFOX_ID),
        ]
    )
    settings.save(config, settings.settings_file(home.bk_home / "config"))


@contextmanager
def temp_home() -> Iterator[Home]:
    root = Path(tempfile.mkdtemp(prefix="bk", dir=short_temp_dir()))
    (root / "home").mkdir()
    allow_test_callers(Home(root))
    try:
        yield Home(root)
    finally:
        kill_processes_of(root)
        shutil.rmtree(root, ignore_errors=True)


def processes_of(root: Path) -> list[int]:
    """Processes whose environment points into ``root``: apps a host started (detached,
    on purpose), browsers, hosts. A test that fails half-way must not leave them behind.

    Linux reads /proc, macOS ``ps -E``. Windows offers no way to read another process's
    environment from the standard library: there none are found, so an app a host
    started outlives a test that failed half-way (its pipe is named for its home, so it
    never answers another test; the CI runner is thrown away after the job)."""
    marks = [f"{name}={root}".encode() for name in ("BRIDGEKEEPER_HOME", "HOME")]
    if sys.platform == "darwin":
        return _processes_by_ps(marks)
    if sys.platform != "linux":
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(var == mark or var.startswith(mark + b"/") for var in environ for mark in marks):
            found.append(int(entry.name))
    return found


def _processes_by_ps(marks: list[bytes]) -> list[int]:
    """macOS: ``ps -E`` appends each process's environment to its command line."""
    listing = subprocess.run(
        ["ps", "-E", "-ww", "-A", "-o", "pid=,command="],
        capture_output=True,
        check=False,
        timeout=30,
    ).stdout
    found = []
    for line in listing.splitlines():
        pid, _, rest = line.strip().partition(b" ")
        for mark in marks:
            at = rest.find(b" " + mark)
            end = at + 1 + len(mark)
            if at >= 0 and rest[end : end + 1] in (b"", b" ", b"/") and int(pid) != os.getpid():
                found.append(int(pid))
                break
    return found


def process_command(pid: int) -> bytes | None:
    """Process ``pid``'s command line (None once it is gone): /proc on Linux, ``ps``
    elsewhere."""
    if sys.platform == "linux":
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
    done = subprocess.run(
        ["ps", "-ww", "-o", "command=", "-p", str(pid)],
        capture_output=True,
        check=False,
        timeout=30,
    )
    return done.stdout.strip() or None


def kill_processes_of(root: Path) -> None:
    if sys.platform == "win32":
        return  # processes_of finds none there
    for pid in processes_of(root):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def socket_accepts(address: Path | str) -> bool:
    """Whether something accepts connections at ``address`` (a Unix socket's path, or on
    Windows a pipe's name)."""
    if sys.platform == "win32":
        from host import winpipe

        try:
            link = winpipe.connect(str(address), timeout=0)
        except OSError:
            return False
        if link is None:
            return False
        link.close()
        return True
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(address))
        except OSError:
            return False
    return True


@dataclass
class AppProcess:
    """The real app, started with its own command line."""

    home: Home
    process: subprocess.Popen[bytes]
    extra_env: dict[str, str] = field(default_factory=dict)

    def wait_listening(self, timeout: float = 15.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"app exited with {self.process.returncode}:\n{self.home.log_text()}"
                )
            return socket_accepts(self.home.address)

        wait_for(ready, timeout, "the app to listen")

    def wait_started(self, earlier: int = 0, timeout: float = 15.0) -> None:
        """Until the app has started whole: it listens before Qt is loaded, and says in
        its log when the rest (the dialogs, the tray) is up; ``earlier`` is how many such
        records the log held before this start."""
        self.wait_listening(timeout)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"app exited with {self.process.returncode}:\n{self.home.log_text()}"
                )
            return starts_logged(self.home) > earlier

        wait_for(ready, timeout, "the app to start")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def starts_logged(home: Home) -> int:
    """How many times the app's log says it has started."""
    from app import __version__

    return home.log_text().count(f"Bridgekeeper {__version__} started")


def start_app(home: Home, *args: str, env: Mapping[str, str] | None = None) -> AppProcess:
    earlier = starts_logged(home)
    with open(home.root / "app.stderr", "ab") as stderr:
        process = subprocess.Popen(
            [*app_command(), *args],
            env=home.env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    app = AppProcess(home, process, dict(env or {}))
    app.wait_started(earlier)
    return app


def encode(message: object) -> bytes:
    payload = json.dumps(message).encode("utf-8")
    return HEADER.pack(len(payload)) + payload


def read_frame(stream: IO[bytes]) -> Any:
    """One framed reply from ``stream``, or ``None`` at end of output."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    return json.loads(stream.read(length))


class HostProcess:
    """A host started as a browser starts it: argv from the browser, framed stdio."""

    def __init__(
        self,
        home: Home,
        argv: list[str] | None = None,
        env: Mapping[str, str] | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            [*(command or host_command()), *(CHROME_ARGV if argv is None else argv)],
            env=home.env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout

    def send(self, message: object) -> None:
        self.send_raw(encode(message))

    def send_raw(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def read(self) -> Any:
        return read_frame(self.stdout)

    def close(self) -> None:
        if not self.stdin.closed:
            self.stdin.close()

    def wait(self, timeout: float = 5.0) -> int:
        self.close()
        return self.process.wait(timeout)

    def stderr_text(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read().decode("utf-8", "replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def one_shot(home: Home, message: object, argv: list[str] | None = None) -> Any:
    """Like ``runtime.sendNativeMessage``: start a host, one request, first reply, close."""
    host = HostProcess(home, argv)
    try:
        host.send(message)
        reply = host.read()
        host.wait()
        return reply
    finally:
        host.kill()
