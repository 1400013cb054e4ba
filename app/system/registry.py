"""The Windows registry, the one way the app reads and writes it: string values of keys
under ``HKEY_CURRENT_USER`` (or ``HKEY_LOCAL_MACHINE``). Browsers find native messaging
manifests through a key's default value; start at login is a named value of the Run key.

64-bit Windows keeps two views of ``HKEY_LOCAL_MACHINE\\SOFTWARE``: the 64-bit one and the
32-bit one (stored under ``WOW6432Node``). ``view`` picks one explicitly
(``KEY_WOW64_64KEY`` / ``KEY_WOW64_32KEY``), as browsers do when they read. Under
``HKEY_CURRENT_USER\\Software`` both views are the same keys ("Registry Keys Affected by
WOW64": the key is shared).

``Registry`` is what the rest of the app uses; ``WindowsRegistry`` is the real one (only
on Windows); tests pass a fake.
"""

from __future__ import annotations

import sys
from typing import Literal, Protocol

Hive = Literal["HKCU", "HKLM"]
View = Literal[32, 64]
HIVE_NAMES = {"HKCU": "HKEY_CURRENT_USER", "HKLM": "HKEY_LOCAL_MACHINE"}
NOT_WINDOWS = "the Windows registry exists only on Windows"


class Registry(Protocol):
    """String values of registry keys (``name`` "" is the key's default value)."""

    def get(self, key: str, name: str = "") -> str | None:
        """The value, or None when the key or the value does not exist."""

    def set(self, key: str, value: str, name: str = "") -> None:
        """Create the key when needed and set the value (``OSError`` when refused)."""

    def delete(self, key: str, name: str = "") -> None:
        """Delete the value ``name``, or for "" the key itself; absent is not an error."""


class WindowsRegistry:
    """The real registry through ``winreg``, in one hive and one view. Elsewhere every
    call raises ``OSError``."""

    def __init__(self, hive: Hive = "HKCU", view: View = 64) -> None:
        self.hive = hive
        self.view = view

    def get(self, key: str, name: str = "") -> str | None:
        if sys.platform != "win32":
            raise OSError(NOT_WINDOWS)
        import winreg

        try:
            with winreg.OpenKey(_root(self.hive), key, 0, winreg.KEY_READ | self._flag()) as handle:
                value, _kind = winreg.QueryValueEx(handle, name)  # "": the default value
        except OSError:
            return None
        return str(value)

    def set(self, key: str, value: str, name: str = "") -> None:
        if sys.platform != "win32":
            raise OSError(NOT_WINDOWS)
        import winreg

        with winreg.CreateKeyEx(
            _root(self.hive), key, 0, winreg.KEY_WRITE | self._flag()
        ) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str = "") -> None:
        if sys.platform != "win32":
            raise OSError(NOT_WINDOWS)
        import winreg

        try:
            if name:
                with winreg.OpenKey(
                    _root(self.hive), key, 0, winreg.KEY_SET_VALUE | self._flag()
                ) as handle:
                    winreg.DeleteValue(handle, name)
            else:
                winreg.DeleteKeyEx(_root(self.hive), key, self._flag(), 0)
        except FileNotFoundError:
            pass

    def _flag(self) -> int:
        if sys.platform != "win32":
            raise OSError(NOT_WINDOWS)
        import winreg

        return winreg.KEY_WOW64_32KEY if self.view == 32 else winreg.KEY_WOW64_64KEY


def _root(hive: Hive) -> int:
    if sys.platform != "win32":
        raise OSError(NOT_WINDOWS)
    import winreg

    return winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
