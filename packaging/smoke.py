"""Smoke test of a built bundle on any platform (the CI and release workflows run it on
Windows and macOS; on Linux tests/bundle/test_bundle.py does much more).

    python packaging/smoke.py FOLDER   (the folder holding the executables: on macOS
                                        Bridgekeeper.app/Contents/MacOS)

Checks, each printed as it passes:
- Windows: each executable is built for the subsystem host/launch.py decides (console
  command line and host, windowed tray app);
- the command line prints and returns exit codes (``--version``, ``status``, a wrong
  command);
- ``install`` writes a manifest naming the bundled host, UTF-8 without a byte-order mark;
  on Windows also the HKCU key of a browser (removed again by ``uninstall``);
- the host answers a framed ``ping`` the way a browser sends it: ``ok`` from the bundled
  app (on Windows over its named pipe);
- Windows: the host started as Chromium and Edge start it (``cmd.exe /d /s /c`` with the
  window hidden, named pipes for stdin and stdout) answers ``ok`` and leaves no visible
  window;
- macOS: the .app says LSUIElement and carries the host beside the app.

Standard library only, plus host/launch.py (and on Windows host/winpipe.py) from this
checkout.
"""

from __future__ import annotations

import contextlib
import json
import os
import plistlib
import secrets
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from host import launch

HEADER = struct.Struct("=I")
CALLER = "chrome-extension://jkdnicfhmapgokpkghnoknfplbgkmjan/"
HOST_NAME = "org.bridgekeeper.host"


def passed(what: str) -> None:
    print(f"smoke: ok: {what}", flush=True)


def fail(what: str) -> None:
    raise SystemExit(f"smoke: FAILED: {what}")


def executable(folder: Path, role: str) -> Path:
    path = folder / launch.executable(role)
    if not path.is_file():
        fail(f"{path} is missing")
    return path


def frame(message: object) -> bytes:
    payload = json.dumps(message).encode()
    return HEADER.pack(len(payload)) + payload


def unframe(data: bytes, stderr: bytes = b"") -> object:
    if len(data) < HEADER.size:
        fail(f"no reply from the host; its stderr:\n{stderr.decode(errors='replace')}")
    (length,) = HEADER.unpack(data[: HEADER.size])
    return json.loads(data[HEADER.size : HEADER.size + length])


def ping(host: Path, env: dict[str, str]) -> object:
    done = subprocess.run(
        [str(host), CALLER],
        input=frame({"type": "ping", "id": 1}),
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return unframe(done.stdout, done.stderr)


def check_subsystems(folder: Path) -> None:
    for role in (launch.CLI, launch.TRAY_APP, launch.HOST):
        path = executable(folder, role)
        with path.open("rb") as image:
            found = launch.pe_subsystem(image.read(4096))
        if found != launch.subsystem(role):
            fail(f"{path.name} is built for subsystem {found}, not {launch.subsystem(role)}")
    passed("console bridgekeeper.exe and bridgekeeper-host.exe, windowed bridgekeeperw.exe")


def check_command_line(cli: Path, env: dict[str, str]) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(cli), *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    version = run("--version")
    if version.returncode != 0 or not version.stdout.startswith("bridgekeeper "):
        fail(f"--version: exit {version.returncode}, printed {version.stdout!r}")
    status = run("status")  # a fresh home: no extension allowed yet, which is a failure row
    failed = "[FAIL]" in status.stdout
    if status.returncode != (1 if failed else 0) or "running" not in status.stdout:
        fail(f"status: exit {status.returncode}, printed {status.stdout!r} {status.stderr!r}")
    wrong = run("no-such-command")
    if wrong.returncode != 2 or "usage" not in wrong.stderr:
        fail(f"a wrong command: exit {wrong.returncode}, printed {wrong.stderr!r}")
    passed(f"the command line prints and returns exit codes ({version.stdout.strip()})")


def check_manifest_bytes(path: Path, host: Path) -> None:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        fail(f"{path} starts with a byte-order mark")
    named = Path(json.loads(data.decode("utf-8"))["path"])
    if named.resolve() != host.resolve():
        fail(f"the manifest names {named}, not {host}")


def check_install_into_a_profile(cli: Path, host: Path, env: dict[str, str], root: Path) -> None:
    """As a user would: allow the extension (written to a profile folder, so no browser
    needs to be installed); the manifest must name the bundled host."""
    profile = root / "profile"
    profile.mkdir()  # as the browser's first start makes it: install never creates one
    subprocess.run(
        [
            *(str(cli), "install", "--browser", "chromium"),
            *("--user-data-dir", str(profile), "--extension", CALLER),
        ],
        env=env,
        check=True,
        timeout=60,
    )
    check_manifest_bytes(profile / "NativeMessagingHosts" / f"{HOST_NAME}.json", host)
    passed("install wrote a profile's manifest naming the bundled host, without a BOM")


def check_windows_registration(cli: Path, host: Path, env: dict[str, str]) -> None:
    """The real HKCU key Chrome reads (this runner's registry), removed again."""
    if sys.platform != "win32":
        return
    import winreg

    key = rf"Software\Google\Chrome\NativeMessagingHosts\{HOST_NAME}"
    subprocess.run([str(cli), "install", "--browser", "chrome"], env=env, check=True, timeout=60)
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
            manifest, _kind = winreg.QueryValueEx(handle, "")
        check_manifest_bytes(Path(manifest), host)
    finally:
        subprocess.run(
            [str(cli), "uninstall", "--browser", "chrome"], env=env, timeout=60, check=False
        )
    try:
        winreg.OpenKey(winreg.HKEY_CURRENT_USER, key).Close()
    except FileNotFoundError:
        passed(rf"install wrote HKCU\{key}; uninstall removed it")
        return
    fail(rf"HKCU\{key} is still there after uninstall")


@contextlib.contextmanager
def running_app(folder: Path, env: dict[str, str], root: Path) -> Iterator[None]:
    """The bundled tray app, started and listening (its socket, or on Windows its pipe),
    until the block ends."""
    app = subprocess.Popen(
        [str(executable(folder, launch.TRAY_APP))], env=env, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not _listening(root / "bk"):
            if app.poll() is not None or time.monotonic() > deadline:
                fail(f"the app did not listen (exit {app.poll()})")
            time.sleep(0.05)
        yield
    finally:
        app.terminate()
        app.wait(10)


def _listening(home: Path) -> bool:
    if sys.platform != "win32":
        return (home / "run" / "bk.sock").exists()
    from host import winpipe

    name = winpipe.pipe_name(winpipe.current_user_sid(), os.path.abspath(home))
    link = winpipe.connect(name, timeout=0)  # the app's user checked, as the host does
    if link is None:
        return False
    link.close()
    return True


def check_ping(host: Path, env: dict[str, str]) -> None:
    reply = ping(host, env)
    if not (isinstance(reply, dict) and reply.get("ok") is True):
        fail(f"the host's reply {reply} is not ok")
    passed(f"the bundled app answered a ping through the bundled host: {reply}")


def check_hidden_launch(host: Path, env: dict[str, str]) -> None:
    """Start the host as Chromium does (launch_context_win.cc): named pipes for stdin and
    stdout, ``%COMSPEC% /d /s /c "<host> <origin>" < in > out``, STARTF_USESHOWWINDOW with
    SW_HIDE; CREATE_NEW_CONSOLE stands for the browser having no console of its own. The
    host must answer, and the console it shares with cmd must have no visible window."""
    if sys.platform != "win32":
        return
    import _winapi

    token = secrets.token_hex(8)
    in_name = rf"\\.\pipe\bk-smoke.in.{token}"
    out_name = rf"\\.\pipe\bk-smoke.out.{token}"
    outbound = 0x00000002  # PIPE_ACCESS_OUTBOUND (_winapi names only the other two)
    to_host = _winapi.CreateNamedPipe(in_name, outbound, 0, 1, 65536, 65536, 5000, _winapi.NULL)
    from_host = _winapi.CreateNamedPipe(
        out_name, _winapi.PIPE_ACCESS_INBOUND, 0, 1, 65536, 65536, 5000, _winapi.NULL
    )
    comspec = os.environ.get("COMSPEC", r"C:\Windows\System32\cmd.exe")
    command = f'{comspec} /d /s /c ""{host}" {CALLER}" < {in_name} > {out_name}'
    info = subprocess.STARTUPINFO()
    info.dwFlags = subprocess.STARTF_USESHOWWINDOW
    info.wShowWindow = 0  # SW_HIDE
    shell = subprocess.Popen(
        command, startupinfo=info, creationflags=subprocess.CREATE_NEW_CONSOLE, env=env
    )
    try:
        connected = [
            threading.Thread(target=_accept, args=(pipe,)) for pipe in (to_host, from_host)
        ]
        for thread in connected:
            thread.start()
        for thread in connected:
            thread.join(30)
        visible = _console_window_visible(shell.pid)
        _winapi.WriteFile(to_host, frame({"type": "ping", "id": 1}))
        data = b""
        while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack(data[:4])[0]:
            try:
                chunk, _error = _winapi.ReadFile(from_host, 65536)
            except BrokenPipeError:
                break
            data += chunk
        reply = unframe(data)
        _winapi.CloseHandle(to_host)  # end of input: the host exits
        shell.wait(30)
    finally:
        if shell.poll() is None:
            shell.kill()
        for pipe in (to_host, from_host):
            with contextlib.suppress(OSError):
                _winapi.CloseHandle(pipe)
    if not isinstance(reply, dict) or reply.get("id") != 1 or reply.get("ok") is not True:
        fail(f"the host started through cmd answered {reply}")
    if visible:
        fail("the console of cmd and the host has a visible window")
    passed("the host started through cmd.exe /d /s /c, hidden, answers and shows no window")


def _accept(pipe: int) -> None:
    """ConnectNamedPipe: waits for cmd to open the pipe (ERROR_PIPE_CONNECTED: it already
    has)."""
    if sys.platform != "win32":
        raise NotImplementedError("named pipes")
    import _winapi

    try:
        _winapi.ConnectNamedPipe(pipe)
    except OSError as error:
        if error.winerror != 535:  # ERROR_PIPE_CONNECTED
            raise


CONSOLE_PROBE = """
import ctypes, sys
kernel32, user32 = ctypes.windll.kernel32, ctypes.windll.user32
kernel32.FreeConsole()
if not kernel32.AttachConsole(int(sys.argv[1])):
    print("no-console")
else:
    window = kernel32.GetConsoleWindow()
    print("visible" if window and user32.IsWindowVisible(window) else "hidden")
"""


def _console_window_visible(pid: int) -> bool:
    """Whether process ``pid``'s console has a visible window (asked by a helper process
    that attaches to it: a process has one console at a time)."""
    if sys.platform != "win32":
        raise NotImplementedError("consoles")
    probe = subprocess.run(
        [sys.executable, "-c", CONSOLE_PROBE, str(pid)],
        capture_output=True,
        text=True,
        timeout=30,
        creationflags=subprocess.DETACHED_PROCESS,
        check=False,
    )
    answer = probe.stdout.strip()
    if answer not in ("visible", "hidden", "no-console"):
        fail(f"the console probe said {answer!r} {probe.stderr!r}")
    return answer == "visible"


def check_macos_app(folder: Path) -> None:
    if sys.platform != "darwin":
        return
    contents = folder.parent
    with (contents / "Info.plist").open("rb") as plist:
        info = plistlib.load(plist)
    if info.get("LSUIElement") is not True:
        fail("Info.plist lacks LSUIElement (the app would show in the Dock)")
    if info.get("CFBundleIdentifier") != launch.MACOS_BUNDLE_ID:
        fail(f"CFBundleIdentifier is {info.get('CFBundleIdentifier')!r}")
    executable(folder, launch.HOST)
    if os.environ.get("BK_EXPECT_SIGNED") == "1":
        subprocess.run(
            ["codesign", "--verify", "--strict", "--deep", "--verbose=2", str(contents.parent)],
            check=True,
        )
        passed("the .app's signature verifies")
    passed("Bridgekeeper.app: LSUIElement, its identifier, the host inside")


def main() -> int:
    folder = Path(sys.argv[1]).resolve()
    cli, host = executable(folder, launch.CLI), executable(folder, launch.HOST)
    root = Path(tempfile.mkdtemp(prefix="bk"))
    env = dict(
        os.environ,
        BRIDGEKEEPER_HOME=str(root / "bk"),
        HOME=str(root),
        USERPROFILE=str(root),
        QT_QPA_PLATFORM="offscreen",
    )
    env.pop("BRIDGEKEEPER_APP_COMMAND", None)
    try:
        if sys.platform == "win32":
            check_subsystems(folder)
        check_macos_app(folder)
        check_command_line(cli, env)
        check_install_into_a_profile(cli, host, env, root)
        check_windows_registration(cli, host, env)
        with running_app(folder, env, root):
            check_ping(host, env)
            check_hidden_launch(host, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
