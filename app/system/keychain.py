"""The OS keychain through ``keyring``: one service per caller, every failure turned into
``KeychainUnavailable`` with a message that tells the user what to do.

Calls here block (D-Bus round trips, an unlock prompt): run them off the GUI thread.
Secret values never reach a log line or an exception message. ``keyring`` is imported at
the first call, in the worker (it and its backends' discovery cost tens of milliseconds
that the app's start need not wait for).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from app.core.handlers.secrets import KeychainUnavailable, service_for
from host.caller import Caller

if TYPE_CHECKING:
    import keyring.backend

log = logging.getLogger(__name__)

NO_BACKEND_MESSAGE = (
    "No system keychain is available to Bridgekeeper. On Linux, run a Secret Service "
    "provider in your desktop session (GNOME Keyring, KDE Wallet with Secret Service "
    "support, or KeePassXC with Secret Service integration enabled), then try again."
)
LOCKED_MESSAGE = (
    "The system keychain is locked and was not unlocked (the unlock prompt was dismissed "
    "or could not be shown). Unlock your keychain, for example by opening your keyring "
    "manager, then try again."
)
UNREACHABLE_MESSAGE = (
    "Bridgekeeper could not use the system keychain ({kind}). Check that your keychain "
    "service is running and unlocked, then try again; Bridgekeeper's log has the details."
)
PLAINTEXT_MESSAGE = (
    "The keyring backend in use ({backend}) does not keep secrets in a real keychain; "
    "Bridgekeeper will not use it. Remove the keyring configuration that selects it "
    "(PYTHON_KEYRING_BACKEND or keyringrc.cfg) so the system keychain is used."
)
ALT_INSTALLED = (
    " If no configuration names it, keyrings.alt took over by being installed: uninstall "
    "it (pip uninstall keyrings.alt) and check that the system keychain service runs."
)

# Backends that keep nothing (null), fail everything (fail), or store plain or weakly
# protected files (keyrings.alt): a secret given to them would be lost or exposed.
_REFUSED_MODULES = ("keyring.backends.null", "keyring.backends.fail", "keyrings.alt")


class Keychain:
    """get/set/delete of one caller's secrets in the keyring backend.

    ``backend`` is resolved on first use (in the worker thread: discovery talks to D-Bus)
    unless one is given."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend
        self._lock = threading.Lock()

    def get(self, caller: Caller, name: str) -> str | None:
        """The secret ``name`` of ``caller``, or None when there is none."""
        service = service_for(caller)
        backend = self._resolve()
        try:
            value = backend.get_password(service, name)
        except Exception as error:
            raise _unavailable(error, "get", service) from None
        return value if isinstance(value, str) else None

    def set(self, caller: Caller, name: str, value: str) -> None:
        """Store ``value`` as the secret ``name`` of ``caller``, replacing any earlier one."""
        service = service_for(caller)
        backend = self._resolve()
        try:
            backend.set_password(service, name, value)
        except Exception as error:
            raise _unavailable(error, "set", service, value) from None

    def delete(self, caller: Caller, name: str) -> bool:
        """Delete the secret ``name`` of ``caller``; False when there was none."""
        service = service_for(caller)
        backend = self._resolve()
        import keyring.errors  # imported by _resolve: a look-up in sys.modules

        try:
            backend.delete_password(service, name)
        except keyring.errors.PasswordDeleteError as delete_error:
            # Backends raise this both for "no such item" and for real failures; only a
            # look-up tells them apart.
            try:
                still_there = backend.get_password(service, name) is not None
            except Exception as error:
                raise _unavailable(error, "delete", service) from None
            if still_there:
                raise _unavailable(delete_error, "delete", service) from None
            return False
        except Exception as error:
            raise _unavailable(error, "delete", service) from None
        return True

    def backend_name(self) -> str:
        """The backend in use, for logs and diagnostics."""
        return _describe(self._resolve())

    def _resolve(self) -> keyring.backend.KeyringBackend:
        with self._lock:
            if self._backend is None:
                try:
                    import keyring

                    self._backend = keyring.get_keyring()
                except Exception as error:
                    raise _unavailable(error, "open", "") from None
                log.info("keychain backend: %s", _describe(self._backend))
            backend = self._backend
        refused = _refused_backend(backend)
        if refused:
            log.warning("keychain unavailable: the keyring backend is %s", _describe(backend))
        if refused == "keyring.backends.fail":
            raise KeychainUnavailable(NO_BACKEND_MESSAGE)
        if refused:
            message = PLAINTEXT_MESSAGE.format(backend=_describe(backend))
            raise KeychainUnavailable(
                message + ALT_INSTALLED if refused == "keyrings.alt" else message
            )
        return backend


def _refused_backend(backend: keyring.backend.KeyringBackend) -> str:
    """The refused module among ``backend`` (or the ones it chains), or ""."""
    chained = getattr(backend, "backends", None)
    if isinstance(chained, list | tuple) and chained:
        # A chain is usable when at least one member is; keyring tries them in order.
        members = [_refused_backend(member) for member in chained]
        return "" if "" in members else members[0]
    module = type(backend).__module__
    for refused in _REFUSED_MODULES:
        if module == refused or module.startswith(refused + "."):
            return refused
    return ""


def _describe(backend: keyring.backend.KeyringBackend) -> str:
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    chained = getattr(backend, "backends", None)
    if isinstance(chained, list | tuple):
        name += f"({', '.join(_describe(member) for member in chained)})"
    return name


def _unavailable(
    error: Exception, operation: str, service: str, value: str | None = None
) -> KeychainUnavailable:
    """The user-facing error for ``error``; the log gets its kind and a redacted text.

    No traceback is logged: a frame's text could show the value being stored."""
    import keyring.errors

    detail = _redact(str(error), value)
    log.warning(
        "keychain %s failed for %s: %s: %s",
        operation,
        service or "the backend",
        type(error).__name__,
        detail,
    )
    if isinstance(error, keyring.errors.NoKeyringError):
        return KeychainUnavailable(NO_BACKEND_MESSAGE)
    if isinstance(error, keyring.errors.KeyringLocked) or _is_locked(error):
        return KeychainUnavailable(LOCKED_MESSAGE)
    return KeychainUnavailable(UNREACHABLE_MESSAGE.format(kind=_kind(error)))


def _is_locked(error: Exception) -> bool:
    kinds = {cls.__name__ for cls in type(error).__mro__}
    return bool(kinds & {"LockedException", "PromptDismissedException"})


def _kind(error: Exception) -> str:
    """A short, value-free description of ``error`` for the user."""
    import keyring.errors

    kinds = {cls.__name__ for cls in type(error).__mro__}
    if kinds & {"SecretServiceNotAvailableException", "DBusErrorResponse", "DBusException"}:
        return "the Secret Service did not answer over D-Bus"
    if isinstance(error, keyring.errors.InitError):
        return "the keychain could not be opened"
    if isinstance(error, keyring.errors.PasswordSetError):
        return "the keychain refused to store the secret"
    if isinstance(error, keyring.errors.PasswordDeleteError):
        return "the keychain refused to delete the secret"
    if isinstance(error, OSError):
        return "the keychain service could not be reached"
    return f"unexpected {type(error).__name__}"


def _redact(text: str, value: str | None) -> str:
    # A failed store may echo (part of) what it was given: keep only the kind then.
    if value is not None:
        return "(text withheld: the call carried a secret value)"
    return text[:500]
