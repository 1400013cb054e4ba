"""Every parse of outside data turns any failure into an answer: the app's
``parse_request`` (requests and control commands) and the host's ``request_id_of``."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.dispatch import BadRequest, parse_request
from host import protocol

HOSTILE = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"id": "n", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    b'{"id": ' + b"9" * 10_000 + b"}",
    b'{"id": 1.' + b"0" * 10_000 + b"}",
    b"\xff\xfe",
    b'{"id": "\xed\xa0\x80"}',
    b"NaN",
    b"",
]


UNPARSABLE = [payload for payload in HOSTILE if not payload.startswith(b'{"id": 1.')]


@pytest.mark.parametrize("payload", UNPARSABLE, ids=range(len(UNPARSABLE)))
def test_parse_request_turns_any_failure_into_bad_request(payload: bytes) -> None:
    with pytest.raises(BadRequest, match=r"the request "):
        parse_request(payload)


def test_a_float_of_ten_thousand_digits_is_a_float() -> None:
    assert parse_request(b'{"id": 1.' + b"0" * 10_000 + b"}") == {"id": 1.0}


def test_nesting_too_deep_says_so() -> None:
    with pytest.raises(BadRequest, match="nested too deeply"):
        parse_request(b"[" * 100_000 + b"]" * 100_000)


def test_duplicate_keys_keep_the_last_and_lone_surrogates_are_strings() -> None:
    assert parse_request(b'{"id": "a", "id": "b"}') == {"id": "b"}
    message = parse_request(b'{"id": "\\ud800"}')
    assert message == {"id": "\ud800"}
    assert protocol.ok_reply(message["id"], {}).isascii()  # the reply still encodes


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_parse_request_never_raises_anything_else(payload: bytes) -> None:
    with contextlib.suppress(BadRequest):
        parse_request(payload)


@pytest.mark.parametrize("payload", HOSTILE, ids=range(len(HOSTILE)))
def test_request_id_of_never_raises(payload: bytes) -> None:
    rid = protocol.request_id_of(payload)
    assert rid is None or isinstance(rid, (str, int))


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=2048)
    | st.text(max_size=512).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_request_id_of_answers_any_bytes(payload: bytes) -> None:
    protocol.request_id_of(payload)


@given(st.text())
def test_json_string_writes_any_text_as_json_reads_it(value: str) -> None:
    """The host writes its hello's strings (the extension id, the browser's path: outside
    input) without importing json."""
    written = protocol.json_string(value)
    assert json.loads(written) == value
    assert not any(ord(c) < 0x20 for c in written)  # control characters escaped


def test_json_string_escapes_only_what_json_requires() -> None:
    assert protocol.json_string(' a"\\\x1f\x00é') == '" a\\"\\\\\\u001f\\u0000é"'
