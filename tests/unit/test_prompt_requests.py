"""Validation of prompt requests: every field's type and limits, each bad input answered
``bad_request`` by the real Dispatcher with a message naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.dispatch import BadRequest, Dispatcher
from app.core.handlers.prompts import (
    VALIDATORS,
    site_origin,
    validate_choose,
    validate_confirm,
    validate_prompt,
)
from host.caller import Caller

OPTIONS = [{"id": "a", "label": "Apple"}, {"id": "b", "label": "Banana"}]


class Recorder:
    client_id = 1
    caller = Caller("chromium", "x" * 32)

    def __init__(self) -> None:
        self.replies: list[Any] = []

    def send_reply(self, seq: int, payload: bytes) -> None:
        self.replies.append(json.loads(payload))


def dispatch(message: dict[str, Any]) -> Any:
    """The reply of a dispatcher that has the real validators and a handler that would
    only be reached by a valid request."""
    dispatcher = Dispatcher(lambda _c: True)
    for type_, validate in VALIDATORS.items():
        dispatcher.register(type_, validate, lambda r: r.reply_ok({"valid": r.fields}))
    client = Recorder()
    dispatcher.handle(client, 1, json.dumps(message).encode())
    [reply] = client.replies
    return reply


BAD: list[tuple[dict[str, Any], str]] = [
    ({"type": "confirm", "title": "t" * 10_000}, "'title' is 10000 characters; at most 200"),
    ({"type": "confirm"}, "'title' is required"),
    ({"type": "confirm", "title": "   "}, "'title' must not be empty"),
    ({"type": "confirm", "title": 5}, "'title' is required and must be a string"),
    ({"type": "confirm", "title": "t", "message": "m" * 4001}, "'message'"),
    ({"type": "confirm", "title": "t", "details": "d" * 20_001}, "'details'"),
    ({"type": "confirm", "title": "t", "allow_label": "a" * 41}, "'allow_label'"),
    ({"type": "confirm", "title": "t", "deny_label": None}, "'deny_label'"),
    ({"type": "confirm", "title": "t", "timeout": 4}, "'timeout' must be between 5 and 600"),
    ({"type": "confirm", "title": "t", "timeout": 601}, "'timeout'"),
    ({"type": "confirm", "title": "t", "timeout": "60"}, "'timeout'"),
    ({"type": "confirm", "title": "t", "timeout": True}, "'timeout'"),
    ({"type": "confirm", "title": "t", "danger": "yes"}, "'danger'"),
    ({"type": "confirm", "title": "t", "action": "has space"}, "'action'"),
    ({"type": "confirm", "title": "t", "action": "a" * 101}, "'action'"),
    ({"type": "confirm", "title": "t", "site": "example.com"}, "'site'"),
    ({"type": "confirm", "title": "t", "site": "file:///etc/passwd"}, "'site'"),
    ({"type": "confirm", "title": "t", "site": "https://x.org:99999/"}, "'site'"),
    ({"type": "confirm", "title": "t", "site": "https://a b.org/"}, "'site'"),
    ({"type": "confirm", "title": "t", "site": "https://x.org/" + "p" * 2048}, "'site'"),
    ({"type": "confirm", "title": "t", "sitee": "x"}, "unknown field 'sitee'"),
    ({"type": "confirm", "title": "t", "options": OPTIONS}, "unknown field 'options'"),
    ({"type": "choose", "title": "t"}, "'options' is required"),
    ({"type": "choose", "title": "t", "options": OPTIONS[:1]}, "'options'"),
    ({"type": "choose", "title": "t", "options": OPTIONS * 7}, "'options'"),
    ({"type": "choose", "title": "t", "options": [*OPTIONS, "c"]}, "'options[2]'"),
    ({"type": "choose", "title": "t", "options": [*OPTIONS, {"id": "c"}]}, "'options[2]'"),
    (
        {"type": "choose", "title": "t", "options": [{"id": "", "label": "x"}, *OPTIONS]},
        "'options[0].id'",
    ),
    (
        {"type": "choose", "title": "t", "options": [{"id": "i" * 101, "label": "x"}, *OPTIONS]},
        "'options[0].id'",
    ),
    (
        {"type": "choose", "title": "t", "options": [*OPTIONS, {"id": "c", "label": "l" * 201}]},
        "'options[2].label'",
    ),
    (
        {"type": "choose", "title": "t", "options": [*OPTIONS, {"id": "a", "label": "again"}]},
        "'options[2].id' repeats",
    ),
    ({"type": "choose", "title": "t", "options": OPTIONS, "default": "z"}, "'default'"),
    (
        {"type": "choose", "title": "t", "options": [*OPTIONS, {"id": "c", "label": "C", "x": 1}]},
        "'options[2]' must be an object with exactly",
    ),
    ({"type": "choose", "options": OPTIONS}, "'title' is required"),
    (
        {"type": "choose", "title": "t", "options": [*OPTIONS, {"id": "c", "label": "   "}]},
        "'options[2].label'",
    ),
    (
        {"type": "choose", "title": "t", "options": [*OPTIONS, {"id": "c", "label": 5}]},
        "'options[2].label'",
    ),
    (
        {"type": "choose", "title": "t", "options": [{"id": "i" * 100, "label": "x"}] * 2},
        "repeats the id '" + "i" * 100 + "'",  # the longest id, whole
    ),
    (
        {
            "type": "choose",
            "title": "t",
            "options": [{"id": "same", "label": "One"}, {"id": "same", "label": "Two"}],
        },
        "'options[1].id' repeats the id 'same'",  # equal, not the same object
    ),
    ({"type": "prompt"}, "'title' is required"),
    ({"type": "prompt", "title": "t", "max_length": 5.5}, "'max_length'"),
    ({"type": "prompt", "title": "t", "max_length": "10"}, "'max_length'"),
    ({"type": "prompt", "title": "t", "max_length": 4097}, "'max_length'"),
    ({"type": "prompt", "title": "t", "max_length": 0}, "'max_length'"),
    ({"type": "prompt", "title": "t", "max_length": 10, "default": "x" * 11}, "'default'"),
    ({"type": "prompt", "title": "t", "default": "x" * 1025}, "'default'"),
    ({"type": "prompt", "title": "t", "placeholder": "p" * 201}, "'placeholder'"),
    ({"type": "prompt", "title": "t", "secret": 1}, "'secret'"),
    ({"type": "notify"}, "'title' is required"),
    ({"type": "notify", "title": "t", "timeout": 10}, "unknown field 'timeout'"),
    ({"type": "cancel"}, "'target' is required"),
    ({"type": "cancel", "target": ["x"]}, "'target'"),
    ({"type": "cancel", "target": "x" * 129}, "'target'"),
    ({"type": "cancel", "target": "x", "why": 1}, "unknown field 'why'"),
]


@pytest.mark.parametrize(("message", "names"), BAD, ids=[f"{m['type']}-{n}" for m, n in BAD])
def test_bad_field_is_bad_request_naming_it(message: dict[str, Any], names: str) -> None:
    reply = dispatch({**message, "id": "r"})
    assert reply["id"] == "r"
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"
    assert names in reply["error"]["message"]


def test_an_unknown_field_is_named_by_its_first_100_characters() -> None:
    long_name = "k" * 99 + "\u00e9" + "z" * 400  # a sender's key, of any length
    reply = dispatch({"type": "confirm", "id": 1, "title": "t", long_name: 1})
    assert reply["error"] == {
        "code": "bad_request",
        "message": "unknown field '" + "k" * 99 + "\u00e9'",
    }


def test_an_unknown_type_is_named_by_its_first_100_characters() -> None:
    reply = dispatch({"type": "t" * 99 + "\u00e9" + "z" * 400, "id": 1})
    assert reply["error"] == {
        "code": "bad_request",
        "message": "unknown type '" + "t" * 99 + "\u00e9'",
    }


def test_a_frame_that_is_not_json_is_answered_bad_request_without_an_id() -> None:
    client = Recorder()
    Dispatcher(lambda _c: True).handle(client, 4, b'{"id": 1, "type": ')
    [reply] = client.replies
    assert (reply["id"], reply["ok"], reply["error"]["code"]) == (None, False, "bad_request")
    assert reply["error"]["message"].startswith("the request is not valid JSON: ")


def test_a_handler_that_fails_is_answered_internal_once(caplog: pytest.LogCaptureFixture) -> None:
    def fails_first(request: Any) -> None:
        raise RuntimeError("a bug")

    def fails_after_answering(request: Any) -> None:
        request.reply_ok({"done": True})
        raise RuntimeError("a bug")

    dispatcher = Dispatcher(lambda _c: True)
    dispatcher.register("first", lambda m: {}, fails_first)
    dispatcher.register("after", lambda m: {}, fails_after_answering)
    client = Recorder()
    dispatcher.handle(client, 1, b'{"type": "first", "id": 1}')
    dispatcher.handle(client, 2, b'{"type": "after", "id": 2}')
    assert client.replies == [
        {
            "id": 1,
            "ok": False,
            "error": {"code": "internal", "message": "Bridgekeeper failed; see its log"},
        },
        {"id": 2, "ok": True, "result": {"done": True}},
    ]
    assert not [r for r in caplog.records if "answered twice" in r.getMessage()]


def test_a_validator_that_recurses_too_deep_is_answered_bad_request() -> None:
    def walk(value: Any) -> int:  # as a validator that walks a nested value does
        return 1 + max((walk(v) for v in value), default=0) if isinstance(value, list) else 0

    def validate(message: dict[str, Any]) -> dict[str, Any]:
        return {"depth": walk(message["tree"])}

    dispatcher = Dispatcher(lambda _c: True)
    dispatcher.register("walk", validate, lambda r: r.reply_ok(r.fields))
    client = Recorder()
    deep = b"[" * 900 + b"]" * 900  # the parser takes it; the walk runs out of stack
    dispatcher.handle(client, 1, b'{"type": "walk", "id": 3, "tree": ' + deep + b"}")
    dispatcher.handle(client, 2, b'{"type": "walk", "id": 4, "tree": [[]]}')
    assert client.replies == [
        {
            "id": 3,
            "ok": False,
            "error": {"code": "bad_request", "message": "the request is nested too deeply"},
        },
        {"id": 4, "ok": True, "result": {"depth": 2}},
    ]


def test_accept_answers_any_thread_types_itself_and_hands_back_the_others() -> None:
    dispatcher = Dispatcher(lambda _c: True)
    dispatcher.register(
        "here", lambda m: {}, lambda r: r.reply_ok({"on": "socket"}), any_thread=True
    )
    dispatcher.register("gui", lambda m: {}, lambda r: r.reply_ok({"on": "gui"}))
    with pytest.raises(ValueError, match="request type 'gui' registered twice"):
        dispatcher.register("gui", lambda m: {}, lambda r: None)
    client = Recorder()
    assert dispatcher.accept(client, 1, b'{"type": "here", "id": 1}') is None
    assert client.replies == [{"id": 1, "ok": True, "result": {"on": "socket"}}]
    waiting = dispatcher.accept(client, 2, b'{"type": "gui", "id": 2}')
    assert waiting is not None
    assert (waiting.type, waiting.answered, len(client.replies)) == ("gui", False, 1)
    dispatcher.run(waiting)
    assert client.replies[1:] == [{"id": 2, "ok": True, "result": {"on": "gui"}}]


def test_a_validator_that_fails_is_answered_internal() -> None:
    def broken(message: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("a bug")

    dispatcher = Dispatcher(lambda _c: True)
    dispatcher.register("broken", broken, lambda r: r.reply_ok({}))
    client = Recorder()
    assert dispatcher.accept(client, 1, b'{"type": "broken", "id": 5}') is None
    assert client.replies == [
        {
            "id": 5,
            "ok": False,
            "error": {"code": "internal", "message": "Bridgekeeper failed; see its log"},
        }
    ]


def test_title_at_limit_and_html_message_are_valid() -> None:
    fields = validate_confirm(
        {"title": "t" * 200, "message": "<script>alert(1)</script><b>bold</b>"}
    )
    assert fields["message"] == "<script>alert(1)</script><b>bold</b>"
    assert fields["title"] == "t" * 200


def test_defaults_are_filled_in() -> None:
    assert validate_confirm({"type": "confirm", "title": "t"}) == {
        "title": "t",
        "message": "",
        "details": "",
        "site": "",
        "action": None,
        "allow_label": "",
        "deny_label": "",
        "timeout": 60.0,
        "danger": False,
    }
    assert validate_prompt({"title": "t"})["max_length"] == 1024
    assert validate_choose({"title": "t", "options": OPTIONS})["default"] is None


@pytest.mark.parametrize(
    ("site", "origin"),
    [
        ("https://Example.COM/path?q#f", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("http://example.com:8080/x", "http://example.com:8080"),
        ("https://user:pw@example.com/", "https://example.com"),
        ("http://[::1]:3000/", "http://[::1]:3000"),
        ("chrome-extension://abcdef/page.html", "chrome-extension://abcdef"),
        ("ws://example.com:80/socket", "ws://example.com"),  # each scheme's default port
        ("wss://example.com:443", "wss://example.com"),
        ("ws://example.com:443", "ws://example.com:443"),  # another scheme's is shown
        ("https://example.com:80", "https://example.com:80"),
    ],
)
def test_site_is_reduced_to_its_origin(site: str, origin: str) -> None:
    assert site_origin(site) == origin


def test_site_with_bidi_override_is_refused() -> None:
    with pytest.raises(BadRequest, match="'site'"):
        site_origin("https://example.com/\u202egnp.exe")


# -- the SPEC's numbers, as the SPEC states them -------------------------------------------


def _options(count: int) -> list[dict[str, str]]:
    return [{"id": f"o{i}", "label": f"Option {i}"} for i in range(count)]


def _choose(**fields: Any) -> dict[str, Any]:
    return {"type": "choose", "title": "t", "options": _options(2), **fields}


def _option(**option: Any) -> dict[str, Any]:
    return _choose(options=[*_options(1), {"id": "last", "label": "Last", **option}])


# (field, the largest valid request, the same one step over): each limit of the SPEC's
# table and the README's, written as they state it, so changing one in the code fails here.
LIMITS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("title", {"type": "confirm", "title": "t" * 200}, {"type": "confirm", "title": "t" * 201}),
    (
        "message",
        {"type": "notify", "title": "t", "message": "m" * 4_000},
        {"type": "notify", "title": "t", "message": "m" * 4_001},
    ),
    (
        "details",
        {"type": "confirm", "title": "t", "details": "d" * 20_000},
        {"type": "confirm", "title": "t", "details": "d" * 20_001},
    ),
    (
        "site",
        {"type": "confirm", "title": "t", "site": "https://x.org/" + "p" * 2_034},
        {"type": "confirm", "title": "t", "site": "https://x.org/" + "p" * 2_035},
    ),
    (
        "action",
        {"type": "confirm", "title": "t", "action": "a" * 100},
        {"type": "confirm", "title": "t", "action": "a" * 101},
    ),
    (
        "allow_label",
        {"type": "confirm", "title": "t", "allow_label": "a" * 40},
        {"type": "confirm", "title": "t", "allow_label": "a" * 41},
    ),
    (
        "deny_label",
        {"type": "confirm", "title": "t", "deny_label": "d" * 40},
        {"type": "confirm", "title": "t", "deny_label": "d" * 41},
    ),
    (
        "timeout",
        {"type": "confirm", "title": "t", "timeout": 600},
        {"type": "confirm", "title": "t", "timeout": 600.001},
    ),
    (
        "timeout",
        {"type": "prompt", "title": "t", "timeout": 5},
        {"type": "prompt", "title": "t", "timeout": 4.999},
    ),
    ("options", _choose(options=_options(12)), _choose(options=_options(13))),
    ("options", _choose(options=_options(2)), _choose(options=_options(1))),
    ("options[1].id", _option(id="i" * 100), _option(id="i" * 101)),
    ("options[1].label", _option(label="l" * 200), _option(label="l" * 201)),
    (
        "placeholder",
        {"type": "prompt", "title": "t", "placeholder": "p" * 200},
        {"type": "prompt", "title": "t", "placeholder": "p" * 201},
    ),
    (
        "max_length",
        {"type": "prompt", "title": "t", "max_length": 4_096},
        {"type": "prompt", "title": "t", "max_length": 4_097},
    ),
    (
        "max_length",
        {"type": "prompt", "title": "t", "max_length": 1},
        {"type": "prompt", "title": "t", "max_length": 0},
    ),
    (
        "default",
        {"type": "prompt", "title": "t", "default": "x" * 1_024},
        {"type": "prompt", "title": "t", "default": "x" * 1_025},
    ),
    (
        "default",
        {"type": "prompt", "title": "t", "max_length": 8, "default": "x" * 8},
        {"type": "prompt", "title": "t", "max_length": 8, "default": "x" * 9},
    ),
    ("name", {"type": "secret.get", "name": "n" * 100}, {"type": "secret.get", "name": "n" * 101}),
    ("name", {"type": "secret.delete", "name": "A-z_0.9"}, {"type": "secret.delete", "name": ""}),
    (
        "value",
        {"type": "secret.set", "name": "n", "value": "v" * 65_536},
        {"type": "secret.set", "name": "n", "value": "v" * 65_537},
    ),
    ("target", {"type": "cancel", "target": "t" * 128}, {"type": "cancel", "target": "t" * 129}),
    (
        "id",
        {"type": "notify", "title": "t", "id": "i" * 128},
        {"type": "notify", "title": "t", "id": "i" * 129},
    ),
]


def all_validators() -> Dispatcher:
    """A dispatcher with every request type's real validator and a handler that echoes."""
    from app.core.handlers.secrets import VALIDATORS as SECRET_VALIDATORS

    dispatcher = Dispatcher(lambda _c: True)
    for type_, validate in {**VALIDATORS, **SECRET_VALIDATORS}.items():
        dispatcher.register(type_, validate, lambda r: r.reply_ok({"valid": True}))
    return dispatcher


@pytest.mark.parametrize(
    ("field", "largest", "over"), LIMITS, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(LIMITS)]
)
def test_each_limit_is_where_the_spec_puts_it(
    field: str, largest: dict[str, Any], over: dict[str, Any]
) -> None:
    dispatcher, client = all_validators(), Recorder()
    dispatcher.handle(client, 1, json.dumps(largest).encode())
    dispatcher.handle(client, 2, json.dumps(over).encode())
    valid, refused = client.replies
    assert valid["ok"] is True, valid
    assert refused["ok"] is False
    assert refused["error"]["code"] == "bad_request"
    assert f"'{field}'" in refused["error"]["message"]


def test_defaults_are_the_specs() -> None:
    # timeout: default 60; max_length: default 1,024 (SPEC's table).
    assert validate_confirm({"title": "t"})["timeout"] == 60
    assert validate_choose({"title": "t", "options": OPTIONS})["timeout"] == 60
    assert validate_prompt({"title": "t"})["timeout"] == 60
    assert validate_prompt({"title": "t"})["max_length"] == 1_024


# -- replies: at most 1,048,576 bytes --------------------------------------------------------


class RawRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []

    def send_reply(self, seq: int, payload: bytes) -> None:
        self.raw.append(payload)
        super().send_reply(seq, payload)


@pytest.mark.parametrize("size", [1_048_576, 1_048_577])
def test_a_reply_over_1_048_576_bytes_is_replaced_by_too_large(size: int) -> None:
    from app.core.dispatch import Request

    client = RawRecorder()
    request = Request(client, 1, "r", type="secret.get")
    overhead = len(b'{"id":"r","ok":true,"result":{"value":""}}')
    request.reply_ok({"value": "v" * (size - overhead)})
    [payload] = client.raw
    if size == 1_048_576:
        assert len(payload) == 1_048_576
        assert client.replies[0]["result"]["value"] == "v" * (size - overhead)
    else:
        assert client.replies == [
            {
                "id": "r",
                "ok": False,
                "error": {
                    "code": "too_large",
                    "message": "the reply is 1048577 bytes; browsers accept at most 1048576 bytes",
                },
            }
        ]


# -- who may ask ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [b'"ping"', b'{"type": "ping", "id": 1}', b"[1]", b'{"type": "nope"}', b'{"id": {}}'],
    ids=["bare-ping", "ping", "not-an-object", "unknown-type", "bad-id"],
)
def test_a_caller_not_allowed_gets_untrusted_extension_for_anything_it_sends(
    payload: bytes,
) -> None:
    """Even the bare "ping" (MDN's ping_pong): an extension that is not allowed learns
    nothing but that it is not, with the command that allows it."""
    dispatcher = Dispatcher(lambda _c: False)
    dispatcher.register("ping", lambda m: {}, lambda r: r.reply_ok({"pong": True}))
    client = Recorder()
    dispatcher.handle(client, 1, payload)
    [reply] = client.replies
    assert reply["ok"] is False
    assert reply["error"]["code"] == "untrusted_extension"
    assert f"bridgekeeper install --extension {'x' * 32}" in reply["error"]["message"]


def test_an_allowed_caller_gets_pong_for_the_bare_ping_string() -> None:
    dispatcher = Dispatcher(lambda caller: caller == Recorder.caller)
    client = Recorder()
    dispatcher.handle(client, 1, b'"ping"')
    assert client.replies == ["pong"]
