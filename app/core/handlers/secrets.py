"""The ``secret.get`` / ``secret.set`` / ``secret.delete`` requests: validation, the user's
confirmation through the prompt queue, then the keychain call in a worker.

Plain Python, no widgets. The keychain is always the caller's own service
(``service_for``); the name only picks an item inside it. Values never go into a log
line, the Activity list, a dialog or an error message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from app.core.blocking import BlockingRunner, BlockingTimeout
from app.core.dispatch import BadRequest, Dispatcher, Request
from app.core.fields import check_names
from app.core.handlers.prompts import TITLE_MAX
from app.core.queue import Outcome, PromptQueue
from host import protocol
from host.caller import FAMILIES, Caller

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,100}")
VALUE_MAX = 65_536
"""Characters (SPEC: 64 KiB)."""
KEYCHAIN_TIMEOUT = 120.0
"""Seconds a keychain call may take, an unlock prompt included, before the request is
answered ``keyring_unavailable``."""
CONFIRM_TIMEOUT = 60.0

_VERBS: dict[str, str] = {
    "secret.get": "read",
    "secret.set": "store",
    "secret.delete": "delete",
}
_EXPLANATIONS: dict[str, str] = {
    "secret.get": (
        "If you allow, the extension receives the value kept under this name in your "
        "system keychain. It can only ever reach its own secrets."
    ),
    "secret.set": (
        "If you allow, the value the extension sent is saved in your system keychain under "
        "this name, replacing any value kept there. It can only ever reach its own secrets."
    ),
    "secret.delete": (
        "If you allow, the value kept under this name in your system keychain is deleted "
        "for good. It can only ever reach its own secrets."
    ),
}


SERVICE_PREFIX = "bridgekeeper"


class KeychainError(Exception):
    """A keychain operation could not be done."""


class KeychainUnavailable(KeychainError):
    """The keychain cannot be used now; the message says what the user can do."""


class NoIdentity(KeychainError):
    """The caller has no extension id, so it has no service of its own."""


def service_for(caller: Caller) -> str:
    """The keyring service of ``caller``: ``bridgekeeper:<browser family>:<extension id>``.

    It comes from the host's identity only; the secret name is the keyring "username",
    so no name an extension sends can reach another service."""
    if not caller.extension or caller.family not in FAMILIES:
        raise NoIdentity(
            "secrets need an identified extension; this request came without a "
            "browser-given extension id"
        )
    return f"{SERVICE_PREFIX}:{caller.family}:{caller.extension}"


class SecretStore(Protocol):
    """The keychain as the handlers see it (``app.system.keychain.Keychain``). Blocking;
    failures raise ``KeychainUnavailable``."""

    def get(self, caller: Caller, name: str) -> str | None: ...

    def set(self, caller: Caller, name: str, value: str) -> None: ...

    def delete(self, caller: Caller, name: str) -> bool: ...


# -- validation ---------------------------------------------------------------------------


def _name(message: dict[str, Any]) -> str:
    name = message.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise BadRequest("field 'name' is required and must match [A-Za-z0-9._-]{1,100}")
    return name


def validate_get(message: dict[str, Any]) -> dict[str, Any]:
    check_names(message, {"name"})
    return {"name": _name(message)}


validate_delete = validate_get


def validate_set(message: dict[str, Any]) -> dict[str, Any]:
    check_names(message, {"name", "value"})
    name = _name(message)
    value = message.get("value")
    # The message names the limit, never the value.
    if not isinstance(value, str):
        raise BadRequest("field 'value' is required and must be a string")
    if len(value) > VALUE_MAX:
        raise BadRequest(
            f"field 'value' is {len(value):,} characters; at most {VALUE_MAX:,} are allowed"
        )
    return {"name": name, "value": value}


VALIDATORS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "secret.get": validate_get,
    "secret.set": validate_set,
    "secret.delete": validate_delete,
}


# -- handlers -----------------------------------------------------------------------------


def dialog_title(operation: str, who: str, name: str) -> str:
    """``<extension> wants to read the secret "<name>"``, the extension's label cut so the
    whole title fits the dialog's limit."""
    tail = f' wants to {_VERBS[operation]} the secret "{name}"'
    room = TITLE_MAX - len(tail)
    if len(who) > room:
        who = who[: room - 1] + "…"
    return who + tail


class SecretHandlers:
    """The three handlers; each confirms through ``queue`` and then calls ``store`` through
    ``runner``."""

    def __init__(
        self,
        queue: PromptQueue,
        store: SecretStore,
        runner: BlockingRunner,
        names: Callable[[Caller], str] = lambda _caller: "",
        keychain_timeout: float = KEYCHAIN_TIMEOUT,
    ) -> None:
        self._queue = queue
        self._store = store
        self._runner = runner
        self._names = names
        self._keychain_timeout = keychain_timeout

    def register(self, dispatcher: Dispatcher) -> None:
        for type_, validate in VALIDATORS.items():
            dispatcher.register(type_, validate, self.handle)

    def handle(self, request: Request) -> None:
        caller = request.caller
        try:
            service_for(caller)
        except NoIdentity as error:
            request.reply_error(protocol.UNTRUSTED_EXTENSION, str(error))
            return
        name: str = request.fields["name"]
        self._queue.confirm(
            request,
            lambda outcome: self._decided(request, outcome),
            title=dialog_title(request.type, self._who(caller), name),
            message=_EXPLANATIONS[request.type],
            type=request.type,
            action=name,
            # No ``danger``: the dialog words it as the extension's own warning.
            timeout=CONFIRM_TIMEOUT,
        )

    def _who(self, caller: Caller) -> str:
        try:
            return self._names(caller) or caller.extension
        except Exception:
            log.exception("looking up the extension's name failed")
            return caller.extension

    def _decided(self, request: Request, outcome: Outcome) -> None:
        decision: dict[str, Any] = {"decision": outcome.decision, "reason": outcome.reason}
        operation = request.type
        if not outcome.allowed:
            extras: dict[str, dict[str, Any]] = {
                "secret.get": {"value": None},
                "secret.set": {},
                "secret.delete": {"deleted": False},
            }
            request.reply_ok(decision | extras[operation])
            return
        caller, name = request.caller, request.fields["name"]

        def failed(error: Exception) -> None:
            self._failed(request, error)

        if operation == "secret.get":

            def got(value: str | None) -> None:
                if value is None:
                    self._reply_error(
                        request,
                        protocol.NOT_FOUND,
                        f'no secret named "{name}" is stored for this extension',
                    )
                else:
                    self._reply_ok(request, decision | {"value": value})

            self._runner.run(lambda: self._store.get(caller, name), got, failed, self._timeout)
        elif operation == "secret.set":
            value: str = request.fields["value"]
            self._runner.run(
                lambda: self._store.set(caller, name, value),
                lambda _none: self._reply_ok(request, decision),
                failed,
                self._timeout,
            )
        else:
            self._runner.run(
                lambda: self._store.delete(caller, name),
                lambda deleted: self._reply_ok(request, decision | {"deleted": deleted}),
                failed,
                self._timeout,
            )

    @property
    def _timeout(self) -> float:
        return self._keychain_timeout

    def _failed(self, request: Request, error: Exception) -> None:
        if isinstance(error, KeychainUnavailable):
            self._reply_error(request, protocol.KEYRING_UNAVAILABLE, str(error))
        elif isinstance(error, BlockingTimeout):
            log.warning("%s: the keychain did not answer within %g s", request.type, self._timeout)
            self._reply_error(
                request,
                protocol.KEYRING_UNAVAILABLE,
                f"The system keychain did not answer within {self._timeout:g} seconds (an "
                "unlock prompt may be waiting, or the keychain service hangs). Unlock your "
                "keychain or restart its service, then try again.",
            )
        else:
            # A bug, not a keychain state. Only the kind is logged: the text or a
            # traceback's frames could carry the value.
            log.error("%s failed: %s", request.type, type(error).__name__)
            self._reply_error(request, protocol.INTERNAL, "Bridgekeeper failed; see its log")

    @staticmethod
    def _reply_ok(request: Request, result: dict[str, Any]) -> None:
        if not request.answered:  # the host may have gone while the keychain worked
            request.reply_ok(result)

    @staticmethod
    def _reply_error(request: Request, code: str, message: str) -> None:
        if not request.answered:
            request.reply_error(code, message)


def register_secrets(
    dispatcher: Dispatcher,
    queue: PromptQueue,
    store: SecretStore,
    runner: BlockingRunner,
    names: Callable[[Caller], str] = lambda _caller: "",
) -> SecretHandlers:
    """Put ``secret.get``, ``secret.set`` and ``secret.delete`` in the table."""
    handlers = SecretHandlers(queue, store, runner, names)
    handlers.register(dispatcher)
    return handlers
