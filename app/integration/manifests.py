"""The host manifest: which executable browsers start (``host_path``), what the manifest
says (``manifest_for``), and reading one back with a reason for every way it can be wrong."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.files import write_atomically
from app.system import folders
from app.system.extensions import Extension
from host.caller import CHROME_ORIGIN_PREFIX, CHROMIUM
from host.protocol import HOST_NAME

DESCRIPTION = "Bridgekeeper: desktop prompts and OS keychain for browser extensions"
LAUNCHER_NAME = "bridgekeeper-host"
# Linux truncates a shebang line past 255 bytes (127 before 5.1): use the sh wrapper then.
MAX_SHEBANG = 127


def bundled_host() -> Path:
    """The host executable beside the app in a PyInstaller bundle."""
    name = "bridgekeeper-host.exe" if sys.platform == "win32" else "bridgekeeper-host"
    return Path(sys.executable).resolve().parent / name


def host_package_root() -> Path:
    """The folder holding the ``host`` package of this environment."""
    import host

    return Path(host.__file__).resolve().parent.parent


def host_sources() -> Path:
    """The folder of the ``host`` package's source files, which a sandboxed browser's host
    copy is made of: the bundle ships them as data (``host-source/host``), a source
    install has them in place."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "host-source" / "host"
    return host_package_root() / "host"


def launcher_text(interpreter: str, package_root: str) -> str:
    """A launcher that starts the host with this environment's own interpreter.

    ``-SI``: no site-packages (.pth files cost time on every browser call; the host needs
    only the standard library) and isolated from the caller's environment. A shebang
    passes everything after the interpreter as one argument, hence ``-SI`` not ``-S -I``.
    """
    code = f"import sys; sys.path.insert(0, {package_root!r}); from host.relay import main; "
    code += "sys.exit(main())"
    shebang = f"#!{interpreter} -SI"
    if " " not in interpreter and "\t" not in interpreter and len(shebang) <= MAX_SHEBANG:
        return f"{shebang}\n{code.replace('; ', chr(10))}\n"
    # An interpreter path with spaces cannot be a shebang: let sh exec it.
    return f'#!/bin/sh\nexec {shlex.quote(interpreter)} -SI -c {shlex.quote(code)} "$@"\n'


def windows_launcher_text(interpreter: str, package_root: str) -> str:
    """Windows browsers start a manifest's ``path`` through cmd for a .bat file."""
    code = (
        f"import sys; sys.path.insert(0, {package_root!r}); from host.relay import main; "
        "sys.exit(main())"
    )
    return f'@"{interpreter}" -SI -c "{code}" %*\r\n'


def ensure_launcher(folder: Path | None = None) -> Path:
    """Write (or refresh) the development launcher in the data folder; its path."""
    folder = folder or folders.data_dir()
    interpreter = sys.executable
    root = str(host_package_root())
    if sys.platform == "win32":
        target = folder / f"{LAUNCHER_NAME}.bat"
        text = windows_launcher_text(interpreter, root)
    else:
        target = folder / LAUNCHER_NAME
        text = launcher_text(interpreter, root)
    try:
        current = target.read_text(encoding="utf-8")
    except OSError:
        current = ""
    if current != text or not os.access(target, os.X_OK):
        write_atomically(target, text.encode("utf-8"), mode=0o755)
    return target


def expected_host_path() -> Path:
    """What ``host_path`` returns, without writing the launcher (for status and doctor)."""
    if getattr(sys, "frozen", False):
        return bundled_host()
    name = f"{LAUNCHER_NAME}.bat" if sys.platform == "win32" else LAUNCHER_NAME
    return folders.data_dir() / name


def host_path() -> Path:
    """The executable the manifests name: the bundled host, or the development launcher."""
    if getattr(sys, "frozen", False):
        return bundled_host()
    return ensure_launcher()


def manifest_for(family: str, host: Path, extensions: list[Extension]) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "name": HOST_NAME,
        "description": DESCRIPTION,
        "path": str(host),
        "type": "stdio",
    }
    if family == CHROMIUM:
        manifest["allowed_origins"] = [ext.origin for ext in extensions]
    else:
        manifest["allowed_extensions"] = [ext.id for ext in extensions]
    return manifest


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2) + "\n"


class ManifestProblem(Exception):
    """A manifest that exists but is not one a browser would accept from us."""


@dataclass(frozen=True)
class ReadManifest:
    data: dict[str, Any]

    @property
    def path(self) -> str:
        return str(self.data.get("path", ""))

    def allowed(self, family: str) -> list[str]:
        """Extension ids the manifest allows."""
        key = "allowed_origins" if family == CHROMIUM else "allowed_extensions"
        items = self.data.get(key)
        if not isinstance(items, list):
            return []
        prefix = CHROME_ORIGIN_PREFIX
        return [
            str(item)[len(prefix) :].rstrip("/") if str(item).startswith(prefix) else str(item)
            for item in items
        ]


def read_manifest(path: Path, family: str) -> ReadManifest | None:
    """The manifest at ``path``; None when absent; ``ManifestProblem`` when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestProblem(f"cannot read it: {error}") from error
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ManifestProblem(f"not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ManifestProblem("not a JSON object")
    if data.get("name") != HOST_NAME:
        raise ManifestProblem(f"its name is {data.get('name')!r}, not {HOST_NAME!r}")
    if data.get("type") != "stdio":
        raise ManifestProblem(f"its type is {data.get('type')!r}, not 'stdio'")
    key = "allowed_origins" if family == CHROMIUM else "allowed_extensions"
    if not isinstance(data.get(key), list):
        raise ManifestProblem(f"it has no {key} list (the {family} family needs one)")
    host = data.get("path")
    if not isinstance(host, str) or not os.path.isabs(host):
        raise ManifestProblem(f"its path {host!r} is not absolute")
    return ReadManifest(data)


def is_ours(path: Path) -> bool:
    """True when ``path`` is a manifest for our host name (whatever else is wrong in it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("name") == HOST_NAME
