"""``status`` and ``doctor``: every check of the integration, one ``Check`` per line, each
problem with what is wrong and the command that fixes it. Doctor adds a real ping through
each installed host, started exactly as its browser starts it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from app.core.text import neutralise
from app.integration import flatpak, manifests
from app.integration.browsers import (
    BROWSERS,
    Browser,
    Machine,
    ManifestLocation,
    Sandbox,
    detect,
    flatpak_location,
    profile_location,
    system_locations,
    user_location,
)
from app.integration.manifests import ManifestProblem, ReadManifest
from app.system import instance, policy, settings
from app.system.policy import WINDOWS_SOURCE, Policy, policy_path
from app.system.settings import Settings
from host import protocol, transport
from host.caller import CHROME_ORIGIN_PREFIX, CHROMIUM

PING_TIMEOUT = 15.0
FRAME = protocol.BROWSER_HEADER


class State(Enum):
    OK = "ok"
    PROBLEM = "FAIL"
    WARN = "warn"
    SKIP = "skip"
    NONE = " -- "


@dataclass(frozen=True)
class Check:
    subject: str
    what: str
    state: State
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        head = f"[{self.state.value:^4}] {self.subject:<13} {self.what:<18} {self.detail}"
        return [head, f"{'':7}{'':14}fix: {self.fix}"] if self.fix else [head]


@dataclass(frozen=True)
class Installed:
    """A manifest that passed its checks: what doctor pings through."""

    location: ManifestLocation
    manifest: ReadManifest


def _install_fix(browser: Browser, location: ManifestLocation) -> str:
    if location.scope == "profile":
        return f"bridgekeeper install --user-data-dir {location.path.parent.parent}"
    if location.scope == "system":
        return "sudo bridgekeeper install --system"
    return f"bridgekeeper install --browser {browser.name}"


def check_manifest(
    location: ManifestLocation, config: Settings, host: Path, subject: str, machine: Machine
) -> tuple[list[Check], Installed | None]:
    """Present, valid, path right, host executable, allowed ids right. A system-wide
    manifest may name another install's host: any executable one is right."""
    browser = location.browser
    family = browser.family
    fix = _install_fix(browser, location)
    checks: list[Check] = []
    try:
        manifest = manifests.read_manifest(location.path, family)
    except ManifestProblem as error:
        checks.append(Check(subject, "manifest present", State.OK, str(location.path)))
        checks.append(Check(subject, "manifest valid", State.PROBLEM, str(error), fix))
        return checks, None
    if manifest is None:
        checks.append(
            Check(subject, "manifest present", State.PROBLEM, f"missing: {location.path}", fix)
        )
        return checks, None
    checks.append(Check(subject, "manifest present", State.OK, str(location.path)))
    if location.registry_key is not None:
        checks.append(_registry_check(location, subject, fix, machine))
    checks.append(Check(subject, "manifest valid", State.OK, "name, type and fields right"))
    healthy = True
    if location.scope == "system" or os.path.normcase(manifest.path) == os.path.normcase(str(host)):
        checks.append(Check(subject, "host path", State.OK, manifest.path))
    else:
        healthy = False
        checks.append(
            Check(
                subject,
                "host path",
                State.PROBLEM,
                f"names {manifest.path}, expected {host}",
                f"{fix}  (or start Bridgekeeper: it repairs stale paths)",
            )
        )
    target = Path(manifest.path)
    if target.is_file() and os.access(target, os.X_OK):
        checks.append(Check(subject, "host executable", State.OK, "yes"))
    else:
        healthy = False
        why = "is not executable" if target.exists() else "does not exist"
        checks.append(
            Check(
                subject,
                "host executable",
                State.PROBLEM,
                f"{target} {why}",
                f"chmod +x {target}" if target.is_file() else fix,
            )
        )
    expected = {ext.id for ext in config.allowed(family)}
    listed = set(manifest.allowed(family))
    if not expected and not listed:
        # Nothing to serve in this family yet: not a failure (a Chromium-only set-up).
        checks.append(
            Check(subject, "allowed ids", State.NONE, f"no {family}-family extension allowed yet")
        )
    elif listed == expected:
        checks.append(Check(subject, "allowed ids", State.OK, ", ".join(sorted(listed))))
    else:
        healthy = False
        parts = []
        if expected - listed:
            parts.append("does not allow " + ", ".join(sorted(expected - listed)))
        if listed - expected:
            parts.append("allows " + ", ".join(sorted(listed - expected)) + " (not allowed now)")
        checks.append(Check(subject, "allowed ids", State.PROBLEM, "; ".join(parts), fix))
    return checks, Installed(location, manifest) if healthy else None


def _registry_check(location: ManifestLocation, subject: str, fix: str, machine: Machine) -> Check:
    key = f"{location.hive}\\{location.registry_key}"
    value = None
    if machine.registry is not None and location.registry_key is not None:
        value = machine.registry.get(location.registry_key)
    if value == str(location.path):
        return Check(subject, "registry key", State.OK, key)
    shown = "missing" if value is None else f"points at {value}"
    return Check(subject, "registry key", State.PROBLEM, f"{key} {shown}", fix)


def _serving_system_manifest(
    browser: Browser, machine: Machine, config: Settings
) -> ManifestLocation | None:
    """The system-wide manifest of ours the browser reads when the user has none (the
    browser reads the user's folder first), if one allows every extension allowed now."""
    expected = {ext.id for ext in config.allowed(browser.family)}
    for path in system_locations(browser, machine):
        try:
            manifest = manifests.read_manifest(path, browser.family)
        except ManifestProblem:
            continue
        if manifest is not None and expected <= set(manifest.allowed(browser.family)):
            return ManifestLocation(browser, path, scope="system")
    return None


def _user_manifest_checks(
    browser: Browser, location: ManifestLocation, config: Settings, host: Path, machine: Machine
) -> tuple[list[Check], Installed | None]:
    if not location.path.exists() and location.registry_key is None:
        system = _serving_system_manifest(browser, machine, config)
        if system is not None:
            checks = [
                Check(
                    browser.name,
                    "manifest present",
                    State.OK,
                    f"none for this user; the system-wide {system.path} serves {browser.label}",
                )
            ]
            found, ok = check_manifest(system, config, host, browser.name, machine)
            return checks + found[1:], ok
    found, ok = check_manifest(location, config, host, browser.name, machine)
    return found + _system_manifest_checks(browser, machine, host, ok is not None), ok


def _flatpak_checks(
    browser: Browser, sandbox: Sandbox, config: Settings, machine: Machine
) -> tuple[list[Check], Installed | None]:
    location = flatpak_location(browser, sandbox, machine)
    fix = f"bridgekeeper install --browser {browser.name}"
    try:
        flatpak.checked_app_folder(sandbox.ident, machine, create=False)
    except FileNotFoundError:
        where = f"~/.var/app/{sandbox.ident} does not exist yet"
        return [Check(browser.name, "flatpak manifest", State.PROBLEM, where, fix)], None
    except OSError as error:
        return [Check(browser.name, "flatpak folder", State.PROBLEM, str(error))], None
    folder = location.host_dir
    assert folder is not None
    found, ok = check_manifest(location, config, folder / flatpak.LAUNCHER, browser.name, machine)
    if ok is not None:
        found.append(sandbox_socket_check(browser, sandbox))
    state = flatpak.copy_state(folder)
    if state == "current":
        found.append(Check(browser.name, "host copy", State.OK, f"current: {folder}"))
    else:
        said = "missing" if state == "absent" else "from another Bridgekeeper version"
        found.append(
            Check(
                browser.name,
                "host copy",
                State.PROBLEM,
                f"{folder}: {said}",
                f"{fix}  (or start Bridgekeeper: it repairs the copy)",
            )
        )
        ok = None
    return found, ok


def sandbox_socket_check(browser: Browser, sandbox: Sandbox) -> Check:
    """Whether the app listens where the host copy inside the Flatpak looks for it
    (``$XDG_RUNTIME_DIR/app/<id>/bridgekeeper/``): its folders safely this user's, the
    socket served by this user's app, as the host checks them before a byte."""
    name, what = browser.name, "sandbox socket"
    if not os.path.isabs(os.environ.get("XDG_RUNTIME_DIR", "")):
        return Check(
            name,
            what,
            State.WARN,
            "XDG_RUNTIME_DIR is not set here, so the folder Flatpak shares with the browser "
            "is unknown",
            "run this in your desktop session",
        )
    try:
        path = transport.sandbox_socket_path(sandbox.ident)
        there = transport.check_sandbox_dirs(sandbox.ident)
        link = transport.connect(path) if there else None
    except transport.SocketPathError as error:
        return Check(name, what, State.PROBLEM, error.problem, error.fix)
    except transport.ForeignPeer as impostor:
        return Check(
            name,
            what,
            State.PROBLEM,
            f"{path} is served by {impostor.who}, not by you: an impostor, not your "
            "Bridgekeeper (nothing was sent to it)",
            f"ask an administrator to end process {impostor.pid or 'PID'} and remove {path}, "
            "then restart Bridgekeeper",
        )
    except (transport.AppUnavailable, OSError) as error:
        fix = "restart Bridgekeeper (quit it from the tray, then run `bridgekeeper`)"
        return Check(name, what, State.PROBLEM, str(error), fix)
    if link is not None:
        link.close()
        return Check(name, what, State.OK, f"Bridgekeeper listens at {path}")
    if _app_running():
        return Check(
            name,
            what,
            State.PROBLEM,
            f"the running Bridgekeeper does not listen at {path}",
            f"bridgekeeper install --browser {browser.name}  (it tells the app), or restart "
            "Bridgekeeper",
        )
    return Check(
        name,
        what,
        State.NONE,
        f"Bridgekeeper listens at {path} once it runs; the host cannot start it from inside "
        "the sandbox: keep it running (Start at login)",
    )


def _app_running() -> bool:
    lock = instance.InstanceLock()
    try:
        running = not lock.acquire()
    except (OSError, transport.SocketPathError):
        return False
    lock.release()
    return running


def browser_checks(
    machine: Machine, config: Settings, host: Path
) -> tuple[list[Check], list[Installed]]:
    """Each browser found: how it is installed, which manifest serves it and whether that
    works. Browsers not found are named once, on one quiet line."""
    checks: list[Check] = []
    installed: list[Installed] = []
    absent: list[str] = []
    for browser in BROWSERS:
        detection = detect(browser, machine)
        location = user_location(browser, machine)
        ours = location is not None and location.path.exists()
        if not detection.found and not ours:
            absent.append(browser.name)
            continue
        if detection.executable is not None:
            checks.append(Check(browser.name, "browser found", State.OK, str(detection.executable)))
        elif detection.sandboxes:
            shown = ", ".join(sandbox.label for sandbox in detection.sandboxes)
            checks.append(Check(browser.name, "browser found", State.OK, shown))
        else:
            checks.append(
                Check(browser.name, "browser found", State.WARN, "not installed; manifest left")
            )
        wants_user = detection.executable is not None or ours
        wants_user |= any(sandbox.portal(browser) for sandbox in detection.sandboxes)
        if location is not None and wants_user:
            found, ok = _user_manifest_checks(browser, location, config, host, machine)
            checks.extend(found)
            if ok is not None:
                installed.append(ok)
        for sandbox in detection.sandboxes:
            if sandbox.served(browser):
                checks.append(Check(browser.name, sandbox.kind, State.OK, sandbox.how(browser)))
            else:
                state = State.WARN if detection.executable is not None else State.PROBLEM
                checks.append(Check(browser.name, sandbox.kind, state, sandbox.advice(browser)))
            if sandbox.in_sandbox(browser):
                found, ok = _flatpak_checks(browser, sandbox, config, machine)
                checks.extend(found)
                if ok is not None:
                    installed.append(ok)
    for folder in config.user_data_dirs:
        location = profile_location(Path(folder))
        found, ok = check_manifest(location, config, host, "profile", machine)
        checks.extend(found)
        if ok is not None:
            installed.append(ok)
    if absent:
        checks.append(Check("browsers", "not found", State.NONE, ", ".join(absent)))
    return checks, installed


def _system_manifest_checks(
    browser: Browser, machine: Machine, host: Path, user_works: bool
) -> list[Check]:
    """A system-wide manifest of our name that names another host: the browser reads the
    user's manifest first, so it matters only when the user's does not work (or an
    administrator turned user-level hosts off)."""
    checks: list[Check] = []
    for path in system_locations(browser, machine):
        if not manifests.is_ours(path):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        named = data.get("path")
        if named == str(host) or (isinstance(named, str) and os.access(named, os.X_OK)):
            checks.append(Check(browser.name, "system manifest", State.OK, str(path)))
        else:
            state = State.WARN if user_works else State.PROBLEM
            checks.append(
                Check(
                    browser.name,
                    "system manifest",
                    state,
                    f"{path} names {named}, which does not exist",
                    f"sudo bridgekeeper install --system, or sudo rm {path}",
                )
            )
    return checks


def policy_checks(policy: Policy) -> list[Check]:
    """What the administrator's policy sets, and what is wrong with its file."""
    if not policy.source:
        where = policy_path() or WINDOWS_SOURCE
        return [Check("policy", "none", State.NONE, f"no system policy ({where})")]
    checks: list[Check] = []
    if policy.source == WINDOWS_SOURCE:
        fix = f"ask your administrator to fix it (Group Policy, or regedit: {policy.source})"
    else:
        fix = f"ask your administrator to fix it (as root: sudoedit {policy.source})"
    for problem in policy.problems:
        state = State.PROBLEM if policy.failed_closed else State.WARN
        checks.append(Check("policy", "file", state, problem, fix))
    if not policy.failed_closed:
        checks.append(Check("policy", "file", State.OK, policy.source))
        for ext in policy.allowed_extensions:
            name = neutralise(ext.name, multiline=False)
            named = f" ({name})" if name else ""
            checks.append(Check("policy", "allows", State.OK, f"{ext.family}: {ext.id}{named}"))
        for said in policy.settings():
            if not said.startswith("allows"):
                checks.append(Check("policy", "locks", State.OK, said))
    return checks


def global_checks() -> tuple[list[Check], Settings | None, bool]:
    """Settings readable, extensions allowed, the policy, app running, socket reachable.
    The app not running is said once, quietly: a browser call starts it."""
    checks: list[Check] = []
    config: Settings | None
    managed = policy.load()
    try:
        config = settings.load(managed=managed)
    except settings.SettingsError as error:
        # The app reads it the same way and fails closed: it serves no extension.
        config = None
        checks.append(
            Check(
                "settings",
                "readable",
                State.PROBLEM,
                f"{error}; until then Bridgekeeper serves no extension",
                f"fix or move away {settings.settings_file()}, then "
                "bridgekeeper install --extension ID",
            )
        )
    if config is not None:
        if not config.extensions and managed.allowed_extensions:
            checks.append(Check("settings", "allowed", State.NONE, "none besides the policy's"))
        elif config.extensions:
            for ext in config.extensions:
                # A name may come from the extension's own manifest: shown like its text.
                name = neutralise(ext.name, multiline=False)
                named = f" ({name})" if name else ""
                ident = neutralise(ext.id, multiline=False)
                checks.append(
                    Check("settings", "allowed", State.OK, f"{ext.family}: {ident}{named}")
                )
        else:
            checks.append(
                Check(
                    "settings",
                    "allowed",
                    State.PROBLEM,
                    "no extension is allowed to use Bridgekeeper",
                    "bridgekeeper install --extension ID",
                )
            )
    checks += policy_checks(managed)
    return checks, config, _app_checks(checks)


def _app_checks(checks: list[Check]) -> bool:
    """The socket's folder, the app's lock, and who answers on the socket (SPEC "The local
    socket"): a folder or a socket of another user is named with its fix, and nothing is
    sent to it (rows only when something is wrong); the app not running is said once,
    quietly. True when this user's app answers."""
    try:
        where = transport.socket_path()
        transport.check_private_dir(os.path.dirname(where))
    except transport.SocketPathError as error:
        checks.append(Check("app", "socket folder", State.PROBLEM, error.problem, error.fix))
        checks.append(Check("app", "running", State.SKIP, "see the socket folder above"))
        return False
    running = _running_check(checks)
    # Whether or not the app runs: an impostor listens where its socket belongs.
    if not _owner_check(checks, where) or not running:
        return False
    return _reachable_check(checks, where)


def _running_check(checks: list[Check]) -> bool:
    lock = instance.InstanceLock()
    try:
        running = not lock.acquire()
    except (OSError, transport.SocketPathError) as error:
        checks.append(Check("app", "running", State.PROBLEM, f"cannot check: {error}"))
        return False
    lock.release()
    if running:
        checks.append(Check("app", "running", State.OK, "yes"))
    else:
        checks.append(
            Check("app", "running", State.NONE, "no (the host starts it when a browser calls)")
        )
    return running


def _owner_check(checks: list[Check], where: str) -> bool:
    """False when another user serves the socket (an impostor)."""
    try:
        link = transport.connect(where)
    except transport.ForeignPeer as impostor:
        end = "the process" if impostor.pid is None else f"process {impostor.pid}"
        checks.append(
            Check(
                "app",
                "socket owner",
                State.PROBLEM,
                f"{where} is served by {impostor.who}, not by you: an impostor, not your "
                "Bridgekeeper (nothing was sent to it)",
                f"ask an administrator to end {end} (`sudo kill {impostor.pid or 'PID'}`) "
                f"and remove {where}, then run `bridgekeeper`",
            )
        )
        return False
    except (transport.AppUnavailable, OSError):
        return True  # what the ping says
    if link is not None:
        link.close()
    return True


def _reachable_check(checks: list[Check], where: str) -> bool:
    try:
        answer = instance.control("ping", timeout=0.0)
    except instance.AppUnresponsive as error:
        fix = (
            "resume it: `pkill -CONT -u $USER -x bridgekeeper`; if it still does not answer, "
            "`pkill -KILL -u $USER -x bridgekeeper`, then run `bridgekeeper`"
        )
        checks.append(Check("app", "socket reachable", State.PROBLEM, str(error), fix))
        return False
    except (
        instance.AppNotRunning,
        instance.ControlFailed,
        transport.SocketPathError,
        OSError,
    ) as error:
        fix = "restart Bridgekeeper (quit it from the tray, then run `bridgekeeper`)"
        checks.append(Check("app", "socket reachable", State.PROBLEM, str(error), fix))
        return False
    detail = f"{where} answers (Bridgekeeper {answer.get('version', '?')})"
    checks.append(Check("app", "socket reachable", State.OK, detail))
    return True


def ping_argv(item: Installed) -> list[str] | None:
    """The host's command line as its browser builds it, for the first allowed id."""
    location, manifest = item.location, item.manifest
    ids = manifest.allowed(location.browser.family)
    if not ids:
        return None
    if location.browser.family == CHROMIUM:
        argv = [manifest.path, f"{CHROME_ORIGIN_PREFIX}{ids[0]}/"]
        if sys.platform == "win32":
            argv.append("--parent-window=0")
        return argv
    return [manifest.path, str(location.path), ids[0]]


def ask_host(argv: list[str], frame: bytes) -> tuple[bytes, bytes, int | None]:
    """Run the host as a browser does for one request: its input stays open until the
    reply has come (a host whose input ends gives up within a second, app start or not),
    then closes. The reply frame, what it logged, its exit status."""
    with tempfile.TemporaryFile() as log:
        host = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=str(Path(argv[0]).parent),  # browsers start hosts in the host's folder
        )
        assert host.stdin is not None
        assert host.stdout is not None
        stdout = host.stdout
        reply: list[bytes] = []

        def read_reply() -> None:
            header = stdout.read(FRAME.size)
            body = stdout.read(FRAME.unpack(header)[0]) if len(header) == FRAME.size else b""
            reply.append(header + body)

        reader = threading.Thread(target=read_reply, daemon=True)
        reader.start()
        try:
            with contextlib.suppress(BrokenPipeError):
                host.stdin.write(frame)
                host.stdin.flush()
            reader.join(PING_TIMEOUT)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(argv, PING_TIMEOUT)
        finally:
            with contextlib.suppress(BrokenPipeError):
                host.stdin.close()
            try:
                host.wait(5)
            except subprocess.TimeoutExpired:
                host.kill()
                host.wait()
            reader.join(5)
            stdout.close()
        log.seek(0)
        return (reply[0] if reply else b""), log.read(), host.returncode


def ping(item: Installed, subject: str) -> Check:
    """A real ping through the installed host, started as the browser starts it (a
    Flatpak's host copy is started outside its sandbox, with the same interpreter path).
    The host starts the app when it is not running, as for a browser."""
    argv = ping_argv(item)
    what = "ping, host copy" if item.location.scope == "flatpak" else "ping"
    if argv is None:
        family = item.location.browser.family
        return Check(subject, what, State.SKIP, f"no {family}-family extension to call as")
    if item.location.scope == "flatpak" and not os.access(flatpak.SANDBOX_PYTHON, os.X_OK):
        return Check(subject, what, State.SKIP, f"no {flatpak.SANDBOX_PYTHON} here to run it")
    request = protocol.encode_json({"type": "ping", "id": "doctor"})
    started = time.monotonic()
    try:
        out, err, returncode = ask_host(argv, protocol.browser_frame(request))
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check(subject, what, State.PROBLEM, f"cannot run the host: {error}")
    elapsed = (time.monotonic() - started) * 1000
    fix = f"see `{' '.join(argv[:1])}` output: {err.decode(errors='replace').strip()[:200]}"
    if len(out) < FRAME.size:
        return Check(
            subject, what, State.PROBLEM, f"the host exited ({returncode}) with no reply", fix
        )
    (length,) = FRAME.unpack(out[: FRAME.size])
    try:
        reply = json.loads(out[FRAME.size : FRAME.size + length])
    except ValueError as error:
        return Check(subject, what, State.PROBLEM, f"the host's reply is not JSON: {error}", fix)
    if isinstance(reply, dict) and reply.get("ok") is True:
        result = reply.get("result")
        version = result.get("version", "?") if isinstance(result, dict) else "?"
        return Check(
            subject, what, State.OK, f"pong from Bridgekeeper {version} in {elapsed:.0f} ms"
        )
    failure = reply.get("error") if isinstance(reply, dict) else None
    failure = failure if isinstance(failure, dict) else {}
    code = failure.get("code", "?")
    fix = (
        f"bridgekeeper extensions allow {argv[-1].removeprefix(CHROME_ORIGIN_PREFIX).strip('/')}"
        if code == "untrusted_extension"
        else "the host could not reach or start Bridgekeeper: start it by hand with "
        "`bridgekeeper` to see why, and see its log"
        if code == "app_unavailable"
        else "see the Bridgekeeper log"
    )
    return Check(subject, what, State.PROBLEM, f"{code}: {failure.get('message', reply)}", fix)


def failed(checks: list[Check]) -> int:
    """How many failures ``checks`` print: ``status`` and ``doctor`` exit 1 when any."""
    return sum(check.state is State.PROBLEM for check in checks)


def status(machine: Machine, host: Path) -> list[Check]:
    checks, config, _reachable = global_checks()
    found, _installed = browser_checks(machine, config or Settings(), host)
    return checks + found


def doctor(machine: Machine, host: Path) -> list[Check]:
    """Every check of ``status``, then a ping through each working manifest's host."""
    checks, config, _reachable = global_checks()
    found, installed = browser_checks(machine, config or Settings(), host)
    pings = [ping(item, item.location.subject.split(" ")[0]) for item in installed]
    if not installed and not failed(checks + found):
        pings.append(
            Check(
                "host",
                "ping",
                State.PROBLEM,
                "no browser has a manifest to ping through",
                "bridgekeeper install --browser NAME  (or --user-data-dir DIR)",
            )
        )
    return checks + found + pings


def render(checks: list[Check]) -> str:
    return "\n".join(line for check in checks for line in check.lines())
