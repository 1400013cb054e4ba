"""The prompt requests ``confirm``, ``choose``, ``prompt``, ``notify`` and ``cancel``: their
validation (each field's type and limits per SPEC, defaults filled in, a ``BadRequest``
naming the offending field for anything else, unknown fields included), then their
handlers, which hand each prompt to the queue and turn its outcome into the reply.

Limits SPEC leaves open, chosen here: ``title`` is required (1-200 characters, not only
spaces) for every prompt and ``notify``; ``message`` at most 4,000; ``site`` at most 2,048
and a URL or origin with a host (reduced to its origin); option ``id`` 1-100 and
``label`` 1-200 characters, ids unique; ``placeholder`` at most 200; a prompt's
``default`` at most its ``max_length``; ``max_length`` 1-4,096.

A ``notify`` is shown under a title of the app's own that names the extension (see
``notification``); the extension's title and message go below it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import urlsplit

from app.core.activity import ActivityLog
from app.core.dispatch import BadRequest, Dispatcher, Request
from app.core.fields import Fields, boolean, check_names, seconds, text
from app.core.queue import Outcome, PromptQueue
from app.core.text import neutralise
from host import protocol
from host.caller import Caller

log = logging.getLogger(__name__)

TITLE_MAX = 200
MESSAGE_MAX = 4_000
DETAILS_MAX = 20_000
SITE_MAX = 2_048
LABEL_MAX = 40
OPTION_ID_MAX = 100
OPTION_LABEL_MAX = 200
OPTIONS_MIN = 2
OPTIONS_MAX = 12
PLACEHOLDER_MAX = 200
MAX_LENGTH_LIMIT = 4_096
MAX_LENGTH_DEFAULT = 1_024
TIMEOUT_DEFAULT = 60.0
TIMEOUT_MIN = 5.0
TIMEOUT_MAX = 600.0
ACTION_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


def _timeout(message: Fields) -> float:
    return seconds(message, "timeout", TIMEOUT_MIN, TIMEOUT_MAX, TIMEOUT_DEFAULT)


def site_origin(site: str) -> str:
    """The origin (``scheme://host[:port]``) of a URL or origin; ``BadRequest`` naming
    ``site`` when it has no scheme and host. Default ports are dropped, case folded."""
    # A URL carries these percent-encoded; raw, they could disguise the origin shown.
    if any(unicodedata.category(char)[0] in "CZ" for char in site):
        raise BadRequest(
            "field 'site' must be a URL or origin without spaces, control or format characters"
        )
    try:
        parts = urlsplit(site)
        host = parts.hostname
        port = parts.port
    except ValueError as error:
        raise BadRequest(f"field 'site' is not a valid URL: {error}") from error
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(scheme) or not host:
        raise BadRequest(
            "field 'site' must be a URL or origin with a host, e.g. https://example.com"
        )
    if ":" in host:
        host = f"[{host}]"
    if port is None or (scheme, port) in (("http", 80), ("https", 443), ("ws", 80), ("wss", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _site(message: Fields) -> str:
    site = text(message, "site", SITE_MAX)
    return site_origin(site) if site else ""


def validate_confirm(message: Fields) -> Fields:
    check_names(
        message,
        {
            "title",
            "message",
            "details",
            "site",
            "action",
            "allow_label",
            "deny_label",
            "timeout",
            "danger",
        },
    )
    action = message.get("action")
    if "action" in message and (
        not isinstance(action, str) or not ACTION_PATTERN.fullmatch(action)
    ):
        raise BadRequest("field 'action' must match [A-Za-z0-9._:-]{1,100}")
    return {
        "title": text(message, "title", TITLE_MAX, required=True),
        "message": text(message, "message", MESSAGE_MAX),
        "details": text(message, "details", DETAILS_MAX),
        "site": _site(message),
        "action": action,
        "allow_label": text(message, "allow_label", LABEL_MAX),
        "deny_label": text(message, "deny_label", LABEL_MAX),
        "timeout": _timeout(message),
        "danger": boolean(message, "danger"),
    }


def validate_choose(message: Fields) -> Fields:
    check_names(message, {"title", "message", "options", "default", "timeout"})
    options = message.get("options")
    if not isinstance(options, list) or not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        raise BadRequest(
            f"field 'options' is required: a list of {OPTIONS_MIN} to {OPTIONS_MAX} "
            '{"id", "label"} objects'
        )
    checked: list[tuple[str, str]] = []
    for index, option in enumerate(options):
        where = f"options[{index}]"
        if not isinstance(option, dict) or set(option) != {"id", "label"}:
            raise BadRequest(f'field {where!r} must be an object with exactly "id" and "label"')
        option_id, label = option["id"], option["label"]
        if not isinstance(option_id, str) or not 1 <= len(option_id) <= OPTION_ID_MAX:
            raise BadRequest(
                f"field '{where}.id' must be a string of 1 to {OPTION_ID_MAX} characters"
            )
        if not isinstance(label, str) or not label.strip() or len(label) > OPTION_LABEL_MAX:
            raise BadRequest(
                f"field '{where}.label' must be a string of 1 to {OPTION_LABEL_MAX} characters"
            )
        if any(option_id == seen for seen, _ in checked):
            raise BadRequest(f"field '{where}.id' repeats the id {option_id[:100]!r}")
        checked.append((option_id, label))
    default = message.get("default")
    if "default" in message and default is not None and default not in [i for i, _ in checked]:
        raise BadRequest("field 'default' must be the id of one of the options")
    return {
        "title": text(message, "title", TITLE_MAX, required=True),
        "message": text(message, "message", MESSAGE_MAX),
        "options": checked,
        "default": default,
        "timeout": _timeout(message),
    }


def validate_prompt(message: Fields) -> Fields:
    check_names(
        message,
        {"title", "message", "placeholder", "default", "secret", "max_length", "timeout"},
    )
    max_length = message.get("max_length", MAX_LENGTH_DEFAULT)
    if (
        isinstance(max_length, bool)
        or not isinstance(max_length, int)
        or not 1 <= max_length <= MAX_LENGTH_LIMIT
    ):
        raise BadRequest(f"field 'max_length' must be an integer from 1 to {MAX_LENGTH_LIMIT}")
    return {
        "title": text(message, "title", TITLE_MAX, required=True),
        "message": text(message, "message", MESSAGE_MAX),
        "placeholder": text(message, "placeholder", PLACEHOLDER_MAX),
        "default": text(message, "default", max_length),
        "secret": boolean(message, "secret"),
        "max_length": max_length,
        "timeout": _timeout(message),
    }


def validate_notify(message: Fields) -> Fields:
    check_names(message, {"title", "message"})
    return {
        "title": text(message, "title", TITLE_MAX, required=True),
        "message": text(message, "message", MESSAGE_MAX),
    }


NOTIFICATION_TITLE = "Extension: "
"""How every extension's notification title begins; none of the app's own notices does."""


def notification(caller: Caller, name: str, title: str, message: str) -> tuple[str, str]:
    """The title and body of the tray notification for a ``notify`` from ``caller``
    (whose install-time name is ``name``).

    The title is the app's: ``Extension: <name> (<id>)``, or ``Extension: <id>`` without
    a name, on one line, so nothing the extension wrote can stand where the app's own
    notices put theirs ("Browser integration"). The id comes from the browser, so a name
    that copies another extension's still shows whose it is. The extension's ``title``
    is the body's first line, its ``message`` the rest."""
    ident = neutralise(caller.extension, multiline=False)
    name = neutralise(name, multiline=False).strip()
    who = f"{name} ({ident})" if name else ident
    body = neutralise(title, multiline=False)
    return f"{NOTIFICATION_TITLE}{who}", f"{body}\n{message}" if message else body


def validate_cancel(message: Fields) -> Fields:
    check_names(message, {"target"})
    target = message.get("target")
    if protocol.request_id({"id": target}) is None:
        raise BadRequest(
            f"field 'target' is required: the id (a string of at most {protocol.MAX_ID_LENGTH}"
            " characters, or an integer) of an earlier request"
        )
    return {"target": target}


VALIDATORS: dict[str, Callable[[Fields], Fields]] = {
    "confirm": validate_confirm,
    "choose": validate_choose,
    "prompt": validate_prompt,
    "notify": validate_notify,
    "cancel": validate_cancel,
}


def register_prompts(
    dispatcher: Dispatcher,
    queue: PromptQueue,
    activity: ActivityLog,
    notify: Callable[[str, str], bool],
    names: Callable[[Caller], str] = lambda _caller: "",
) -> None:
    """Put ``confirm``, ``choose``, ``prompt``, ``notify`` and ``cancel`` in the table;
    ``notify(title, message)`` shows a tray notification and says whether it could."""

    def confirm(request: Request) -> None:
        fields = request.fields

        def reply(outcome: Outcome) -> None:
            request.reply_ok(
                {
                    "decision": outcome.decision,
                    "reason": outcome.reason,
                    "remembered": outcome.remembered,
                }
            )

        queue.confirm(
            request,
            reply,
            title=fields["title"],
            message=fields["message"],
            details=fields["details"],
            action=fields["action"],
            site=fields["site"],
            danger=fields["danger"],
            allow_label=fields["allow_label"],
            deny_label=fields["deny_label"],
            timeout=fields["timeout"],
        )

    def choose(request: Request) -> None:
        queue.choose(
            request,
            request.fields,
            lambda o: request.reply_ok(
                {"decision": o.decision, "choice": o.choice, "reason": o.reason}
            ),
        )

    def prompt(request: Request) -> None:
        queue.ask_text(
            request,
            request.fields,
            lambda o: request.reply_ok(
                {"decision": o.decision, "value": o.value, "reason": o.reason}
            ),
        )

    def show_notification(request: Request) -> None:
        title, message = request.fields["title"], request.fields["message"]
        caller = request.caller
        try:
            name = names(caller)
        except Exception:
            log.exception("looking up the extension's name failed")
            name = ""
        # Paused means "Do not disturb": no notification either.
        shown = False
        if not queue.paused:
            try:
                shown = bool(notify(*notification(caller, name, title, message)))
            except Exception:
                log.exception("showing a notification failed")
        request.reply_ok({"shown": shown})
        activity.record(
            browser=caller.label,
            extension_id=caller.extension,
            extension_name=name,
            type="notify",
            title=title,
            outcome="shown" if shown else "not shown",
            reason="paused" if queue.paused else "",
        )

    def cancel(request: Request) -> None:
        request.reply_ok({"cancelled": queue.cancel(request.client, request.fields["target"])})

    handlers: dict[str, Callable[[Request], None]] = {
        "confirm": confirm,
        "choose": choose,
        "prompt": prompt,
        "notify": show_notification,
        "cancel": cancel,
    }
    for type_, handler in handlers.items():
        dispatcher.register(type_, VALIDATORS[type_], handler)
