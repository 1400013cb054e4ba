"""The folders Bridgekeeper reads and writes: all under ``BRIDGEKEEPER_HOME`` when set,
else the platform's per-user folders (created 0700)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from host import transport

APP_NAME = "bridgekeeper"


def _home() -> Path | None:
    home = os.environ.get("BRIDGEKEEPER_HOME")
    return Path(home).absolute() if home else None


def _private(path: Path) -> Path:
    transport.ensure_private_dir(str(path))
    return path


def config_dir() -> Path:
    home = _home()
    return _private(home / "config" if home else platformdirs.user_config_path(APP_NAME, False))


def data_dir() -> Path:
    home = _home()
    return _private(home / "data" if home else platformdirs.user_data_path(APP_NAME, False))


def log_dir() -> Path:
    home = _home()
    return _private(home / "log" if home else platformdirs.user_log_path(APP_NAME, False))


def runtime_dir() -> Path:
    return _private(Path(transport.runtime_dir()))


def socket_path() -> str:
    return transport.socket_path()
