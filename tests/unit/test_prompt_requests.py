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
    ],
)
def test_site_is_reduced_to_its_origin(site: str, origin: str) -> None:
    assert site_origin(site) == origin


def test_site_with_bidi_override_is_refused() -> None:
    with pytest.raises(BadRequest, match="'site'"):
        site_origin("https://example.com/\u202egnp.exe")
