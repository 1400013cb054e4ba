"""``bridgekeeper extensions list|allow|remove``: the extensions allowed to use
Bridgekeeper, with their names and browser family. Allowing or removing one rewrites the
manifests already installed, so browsers and the app agree at once."""

from __future__ import annotations

import argparse
import sys

from app.commands.common import Exit, UsageError, fail
from app.integration import manifests
from app.integration.install import Action, current_machine, owned_locations, reason, repair
from app.system import settings
from app.system.extensions import Extension, parse_extension
from app.system.settings import BadExtension, Settings
from host.caller import CHROMIUM


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "extensions",
        help="list, allow or remove the extensions allowed to use Bridgekeeper",
        description="The extensions allowed to use Bridgekeeper (yours and the system "
        "policy's), with their names and browser family. Any other extension is answered "
        "untrusted_extension.",
    )
    parser.set_defaults(command=lambda _args: _usage(parser))
    actions = parser.add_subparsers(title="commands", metavar="COMMAND")
    listing = actions.add_parser("list", help="the allowed extensions")
    listing.set_defaults(command=list_extensions)
    allowing = actions.add_parser(
        "allow",
        help="allow extensions (and update the installed manifests)",
        description="Allow each extension; the manifests already installed are updated. "
        "To register with browsers not registered yet, run `bridgekeeper install`.",
    )
    allowing.add_argument(
        "ids",
        nargs="+",
        metavar="ID[=NAME]",
        help="a Chromium id (32 letters a-p) or chrome-extension://<id>/, or a Firefox "
        "add-on id (name@domain or {GUID}); '=NAME' is the name its prompts show",
    )
    allowing.set_defaults(command=allow)
    removing = actions.add_parser(
        "remove",
        help="stop allowing extensions (and take them out of the manifests)",
        description="Stop allowing each extension: it is removed from the settings and "
        "from every installed manifest. Remembered decisions and secrets stay.",
    )
    removing.add_argument("ids", nargs="+", metavar="ID", help="an extension id, as for allow")
    removing.set_defaults(command=remove)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("bridgekeeper extensions: choose a command: list, allow, remove", file=sys.stderr)
    return Exit.USAGE


def _parse(texts: list[str]) -> list[Extension]:
    try:
        return [parse_extension(text) for text in texts]
    except BadExtension as error:
        raise UsageError(str(error)) from error


def _family(family: str) -> str:
    return "Chromium" if family == CHROMIUM else "Firefox"


def list_extensions(_args: argparse.Namespace) -> int:
    try:
        config = settings.load()
    except settings.SettingsError as error:
        return fail(str(error))
    for problem in config.policy.problems:
        print(f"bridgekeeper: {problem}", file=sys.stderr)
    allowed = config.effective
    if not allowed:
        print("No extension is allowed. Allow one with `bridgekeeper extensions allow ID`.")
        return Exit.OK
    rows = [("NAME", "BROWSER", "ID", "ALLOWED BY")]
    for ext in allowed:
        source = "system policy" if config.is_managed(ext.family, ext.id) else "you"
        rows.append((ext.name or "-", _family(ext.family), ext.id, source))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return Exit.OK


def _save_and_refresh(config: Settings) -> list[Action] | int:
    """Save ``config`` and rewrite the installed manifests; the actions, or an exit code."""
    try:
        settings.save(config)
    except OSError as error:
        where = settings.settings_file()
        return fail(f"cannot save the settings ({reason(error, where)}); nothing was changed")
    try:
        host = manifests.host_path()
    except OSError as error:
        return fail(f"the settings are saved, but the manifests were not updated: {reason(error)}")
    return repair(current_machine(), config, host)


def allow(args: argparse.Namespace) -> int:
    wanted = _parse(args.ids)
    try:
        config = settings.load()
    except settings.SettingsError as error:
        return fail(str(error))
    for ext in wanted:
        if config.allow(ext):
            print(
                f"allowed: {_family(ext.family)} {ext.id}" + (f" ({ext.name})" if ext.name else "")
            )
        else:
            print(f"already allowed: {_family(ext.family)} {ext.id}")
    done = _save_and_refresh(config)
    if isinstance(done, int):
        return done
    for action in done:
        print(action.line())
    families = {ext.family for ext in wanted}
    registered = {loc.browser.family for loc in owned_locations(current_machine(), config)}
    for family in sorted(families - registered):
        print(
            f"No {_family(family)}-family browser is registered yet: run `bridgekeeper install`.",
            file=sys.stderr,
        )
    return Exit.PROBLEM if any(a.what == "failed" for a in done) else Exit.OK


def remove(args: argparse.Namespace) -> int:
    wanted = _parse(args.ids)
    try:
        config = settings.load()
    except settings.SettingsError as error:
        return fail(str(error))
    problems = 0
    for ext in wanted:
        removed = config.remove(ext.family, ext.id)
        if removed is not None:
            print(f"removed: {_family(ext.family)} {ext.id}")
        if config.is_managed(ext.family, ext.id):
            problems += 1
            print(
                f"bridgekeeper: {ext.id} is allowed for everyone by the system policy "
                f"({config.policy.source}); only an administrator can remove it",
                file=sys.stderr,
            )
        elif removed is None:
            problems += 1
            print(f"bridgekeeper: {ext.id} is not allowed; nothing to remove", file=sys.stderr)
    done = _save_and_refresh(config)
    if isinstance(done, int):
        return done
    for action in done:
        print(action.line())
    return Exit.PROBLEM if problems or any(a.what == "failed" for a in done) else Exit.OK
