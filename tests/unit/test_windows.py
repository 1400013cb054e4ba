"""The Windows parts that are pure, run anywhere: the pipe's name and security descriptor,
the registry keys each browser reads, the console decision, the manifest's encoding.
Tests marked ``windows`` call Win32 and run only there (the CI's Windows job)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.integration.browsers import (
    BROWSERS,
    BY_NAME,
    WINDOWS,
    Machine,
    RegistryKey,
    registry_key,
    registry_keys,
    user_location,
)
from app.integration.install import write_manifest
from app.system.settings import Extension, Settings
from host import launch, winpipe
from tests.support.fake_registry import FakeRegistry
from tests.support.harness import CHROME_ID, FIREFOX_ID, wait_for

SID = "S-1-5-21-3623811015-3361044348-30300820-1013"
OTHER_SID = "S-1-5-21-3623811015-3361044348-30300820-1014"

# --- The pipe's name -------------------------------------------------------------------


def test_pipe_name_is_per_user() -> None:
    assert winpipe.pipe_name(SID) == rf"\\.\pipe\bridgekeeper-{SID}"
    assert winpipe.pipe_name(SID) != winpipe.pipe_name(OTHER_SID)


def test_pipe_name_follows_the_home_folder_however_it_is_spelled() -> None:
    home = winpipe.pipe_name(SID, r"C:\Users\Zoë\bk")
    assert home.startswith(rf"\\.\pipe\bridgekeeper-{SID}-")
    assert home == winpipe.pipe_name(SID, "c:/users/ZOË/bk/")
    assert home != winpipe.pipe_name(SID, r"C:\Users\Zoë\bk2")
    assert home != winpipe.pipe_name(OTHER_SID, r"C:\Users\Zoë\bk")
    assert len(home) <= winpipe.MAX_PIPE_NAME


@pytest.mark.parametrize(
    "sid",
    [
        "",
        "S-1",
        "S-1-5",
        "s-1-5-21-1",
        "S-2-5-21-1",
        "S-1-5-21-x",
        "S-1-5-21-1\\..\\x",
        "S-1-5-21)(A;;GA;;;WD",
        "S-1-5-21-١٢",  # digits, but not ASCII ones
        "S-1-5-21--1",
        "S-1-5-21-" + "9" * 21,
    ],
)
def test_anything_but_a_sid_is_refused_in_names_and_descriptors(sid: str) -> None:
    assert not winpipe.valid_sid(sid)
    with pytest.raises(ValueError, match="not a SID"):
        winpipe.pipe_name(sid)
    with pytest.raises(ValueError, match="not a SID"):
        winpipe.owner_only_sddl(sid)


# --- The pipe's security descriptor ----------------------------------------------------


def test_descriptor_lets_only_its_owner_in() -> None:
    # Owner: the user. DACL protected (P: nothing inherited) with one entry, generic all
    # to the user. SACL: a medium mandatory label, no write up and no read up.
    assert winpipe.owner_only_sddl(SID) == f"O:{SID}D:P(A;;GA;;;{SID})S:(ML;;NWNR;;;ME)"
    dacl = winpipe.owner_only_sddl(SID).split("D:", 1)[1].split("S:", 1)[0]
    assert dacl.count("(") == 1
    for wide_open in ("WD", "AN", "AU", "BU", "NU", "SY", "BA"):  # Everyone, Anonymous, ...
        assert f";{wide_open})" not in dacl


@pytest.mark.windows
def test_windows_accepts_the_descriptor_and_reads_our_sid() -> None:
    sid = winpipe.current_user_sid()
    assert winpipe.valid_sid(sid)
    attributes, release = winpipe.security_attributes(winpipe.owner_only_sddl(sid))
    try:
        assert attributes.lpSecurityDescriptor
    finally:
        release()


def test_pipes_are_windows_only_elsewhere() -> None:
    if sys.platform == "win32":
        pytest.skip("this is Windows")
    with pytest.raises(winpipe.PipeError, match="only on Windows"):
        winpipe.api()
    with pytest.raises(winpipe.PipeError):
        winpipe.connect(rf"\\.\pipe\bridgekeeper-{SID}")


# --- The registry keys browsers read ---------------------------------------------------

VENDORS = {
    "firefox": "Mozilla",
    "librewolf": "Mozilla",
    "waterfox": "Mozilla",
    "tor-browser": "Mozilla",
    "chrome": r"Google\Chrome",
    "chrome-beta": r"Google\Chrome",
    "chrome-dev": r"Google\Chrome",
    "chrome-canary": r"Google\Chrome",
    "chromium": "Chromium",
    "edge": r"Microsoft\Edge",
    "brave": r"Google\Chrome",
    "vivaldi": r"Google\Chrome",
    "opera": r"Google\Chrome",
}


def test_every_browser_of_the_table_has_its_windows_key() -> None:
    assert {b.name for b in BROWSERS if b.windows is not None} == set(VENDORS)


@pytest.mark.parametrize(("name", "vendor"), sorted(VENDORS.items()))
def test_registry_keys_in_each_hive_in_the_order_browsers_read(name: str, vendor: str) -> None:
    key = rf"Software\{vendor}\NativeMessagingHosts\org.bridgekeeper.host"
    browser = BY_NAME[name]
    assert registry_keys(browser, "HKCU") == (RegistryKey("HKCU", 64, key),)
    assert registry_keys(browser, "HKLM") == (
        RegistryKey("HKLM", 32, key),
        RegistryKey("HKLM", 64, key),
    )
    assert [str(k) for k in registry_keys(browser, "HKLM")] == [
        rf"HKEY_LOCAL_MACHINE\Software\WOW6432Node\{vendor}\NativeMessagingHosts"
        r"\org.bridgekeeper.host",
        rf"HKEY_LOCAL_MACHINE\{key}",
    ]
    assert str(registry_keys(browser, "HKCU")[0]) == rf"HKEY_CURRENT_USER\{key}"


@pytest.mark.windows
def test_the_32_bit_view_of_hklm_is_wow6432node() -> None:
    if sys.platform != "win32":  # the mark skips it first; this tells mypy
        pytest.skip("needs Windows")
    import ctypes

    from app.system.registry import WindowsRegistry

    if not ctypes.windll.shell32.IsUserAnAdmin():
        pytest.skip("needs an administrator to write HKEY_LOCAL_MACHINE")
    key = rf"Software\BridgekeeperTest{time.monotonic_ns()}"
    view32, view64 = WindowsRegistry("HKLM", 32), WindowsRegistry("HKLM", 64)
    try:
        view32.set(key, "thirty-two")
        assert view32.get(key) == "thirty-two"
        assert view64.get(key) is None
        wow = key.replace("Software\\", "Software\\WOW6432Node\\", 1)
        assert view64.get(wow) == "thirty-two"
    finally:
        view32.delete(key)
    assert view32.get(key) is None


@pytest.mark.windows
def test_both_views_of_hkcu_software_are_one_key() -> None:
    from app.system.registry import WindowsRegistry

    key = rf"Software\BridgekeeperTest{time.monotonic_ns()}"
    view32, view64 = WindowsRegistry("HKCU", 32), WindowsRegistry("HKCU", 64)
    try:
        view64.set(key, "shared")
        assert view32.get(key) == "shared"
    finally:
        view64.delete(key)


# --- The manifest's bytes --------------------------------------------------------------


@pytest.mark.parametrize("name", ["chrome", "firefox"])
def test_manifest_is_utf8_without_a_byte_order_mark(tmp_path: Path, name: str) -> None:
    registry = FakeRegistry()
    machine = Machine(WINDOWS, tmp_path, {}, tmp_path, registry, tmp_path / "manifests")
    host = Path(r"C:\Users\Zoë Ünal\AppData\Local\Programs\Bridgekeeper\bridgekeeper-host.exe")
    config = Settings([Extension("chromium", CHROME_ID, "Démo"), Extension("firefox", FIREFOX_ID)])
    location = user_location(BY_NAME[name], machine)
    assert location is not None
    write_manifest(location, host, config, machine)
    data = location.path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))  # nor UTF-16
    assert json.loads(data.decode("utf-8"))["path"] == str(host)
    assert registry.get(registry_key(VENDORS[name])) == str(location.path)


# --- The console decision --------------------------------------------------------------


def test_windows_bundle_has_a_console_cli_a_windowed_app_and_a_console_host() -> None:
    names = {role: launch.executable(role, "win32") for role in (launch.CLI, launch.TRAY_APP)}
    assert names == {launch.CLI: "bridgekeeper.exe", launch.TRAY_APP: "bridgekeeperw.exe"}
    assert launch.executable(launch.HOST, "win32") == "bridgekeeper-host.exe"
    assert launch.subsystem(launch.CLI) == launch.IMAGE_SUBSYSTEM_WINDOWS_CUI
    assert launch.subsystem(launch.TRAY_APP) == launch.IMAGE_SUBSYSTEM_WINDOWS_GUI
    assert launch.subsystem(launch.HOST) == launch.IMAGE_SUBSYSTEM_WINDOWS_CUI
    for platform in ("linux", "darwin"):
        assert launch.executable(launch.CLI, platform) == "bridgekeeper"
        assert launch.executable(launch.TRAY_APP, platform) == "bridgekeeper"
        assert launch.executable(launch.HOST, platform) == "bridgekeeper-host"


def pe_header(subsystem: int, plus: bool = True) -> bytes:
    """The first bytes of a PE image, as the PE format lays them out."""
    offset = 0x80
    head = bytearray(0x400)
    head[:2] = b"MZ"
    head[0x3C:0x40] = struct.pack("<I", offset)
    head[offset : offset + 4] = b"PE\0\0"
    optional = offset + 24
    head[optional : optional + 2] = struct.pack("<H", 0x20B if plus else 0x10B)
    head[optional + 68 : optional + 70] = struct.pack("<H", subsystem)
    return bytes(head)


@pytest.mark.parametrize("plus", [True, False], ids=["PE32+", "PE32"])
@pytest.mark.parametrize("subsystem", [2, 3])
def test_pe_subsystem_reads_the_field(subsystem: int, plus: bool) -> None:
    assert launch.pe_subsystem(pe_header(subsystem, plus)) == subsystem


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\x7fELF" + bytes(0x400),
        b"MZ" + bytes(0x3E),
        pe_header(2)[:0x80],
        pe_header(2).replace(b"PE\0\0", b"NE\0\0"),
        pe_header(2).replace(b"\x0b\x02", b"\x07\x01", 1),
    ],
    ids=["empty", "elf", "mz only", "cut short", "not PE", "unknown magic"],
)
def test_pe_subsystem_of_something_else_is_none(head: bytes) -> None:
    assert launch.pe_subsystem(head) is None


def test_host_starts_the_app_without_a_window_in_its_own_group() -> None:
    flags = launch.creation_flags()
    assert flags & launch.CREATE_NO_WINDOW
    assert flags & launch.CREATE_NEW_PROCESS_GROUP
    assert flags & launch.CREATE_BREAKAWAY_FROM_JOB
    assert not launch.creation_flags(breakaway=False) & launch.CREATE_BREAKAWAY_FROM_JOB


def test_start_detached_gives_the_app_no_stream_of_ours(tmp_path: Path) -> None:
    out = tmp_path / "child"
    probe = (
        "import json, os, sys\n"
        "facts = {'pid': os.getpid()}\n"
        "if sys.platform == 'win32':\n"
        "    import ctypes\n"
        "    facts['console_window'] = ctypes.windll.kernel32.GetConsoleWindow()\n"
        "else:\n"
        "    facts['session'] = os.getsid(0)\n"
        "    proc = '/proc/self/fd/1'\n"
        "    facts['stdout'] = os.path.realpath(proc) if os.path.exists(proc) else None\n"
        f"open({str(out)!r}, 'w').write(json.dumps(facts))\n"
    )
    child = launch.start_detached([sys.executable, "-c", probe])
    try:
        child.wait(30)
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    wait_for(out.exists, 10, "the child to report")
    facts = json.loads(out.read_text())
    if sys.platform == "win32":
        assert facts["console_window"] == 0  # CREATE_NO_WINDOW: a console, no window
    else:
        assert facts["session"] == facts["pid"]  # a session of its own
        if facts["stdout"] is not None:
            assert facts["stdout"] == "/dev/null"


def test_installer_registers_through_the_app_and_names_the_bundles_executables() -> None:
    iss = (Path(__file__).resolve().parents[2] / "packaging/windows/bridgekeeper.iss").read_text(
        encoding="utf-8"
    )
    assert f'#define Cli "{launch.executable(launch.CLI, "win32")}"' in iss
    assert f'#define TrayApp "{launch.executable(launch.TRAY_APP, "win32")}"' in iss
    # One writer of manifests and registry keys, the app's own `install`: the installer
    # writes neither (a second copy drifts, and Pascal's SaveStringToFile writes ANSI).
    assert "NativeMessagingHosts" not in iss
    assert "SaveString" not in iss
    assert "Exec(Command, 'install " in iss
    assert 'Parameters: "uninstall"' in iss


# --- The host on Windows: starting the app, reading the browser ------------------------


def executable_file(path: Path) -> Path:
    path.write_text("")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("platform", "beside", "expected"),
    [
        ("win32", ["bridgekeeperw.exe", "bridgekeeper.exe"], ["bridgekeeperw.exe"]),
        ("win32", ["bridgekeeper.exe", "pythonw.exe"], ["pythonw.exe", "-m", "app"]),
        ("win32", ["bridgekeeper.exe"], ["python.exe", "-m", "app"]),
        ("linux", ["bridgekeeper"], ["bridgekeeper"]),
        ("linux", [], ["python.exe", "-m", "app"]),
    ],
)
def test_the_host_starts_the_windowed_tray_app_beside_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    beside: list[str],
    expected: list[str],
) -> None:
    """Never the console ``bridgekeeper.exe``: started by a host, it would get a console."""
    from host import relay

    monkeypatch.delenv(relay.APP_COMMAND_ENV, raising=False)
    for name in beside:
        executable_file(tmp_path / name)
    python = str(tmp_path / "python.exe")
    command = relay.app_command(python, platform)
    assert command == [str(tmp_path / expected[0]), *expected[1:]]


@pytest.mark.parametrize(
    ("platform", "configured", "words"),
    [
        (
            "win32",
            r'"C:\Program Files\Bridgekeeper\bridgekeeperw.exe" --x',
            [r"C:\Program Files\Bridgekeeper\bridgekeeperw.exe", "--x"],
        ),
        ("win32", r"C:\bk\bridgekeeperw.exe", [r"C:\bk\bridgekeeperw.exe"]),
        ("linux", "'/opt/my bk/bridgekeeper' --x", ["/opt/my bk/bridgekeeper", "--x"]),
    ],
)
def test_a_configured_app_command_keeps_windows_paths_whole(
    platform: str, configured: str, words: list[str]
) -> None:
    from host import relay

    assert relay.split_command(configured, platform) == words


class FakeSignal:
    """FAKE: ``winpipe.Event``'s set/clear on a ``threading.Event`` (no Win32 here)."""

    handle = 0

    def __init__(self) -> None:
        import threading

        self.flag = threading.Event()

    def set(self) -> None:
        self.flag.set()

    def clear(self) -> None:
        self.flag.clear()


def test_the_stdin_reader_hands_out_chunks_in_order_and_then_the_end() -> None:
    import os

    read_end, write_end = os.pipe()
    signal = FakeSignal()
    reader = winpipe.StdinReader(read_end, chunk=4, signal=signal)
    try:
        assert reader.read(100) is None  # nothing yet: never waits
        assert not reader.ready()
        os.write(write_end, b"abcdefghij")
        got = b""
        while len(got) < 10:
            assert signal.flag.wait(5)
            assert reader.ready()
            piece = reader.read(3)  # smaller than a chunk: the rest stays, still signalled
            assert piece
            got += piece
            assert len(reader._chunk) <= 4  # never more than one chunk ahead
        assert got == b"abcdefghij"
        os.close(write_end)
        assert signal.flag.wait(5)
        assert reader.read(100) == b""
        assert reader.read(100) == b""  # the end stays the end
        buffer = bytearray(4)
        assert reader.readinto(memoryview(buffer)) == 0
    finally:
        os.close(read_end)


def test_the_stdin_reader_reads_no_further_until_a_chunk_is_taken() -> None:
    import os

    read_end, write_end = os.pipe()
    signal = FakeSignal()
    reader = winpipe.StdinReader(read_end, chunk=4, signal=signal)
    try:
        os.write(write_end, b"12345678")
        assert signal.flag.wait(5)
        time.sleep(0.1)  # room for a reader that would read on: it must not
        assert reader._chunk == b"1234"
        buffer = bytearray(4)
        assert reader.readinto(memoryview(buffer)) == 4
        assert bytes(buffer) == b"1234"
        assert signal.flag.wait(5)
        assert reader.read(4) == b"5678"
    finally:
        os.close(write_end)
        os.close(read_end)


# --- The host's and the command line's errors from the pipe ------------------------------


def refusing(error: OSError) -> object:
    """FAKE ``winpipe.connect``: fails as Win32 would make it fail (no pipe here)."""

    def connect(name: str, timeout: float) -> None:
        assert timeout == 0  # the host never waits inside connect: it has its own deadline
        raise error

    return connect


def test_a_pipe_of_another_user_is_a_foreign_peer_naming_its_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from host import transport

    wrong = winpipe.WrongUser(winpipe.ERROR_ACCESS_DENIED, "served by process 4242, not you")
    wrong.pid = 4242
    monkeypatch.setattr(winpipe, "connect", refusing(wrong))
    with pytest.raises(transport.ForeignPeer) as refused:
        transport._connect_pipe(r"\\.\pipe\bridgekeeper-S-1-5-21-1-2-3-1001")
    assert refused.value.pid == 4242
    assert refused.value.uid is None
    assert "served by process 4242" in str(refused.value)
    assert "4242" in refused.value.who


def test_a_busy_pipe_is_app_busy_and_other_failures_app_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from host import transport

    name = r"\\.\pipe\bridgekeeper-S-1-5-21-1-2-3-1001"
    busy = winpipe.PipeError(winpipe.ERROR_PIPE_BUSY, "every instance is busy")
    monkeypatch.setattr(winpipe, "connect", refusing(busy))
    with pytest.raises(transport.AppBusy, match="accepts no connection now"):
        transport._connect_pipe(name)
    broken = winpipe.PipeError(winpipe.ERROR_NO_DATA, "The pipe is being closed")
    monkeypatch.setattr(winpipe, "connect", refusing(broken))
    with pytest.raises(transport.AppUnavailable) as unavailable:
        transport._connect_pipe(name)
    assert not isinstance(unavailable.value, transport.AppBusy)
    assert "The pipe is being closed" in str(unavailable.value)
    assert transport.HOW_TO_FIX in str(unavailable.value)


def test_the_fix_for_a_hung_app_is_said_in_the_platforms_words() -> None:
    """Windows has no SIGSTOP to undo: the fix ends the app (taskkill), and never offers a
    POSIX command; elsewhere the stopped app is resumed first."""
    from app.system.instance import hung_app_fix

    assert hung_app_fix(4242, "win32") == "End it (`taskkill /PID 4242 /F`) and start it again"
    assert "Task Manager" in hung_app_fix(None, "win32")
    for pid in (4242, None):
        assert "kill -CONT" not in hung_app_fix(pid, "win32")
    assert hung_app_fix(4242, "linux") == (
        "Resume it (`kill -CONT 4242`), or quit it and start it again"
    )
    assert "pkill -CONT -u $USER -x bridgekeeper" in hung_app_fix(None, "darwin")


class UnreadableRegistry(FakeRegistry):
    """A FAKE registry whose reads are refused, as an access list that shuts the user out
    of the key would."""

    def get(self, key: str, name: str = "") -> str | None:
        raise PermissionError("access denied")


def test_the_windows_policy_is_a_registry_value_holding_the_files_json() -> None:
    from app.core.queue import Locks
    from app.system import policy

    registry = FakeRegistry()
    assert policy.load_registry(registry) == policy.Policy()  # none: no policy
    registry.set(
        policy.WINDOWS_KEY,
        json.dumps(
            {
                "version": 1,
                "allowed_extensions": [f"{CHROME_ID}=Team vault"],
                "remember": False,
                "max_timeout": 90,
                "colour": "blue",
            }
        ),
        policy.WINDOWS_VALUE,
    )
    found = policy.load_registry(registry)
    assert found.source == r"HKLM\Software\Policies\Bridgekeeper\Policy"
    assert not found.failed_closed
    assert [(ext.id, ext.name) for ext in found.allowed_extensions] == [(CHROME_ID, "Team vault")]
    assert found.locks == Locks(remember=False, pause=True, max_timeout=90.0)
    assert found.problems == (
        r"the policy HKLM\Software\Policies\Bridgekeeper\Policy has a key this Bridgekeeper "
        'does not know, "colour" (ignored; it knows version, allowed_extensions, remember, '
        "pause, max_timeout)",
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("{not json", "is not valid JSON"),
        ("1", "is not a JSON object"),  # a REG_DWORD read back as its number
        ('{"version": 1, "pause": "no"}', '"pause" must be true or false'),
        ("x" * 1_048_577, "is larger than 1048576 bytes"),
    ],
)
def test_a_broken_windows_policy_fails_closed_and_says_why(value: str, fragment: str) -> None:
    from app.core.queue import Locks
    from app.system import policy

    registry = FakeRegistry()
    registry.set(policy.WINDOWS_KEY, value, policy.WINDOWS_VALUE)
    found = policy.load_registry(registry)
    assert found.failed_closed
    assert found.locks == Locks(remember=False, pause=False, max_timeout=60.0)
    assert found.allowed_extensions == ()
    (problem,) = found.problems
    assert problem.startswith(r"the policy HKLM\Software\Policies\Bridgekeeper\Policy")
    assert fragment in problem


def test_an_unreadable_windows_policy_fails_closed() -> None:
    from app.system import policy

    found = policy.load_registry(UnreadableRegistry())
    assert found.failed_closed
    assert "cannot read the policy" in found.problems[0]
    assert "access denied" in found.problems[0]


def test_the_apps_watch_reads_the_windows_policy_again_within_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the policy is not a file, the watch reads the registry value again every
    ``WINDOWS_REREAD_S`` (shortened here): an administrator's change applies without a
    restart."""
    from app.core.queue import Locks
    from app.system import policy

    monkeypatch.setattr(policy, "WINDOWS_REREAD_S", 0.05)
    registry = FakeRegistry()
    watch = policy.PolicyWatch(path=None, registry=registry)
    assert watch.locks() == Locks()
    registry.set(policy.WINDOWS_KEY, '{"version": 1, "pause": false}', policy.WINDOWS_VALUE)
    wait_for(lambda: watch.locks() == Locks(pause=False), 5, "the pause lock")
    registry.delete(policy.WINDOWS_KEY, policy.WINDOWS_VALUE)
    wait_for(lambda: watch.locks() == Locks(), 5, "the lock lifted")


def test_doctor_says_where_a_windows_policy_is_fixed() -> None:
    from app.integration.checks import policy_checks
    from app.system import policy

    registry = FakeRegistry()
    registry.set(policy.WINDOWS_KEY, "{not json", policy.WINDOWS_VALUE)
    (check,) = policy_checks(policy.load_registry(registry))
    assert check.fix == (
        "ask your administrator to fix it (Group Policy, or regedit: "
        r"HKLM\Software\Policies\Bridgekeeper\Policy)"
    )
    assert "sudo" not in check.fix
