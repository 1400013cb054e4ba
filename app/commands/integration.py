"""``bridgekeeper install``, ``uninstall``, ``status`` and ``doctor``: registering the host
with browsers (per user, or system-wide as root) and finding out what is wrong. Never
imports Qt (the command line stays fast)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.commands.common import Exit, UsageError, fail
from app.integration import checks, manifests
from app.integration.browsers import BROWSERS, WINDOWS, Browser, Machine, lookup
from app.integration.install import (
    Action,
    current_machine,
    install,
    install_system,
    reason,
    repair,
    uninstall,
    uninstall_system,
)
from app.system import instance, policy, settings
from app.system.registry import WindowsRegistry
from app.system.settings import Settings
from host import transport
from host.caller import CHROMIUM

NAMES = ", ".join(browser.name for browser in BROWSERS)
BROWSER_HELP = (
    f"a browser to act on (repeatable): {NAMES}; the names people type work too "
    "(google-chrome, microsoft-edge, brave-browser, ...), in any case"
)
SYSTEM_HELP = (
    "as root: every supported browser's system-wide place (Windows: HKLM), for every user, "
    "allowing the extensions the system policy allows"
)
ROOT_HELP = "with --system: write under DIR as if it were / (a package's staging root)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "install",
        help="register the host with every detected browser (or those named)",
        description="Write the native messaging host manifest for every detected browser "
        "(or those named), allowing the given extensions besides those already allowed. "
        "A Flatpak browser gets its manifest and a copy of the host inside its own folder; "
        "Snap Firefox is served through the desktop's WebExtensions portal.",
    )
    parser.add_argument("--browser", action="append", metavar="NAME", help=BROWSER_HELP)
    parser.add_argument(
        "--extension",
        action="append",
        metavar="ID[=NAME]",
        help="an extension to allow (repeatable): a Chromium id (32 letters a-p), "
        "chrome-extension://<id>/, or a Firefox add-on id (name@domain or {GUID}); "
        "'=NAME' gives it the name its prompts show",
    )
    parser.add_argument(
        "--user-data-dir",
        metavar="DIR",
        type=Path,
        help="an existing Chromium-family profile folder the browser is started with "
        "(--user-data-dir=DIR): writes DIR/NativeMessagingHosts/",
    )
    parser.add_argument("--system", action="store_true", help=SYSTEM_HELP)
    parser.add_argument("--root", metavar="DIR", type=Path, help=ROOT_HELP)
    parser.set_defaults(command=run_install)

    parser = subparsers.add_parser(
        "uninstall",
        help="remove what install wrote",
        description="Remove the manifests (and the host copies in Flatpak browsers' "
        "folders) that `bridgekeeper install` wrote, for every browser or those named; "
        "files of other programs stay. Allowed extensions and settings are kept.",
    )
    parser.add_argument("--browser", action="append", metavar="NAME", help=BROWSER_HELP)
    parser.add_argument(
        "--system", action="store_true", help="as root: remove what install --system wrote"
    )
    parser.add_argument("--root", metavar="DIR", type=Path, help=ROOT_HELP)
    parser.set_defaults(command=run_uninstall)

    parser = subparsers.add_parser(
        "status",
        help="each browser, its manifest, the app, the policy and the allowed extensions",
        description="Each browser found and which manifest serves it, the app, the system "
        "policy and the allowed extensions. Exits 1 when it prints a failure.",
    )
    parser.set_defaults(command=run_status)

    parser = subparsers.add_parser(
        "doctor",
        help="every check of status, then a real ping through the installed host",
        description="Every check of status, then a real ping through each installed host, "
        "started as its browser starts it (which starts the app if it is not running). "
        "Each problem comes with the command that fixes it; exits 1 when there is one.",
    )
    parser.set_defaults(command=run_doctor)


def browsers_named(names: list[str] | None) -> list[Browser] | None:
    """The named browsers; ``UsageError`` for an unknown name."""
    if not names:
        return None
    found = {name: lookup(name) for name in names}
    unknown = [name for name, browser in found.items() if browser is None]
    if unknown:
        raise UsageError(f"unknown browser {', '.join(unknown)}; known: {NAMES}")
    return list(dict.fromkeys(browser for browser in found.values() if browser is not None))


def _is_root() -> bool:
    return not hasattr(os, "geteuid") or os.geteuid() == 0


def _check_system_usage(args: argparse.Namespace) -> None:
    if args.root is not None and not args.system:
        raise UsageError("--root goes with --system")
    if not args.system:
        return
    if getattr(args, "extension", None) or getattr(args, "user_data_dir", None):
        raise UsageError(
            "--system allows what the system policy allows: list extensions in its "
            f'"allowed_extensions" ({policy.policy_path() or "the policy"}), not --extension; '
            "--user-data-dir is per user"
        )


def run_install(args: argparse.Namespace) -> int:
    browsers = browsers_named(args.browser)
    _check_system_usage(args)
    if args.system:
        return _install_system(args, browsers)
    try:
        extensions = [settings.parse_extension(text) for text in args.extension or []]
    except settings.BadExtension as error:
        raise UsageError(str(error)) from error
    user_data_dir: Path | None = args.user_data_dir
    if user_data_dir is not None:
        others = [b.name for b in browsers or [] if b.family != CHROMIUM]
        if others:
            raise UsageError(
                f"--user-data-dir is for Chromium-family browsers, not {', '.join(others)}"
            )
        user_data_dir = user_data_dir.expanduser().absolute()
        if not user_data_dir.is_dir():
            raise UsageError(
                f"--user-data-dir {user_data_dir} is not a folder: give the profile folder "
                "the browser is started with (start it once with --user-data-dir so it "
                "creates it), then run this again"
            )
    try:
        config = settings.load()
    except settings.SettingsError as error:
        return fail(str(error))
    changed = False
    for extension in extensions:
        changed |= config.allow(extension)
    if user_data_dir is not None and str(user_data_dir) not in config.user_data_dirs:
        config.user_data_dirs.append(str(user_data_dir))
        changed = True
    try:
        if changed:
            settings.save(config)
    except OSError as error:
        where = settings.settings_file()
        return fail(f"cannot save the settings ({reason(error, where)}); nothing was changed")
    try:
        host = manifests.host_path()
    except OSError as error:
        where = manifests.expected_host_path()
        return fail(f"cannot write the host launcher ({reason(error, where)}); nothing registered")
    machine = current_machine()
    actions = install(machine, config, host, browsers, user_data_dir)
    # Manifests written earlier must allow the new extensions too.
    targeted = {action.path for action in actions}
    actions += [action for action in repair(machine, config, host) if action.path not in targeted]
    actions += tell_the_app(actions)
    for action in actions:
        print(action.line())
    written = [a for a in actions if a.what in ("wrote", "unchanged", "repaired")]
    if not written and browsers is None and user_data_dir is None:
        if any(a.what == "failed" for a in actions):
            return Exit.PROBLEM
        print(
            "No browser found to register with. Name one with --browser NAME "
            f"({NAMES}) or a profile with --user-data-dir DIR.",
            file=sys.stderr,
        )
        return Exit.PROBLEM
    print(f"host: {host}")
    _print_allowed(config)
    return Exit.PROBLEM if any(a.what == "failed" for a in actions) else Exit.OK


def _print_allowed(config: Settings) -> None:
    for problem in config.policy.problems:
        print(f"bridgekeeper: note: {problem}", file=sys.stderr)
    allowed = config.effective
    for ext in allowed:
        named = f" ({ext.name})" if ext.name else ""
        source = "  [system policy]" if config.is_managed(ext.family, ext.id) else ""
        print(f"allowed: {ext.family} {ext.id}{named}{source}")
    if not allowed:
        print("No extension is allowed yet: add one with --extension ID.", file=sys.stderr)


def system_machine(root: Path) -> Machine:
    """The machine as ``--system`` sees it: its system folders under ``root``, HKLM."""
    here = Machine.current()
    if here.platform != WINDOWS:
        return Machine(here.platform, here.home, here.environ, root)
    program_files = Path(here.environ.get("ProgramFiles", r"C:\Program Files"))
    return Machine(
        WINDOWS,
        here.home,
        here.environ,
        root,
        WindowsRegistry("HKLM"),
        program_files / "Bridgekeeper" / "NativeMessagingHosts",
    )


def system_host(root: Path) -> Path:
    """The host system manifests name, as seen from the installed system (``root``
    stripped): the bundle's, or a launcher for this environment in /usr/local/lib."""
    if getattr(sys, "frozen", False):
        host = manifests.bundled_host()
    else:
        host = manifests.ensure_launcher(_mkdirs(root / "usr/local/lib/bridgekeeper"))
    if root != Path("/") and host.is_relative_to(root):
        return Path("/") / host.relative_to(root)
    return host


def _mkdirs(folder: Path) -> Path:
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    return folder


def _as_root(verb: str) -> int | None:
    if _is_root():
        return None
    return fail(
        f"{verb} --system writes the system-wide folders every user's browsers read: run it "
        f"as root (sudo bridgekeeper {verb} --system)"
    )


def _install_system(args: argparse.Namespace, browsers: list[Browser] | None) -> int:
    refused = _as_root("install")
    if refused is not None:
        return refused
    root = (args.root or Path("/")).absolute()
    managed = policy.load(root=root)
    if managed.failed_closed:
        for problem in managed.problems:
            print(f"bridgekeeper: {problem}", file=sys.stderr)
        return fail("nothing was written; fix the policy file, then run this again")
    for problem in managed.problems:
        print(f"bridgekeeper: note: {problem}", file=sys.stderr)
    try:
        host = system_host(root)
    except OSError as error:
        return fail(f"cannot write the host launcher ({reason(error)}); nothing registered")
    config = Settings(policy=managed)
    actions = install_system(system_machine(root), config, host, browsers)
    for action in actions:
        print(action.line())
    print(f"host: {host}")
    if managed.allowed_extensions:
        for ext in managed.allowed_extensions:
            named = f" ({ext.name})" if ext.name else ""
            print(f"allowed: {ext.family} {ext.id}{named}")
    else:
        where = managed.source or policy.policy_path(root=root) or "the system policy"
        print(
            f"The system policy allows no extension, so these manifests allow none: list "
            f'extensions in "allowed_extensions" of {where}, then run this again.',
            file=sys.stderr,
        )
    return Exit.PROBLEM if any(a.what == "failed" for a in actions) else Exit.OK


def run_uninstall(args: argparse.Namespace) -> int:
    browsers = browsers_named(args.browser)
    _check_system_usage(args)
    if args.system:
        refused = _as_root("uninstall")
        if refused is not None:
            return refused
        root = (args.root or Path("/")).absolute()
        return _report(uninstall_system(system_machine(root), browsers))
    try:
        config = settings.load()
    except settings.SettingsError as error:
        return fail(str(error))
    before = list(config.user_data_dirs)
    actions = uninstall(current_machine(), config, browsers)
    if config.user_data_dirs != before:
        try:
            settings.save(config)
        except OSError as error:
            actions.append(Action("settings", "failed", reason(error)))
    return _report(actions + [a for a in tell_the_app(actions) if a.what == "failed"])


def tell_the_app(actions: list[Action]) -> list[Action]:
    """Have the running app listen for the Flatpak browsers now served (and no longer for
    those removed): a browser in a Flatpak reaches the app only through a socket in its
    sandbox, and cannot start it. What the app listens for, and what it cannot serve."""
    flatpaks = [a for a in actions if a.path is not None and "in its Flatpak" in a.detail]
    lock = instance.InstanceLock()
    try:
        running = not lock.acquire()
    except (OSError, transport.SocketPathError):
        running = False
    lock.release()
    if not running:
        if any(a.what in ("wrote", "unchanged", "repaired") for a in flatpaks):
            print(
                "bridgekeeper: note: Bridgekeeper is not running. A browser in a Flatpak "
                "cannot start it: start it (it then listens for these browsers), and turn on "
                "Start at login in its tray menu.",
                file=sys.stderr,
            )
        return []
    try:
        answer = instance.control("flatpaks", timeout=5.0)
    except (instance.AppNotRunning, instance.ControlFailed, OSError) as error:
        if flatpaks:
            return [Action("app", "failed", f"could not tell Bridgekeeper: {error}")]
        return []
    listening = answer.get("listening")
    problems = answer.get("problems")
    told: list[Action] = []
    for app_id, path in listening.items() if isinstance(listening, dict) else ():
        told.append(Action(_flatpak_name(app_id), "listening", f"for its Flatpak: {path}"))
    for app_id, problem in problems.items() if isinstance(problems, dict) else ():
        told.append(
            Action(_flatpak_name(app_id), "failed", f"cannot listen for its Flatpak: {problem}")
        )
    return told


def _flatpak_name(app_id: object) -> str:
    """The browser whose Flatpak is ``app_id`` (the id itself when none is)."""
    for browser in BROWSERS:
        if browser.linux is not None and browser.linux.flatpak == app_id:
            return browser.name
    return str(app_id)[:100]


def _report(actions: list[Action]) -> int:
    for action in actions:
        print(action.line())
    if not actions:
        print("Nothing to remove: no manifest of Bridgekeeper's was found.")
    return Exit.PROBLEM if any(a.what == "failed" for a in actions) else Exit.OK


def run_status(_args: argparse.Namespace) -> int:
    found = checks.status(current_machine(), _expected_host())
    print(checks.render(found))
    return Exit.PROBLEM if checks.failed(found) else Exit.OK


def run_doctor(_args: argparse.Namespace) -> int:
    found = checks.doctor(current_machine(), _expected_host())
    print(checks.render(found))
    problems = checks.failed(found)
    if problems:
        print(f"\n{problems} problem{'s' if problems > 1 else ''} found; each has its fix above.")
        return Exit.PROBLEM
    print("\nEverything works.")
    return Exit.OK


def _expected_host() -> Path:
    return manifests.expected_host_path()
