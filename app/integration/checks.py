"""``status`` and ``doctor``: every check of the integration, one ``Check`` per line, each
problem with what is wrong and the command that fixes it. Doctor adds a real ping through
each installed host, started exactly as its browser starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from app.core.text import neutralise
from app.integration import manifests
from app.integration.browsers import (
    BROWSERS,
    Browser,
    Machine,
    ManifestLocation,
    detect,
    profile_location,
    system_locations,
    user_location,
)
from app.integration.manifests import ManifestProblem, ReadManifest
from app.system import instance, settings
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
    return f"bridgekeeper install --browser {browser.name}"


def check_manifest(
    location: ManifestLocation, config: Settings, host: Path, subject: str, machine: Machine
) -> tuple[list[Check], Installed | None]:
    """Present, valid, path right, host executable, allowed ids right."""
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
    if os.path.normcase(manifest.path) == os.path.normcase(str(host)):
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
    if not expected:
        healthy = False
        checks.append(
            Check(
                subject,
                "allowed ids",
                State.PROBLEM,
                f"no {family}-family extension is allowed",
                "bridgekeeper install --extension ID",
            )
        )
    elif listed == expected:
        checks.append(Check(subject, "allowed ids", State.OK, ", ".join(sorted(listed))))
    else:
        healthy = False
        parts = []
        if expected - listed:
            parts.append("does not allow " + ", ".join(sorted(expected - listed)))
        if listed - expected:
            parts.append("allows " + ", ".join(sorted(listed - expected)) + " (not in settings)")
        checks.append(Check(subject, "allowed ids", State.PROBLEM, "; ".join(parts), fix))
    return checks, Installed(location, manifest) if healthy else None


def _registry_check(location: ManifestLocation, subject: str, fix: str, machine: Machine) -> Check:
    key = f"HKCU\\{location.registry_key}"
    value = None
    if machine.registry is not None and location.registry_key is not None:
        value = machine.registry.get(location.registry_key)
    if value == str(location.path):
        return Check(subject, "registry key", State.OK, key)
    shown = "missing" if value is None else f"points at {value}"
    return Check(subject, "registry key", State.PROBLEM, f"{key} {shown}", fix)


def browser_checks(
    machine: Machine, config: Settings, host: Path
) -> tuple[list[Check], list[Installed]]:
    checks: list[Check] = []
    installed: list[Installed] = []
    for browser in BROWSERS:
        detection = detect(browser, machine)
        location = user_location(browser, machine)
        ours = location is not None and location.path.exists()
        if not detection.found and not ours:
            checks.append(Check(browser.name, "browser found", State.NONE, "not installed"))
            continue
        if detection.executable is not None:
            checks.append(Check(browser.name, "browser found", State.OK, str(detection.executable)))
        elif detection.sandboxes:
            checks.append(
                Check(browser.name, "browser found", State.PROBLEM, "only sandboxed installs")
            )
        else:
            checks.append(
                Check(browser.name, "browser found", State.WARN, "not installed; manifest left")
            )
        for sandbox in detection.sandboxes:
            state = State.WARN if detection.executable is not None else State.PROBLEM
            checks.append(Check(browser.name, sandbox.kind, state, sandbox.advice(browser)))
        if location is None or (detection.executable is None and not ours):
            continue
        found, ok = check_manifest(location, config, host, browser.name, machine)
        checks.extend(found)
        if ok is not None:
            installed.append(ok)
        checks.extend(_system_manifest_checks(browser, machine, host))
    for folder in config.user_data_dirs:
        location = profile_location(Path(folder))
        found, ok = check_manifest(location, config, host, "profile", machine)
        checks.extend(found)
        if ok is not None:
            installed.append(ok)
    return checks, installed


def _system_manifest_checks(browser: Browser, machine: Machine, host: Path) -> list[Check]:
    """A system-wide manifest of our name that names another host shadows ours in Chromium
    (it reads the system folder first) and confuses everyone else."""
    checks: list[Check] = []
    for path in system_locations(browser, machine):
        if not manifests.is_ours(path):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("path") == str(host):
            checks.append(Check(browser.name, "system manifest", State.OK, str(path)))
        else:
            state = State.PROBLEM if browser.family == CHROMIUM else State.WARN
            checks.append(
                Check(
                    browser.name,
                    "system manifest",
                    state,
                    f"{path} names {data.get('path')}; {browser.label} may use it instead",
                    f"sudo rm {path}",
                )
            )
    return checks


def global_checks() -> tuple[list[Check], Settings | None, bool]:
    """Settings readable, extensions allowed, app running, socket reachable."""
    checks: list[Check] = []
    config: Settings | None
    try:
        config = settings.load()
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
        if config.extensions:
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
    lock = instance.InstanceLock()
    try:
        running = not lock.acquire()
    except (OSError, transport.SocketPathError) as error:
        running = False
        checks.append(Check("app", "running", State.PROBLEM, f"cannot check: {error}"))
    else:
        lock.release()
        if running:
            checks.append(Check("app", "running", State.OK, "yes"))
        else:
            checks.append(
                Check(
                    "app",
                    "running",
                    State.PROBLEM,
                    "Bridgekeeper is not running (a browser call would start it)",
                    "bridgekeeper  (start the tray app)",
                )
            )
    reachable = False
    try:
        where = transport.socket_path()
        answer = instance.control("ping", timeout=0.0)
        reachable = True
        detail = f"{where} answers (Bridgekeeper {answer.get('version', '?')})"
    except (
        instance.AppNotRunning,
        instance.ControlFailed,
        transport.SocketPathError,
        OSError,
    ) as error:
        detail = str(error)
    if reachable:
        checks.append(Check("app", "socket reachable", State.OK, detail))
    else:
        fix = "bridgekeeper  (start the tray app)"
        if running:
            fix = "restart Bridgekeeper (quit it from the tray, then run `bridgekeeper`)"
        checks.append(Check("app", "socket reachable", State.PROBLEM, detail, fix))
    return checks, config, reachable


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


def ping(item: Installed, subject: str) -> Check:
    """A real ping through the installed host, started as the browser starts it."""
    argv = ping_argv(item)
    if argv is None:
        return Check(subject, "ping", State.SKIP, "no extension id to call as")
    request = protocol.encode_json({"type": "ping", "id": "doctor"})
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            input=protocol.browser_frame(request),
            capture_output=True,
            timeout=PING_TIMEOUT,
            cwd=str(Path(argv[0]).parent),  # browsers start hosts in the host's folder
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check(subject, "ping", State.PROBLEM, f"cannot run the host: {error}")
    elapsed = (time.monotonic() - started) * 1000
    out = done.stdout
    fix = f"see `{' '.join(argv[:1])}` output: {done.stderr.decode(errors='replace').strip()[:200]}"
    if len(out) < FRAME.size:
        return Check(
            subject,
            "ping",
            State.PROBLEM,
            f"the host exited ({done.returncode}) with no reply",
            fix,
        )
    (length,) = FRAME.unpack(out[: FRAME.size])
    try:
        reply = json.loads(out[FRAME.size : FRAME.size + length])
    except ValueError as error:
        return Check(subject, "ping", State.PROBLEM, f"the host's reply is not JSON: {error}", fix)
    if isinstance(reply, dict) and reply.get("ok") is True:
        version = reply.get("result", {}).get("version", "?")
        return Check(
            subject, "ping", State.OK, f"pong from Bridgekeeper {version} in {elapsed:.0f} ms"
        )
    failure = reply.get("error", {}) if isinstance(reply, dict) else {}
    code = failure.get("code", "?")
    fix = (
        "bridgekeeper install --extension ID"
        if code == "untrusted_extension"
        else "bridgekeeper  (start the tray app), then run doctor again"
        if code == "app_unavailable"
        else "see the Bridgekeeper log"
    )
    return Check(subject, "ping", State.PROBLEM, f"{code}: {failure.get('message', reply)}", fix)


def status(machine: Machine, host: Path) -> list[Check]:
    checks, config, _reachable = global_checks()
    found, _installed = browser_checks(machine, config or Settings(), host)
    return checks + found


def doctor(machine: Machine, host: Path) -> list[Check]:
    checks, config, reachable = global_checks()
    found, installed = browser_checks(machine, config or Settings(), host)
    pings: list[Check] = []
    for item in installed:
        subject = item.location.browser.name if item.location.scope != "profile" else "profile"
        if reachable:
            pings.append(ping(item, subject))
        else:
            pings.append(Check(subject, "ping", State.SKIP, "the app is not reachable (see above)"))
    if not installed:
        pings.append(
            Check(
                "host",
                "ping",
                State.PROBLEM,
                "no browser has a working manifest to ping through",
                "bridgekeeper install",
            )
        )
    return checks + found + pings


def render(checks: list[Check]) -> str:
    return "\n".join(line for check in checks for line in check.lines())
