"""``bridgekeeper install``, ``uninstall``, ``status`` and ``doctor``: registering the host
with browsers and finding out what is wrong. Never imports Qt (the command line stays fast)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import Exit, UsageError
from app.integration import checks, manifests
from app.integration.browsers import BROWSERS, BY_NAME, Browser
from app.integration.install import current_machine, install, repair, uninstall
from app.system import settings
from host.caller import CHROMIUM

NAMES = ", ".join(browser.name for browser in BROWSERS)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    browser_help = f"a browser to act on (repeatable): {NAMES}"
    parser = subparsers.add_parser(
        "install",
        help="register the host with every detected browser (or those named)",
        description="Write the native messaging host manifest for every detected browser "
        "(or those named), allowing the given extensions besides those already allowed.",
    )
    parser.add_argument("--browser", action="append", metavar="NAME", help=browser_help)
    parser.add_argument(
        "--extension",
        action="append",
        metavar="ID[=NAME]",
        help="an extension to allow (repeatable): a Chromium id, chrome-extension://<id>/, "
        "or a Firefox add-on id; '=NAME' gives it the name its prompts show",
    )
    parser.add_argument(
        "--user-data-dir",
        metavar="DIR",
        type=Path,
        help="a Chromium-family profile folder the browser is started with "
        "(--user-data-dir=DIR): writes DIR/NativeMessagingHosts/",
    )
    parser.set_defaults(command=run_install)

    parser = subparsers.add_parser("uninstall", help="remove what install wrote")
    parser.add_argument("--browser", action="append", metavar="NAME", help=browser_help)
    parser.set_defaults(command=run_uninstall)

    parser = subparsers.add_parser(
        "status", help="each browser, its manifest, the app and the allowed extensions"
    )
    parser.set_defaults(command=run_status)

    parser = subparsers.add_parser(
        "doctor", help="every check of status, then a real ping through the installed host"
    )
    parser.set_defaults(command=run_doctor)


def _browsers(names: list[str] | None) -> list[Browser] | None:
    """The named browsers; ``UsageError`` for an unknown name."""
    if not names:
        return None
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise UsageError(f"unknown browser {', '.join(unknown)}; known: {NAMES}")
    return [BY_NAME[name] for name in dict.fromkeys(names)]


def run_install(args: argparse.Namespace) -> int:
    browsers = _browsers(args.browser)
    try:
        extensions = [settings.parse_extension(text) for text in args.extension or []]
    except settings.BadExtension as error:
        print(f"bridgekeeper: {error}", file=sys.stderr)
        return Exit.USAGE
    user_data_dir: Path | None = args.user_data_dir
    if user_data_dir is not None:
        others = [b.name for b in browsers or [] if b.family != CHROMIUM]
        if others:
            print(
                f"bridgekeeper: --user-data-dir is for Chromium-family browsers, not "
                f"{', '.join(others)}",
                file=sys.stderr,
            )
            return Exit.USAGE
        user_data_dir = user_data_dir.expanduser().absolute()
    try:
        config = settings.load()
    except settings.SettingsError as error:
        print(f"bridgekeeper: {error}", file=sys.stderr)
        return Exit.PROBLEM
    changed = False
    for extension in extensions:
        changed |= config.allow(extension)
    if user_data_dir is not None and str(user_data_dir) not in config.user_data_dirs:
        config.user_data_dirs.append(str(user_data_dir))
        changed = True
    if changed:
        settings.save(config)
    machine = current_machine()
    host = manifests.host_path()
    actions = install(machine, config, host, browsers, user_data_dir)
    # Manifests written earlier must allow the new extensions too.
    targeted = {action.path for action in actions}
    actions += [action for action in repair(machine, config, host) if action.path not in targeted]
    for action in actions:
        print(action.line())
    written = [a for a in actions if a.what in ("wrote", "unchanged", "repaired")]
    if not written and browsers is None and user_data_dir is None:
        print(
            "No browser found to register with. Name one with --browser NAME "
            f"({NAMES}) or a profile with --user-data-dir DIR.",
            file=sys.stderr,
        )
        return Exit.PROBLEM
    print(f"host: {host}")
    if config.extensions:
        for ext in config.extensions:
            named = f" ({ext.name})" if ext.name else ""
            print(f"allowed: {ext.family} {ext.id}{named}")
    else:
        print("No extension is allowed yet: add one with --extension ID.", file=sys.stderr)
    return Exit.PROBLEM if any(a.what == "failed" for a in actions) else Exit.OK


def run_uninstall(args: argparse.Namespace) -> int:
    browsers = _browsers(args.browser)
    try:
        config = settings.load()
    except settings.SettingsError as error:
        print(f"bridgekeeper: {error}", file=sys.stderr)
        return Exit.PROBLEM
    before = list(config.user_data_dirs)
    actions = uninstall(current_machine(), config, browsers)
    if config.user_data_dirs != before:
        settings.save(config)
    for action in actions:
        print(action.line())
    if not actions:
        print("Nothing to remove: no manifest of Bridgekeeper's was found.")
    return Exit.PROBLEM if any(a.what == "failed" for a in actions) else Exit.OK


def run_status(_args: argparse.Namespace) -> int:
    print(checks.render(checks.status(current_machine(), _expected_host())))
    return Exit.OK


def run_doctor(_args: argparse.Namespace) -> int:
    found = checks.doctor(current_machine(), _expected_host())
    print(checks.render(found))
    problems = sum(check.state is checks.State.PROBLEM for check in found)
    if problems:
        print(f"\n{problems} problem{'s' if problems > 1 else ''} found; each has its fix above.")
        return Exit.PROBLEM
    print("\nEverything works.")
    return Exit.OK


def _expected_host() -> Path:
    return manifests.expected_host_path()
