"""The contract between browser, host and app: framing, limits, error codes, replies.

Standard library only; the app imports it, it imports nothing from the app.

Browser <-> host (the WebExtension native messaging format)
    Each message is a 4-byte unsigned length in native byte order followed by that many
    bytes of UTF-8 JSON. Replies to the browser are at most ``MAX_REPLY_BYTES``;
    requests from the browser at most ``MAX_REQUEST_BYTES`` (a larger declared length is
    answered ``too_large`` and its payload skipped in chunks, never held in memory).
    No valid request is anywhere near ``MAX_VALID_REQUEST_BYTES``: every field has a
    length limit, so a larger frame is answered ``bad_request`` by the host itself and
    never reaches the app.

Host <-> app (the local socket; version ``SOCKET_PROTOCOL``)
    Before sending a byte the client checks the socket's folder and the peer's
    credentials (``host.transport.connect``); the app checks its peers the same way.
    Each frame is a 9-byte header ``kind (u8), seq (u32), length (u32)``, big-endian,
    then ``length`` bytes of UTF-8 JSON. ``length`` is at most ``MAX_SOCKET_FRAME_BYTES``
    in either direction: the host forwards no larger request (it answers those itself) and
    the app sends no larger reply (it answers ``too_large`` instead, as browsers refuse
    more). A peer that sends more is broken and the connection is closed. Both ends split
    the stream with ``SocketFrames``.

    1. The client opens with ``HELLO`` (seq 0): ``{"protocol": 1, "role": "host" |
       "control", "caller": {...}, "pid": int, "browser_exe": str | null}``. The caller
       comes from the host's argv (see ``host.caller``), never from a message. The
       client does not wait for an answer: requests may follow at once.
    2. ``REQUEST`` frames carry the browser's request bytes unchanged (already checked to
       be JSON) with a ``seq`` the host picks, unique within the connection.
    3. The app answers each request with exactly one ``REPLY`` frame with the same
       ``seq``, carrying the reply JSON the host writes to the browser unchanged. Replies
       may come in any order: a ``ping`` overtakes a ``confirm`` that waits for the user.
    4. If the app cannot serve the client (unknown protocol version, bad hello) it sends
       ``REFUSED`` (seq 0) with ``{"code", "message"}`` and closes.
    5. When the browser's input ends the host sends ``END`` (seq 0, empty). The app
       answers what this host still has pending (prompts with error ``cancelled``, their
       dialogs close), then closes. The host writes those replies if the browser still
       reads, and exits when the app has closed, or after ``END_GRACE_SECONDS``.
    6. A connection closed without ``END`` (a host killed) is cancelled the same way;
       an app that closes first leaves the host to answer whatever is outstanding with
       ``app_unavailable``.
    7. (version 2) Liveness: while a host has requests outstanding and has heard nothing
       from the app for ``PROBE_INTERVAL`` seconds, it sends ``ALIVE`` (empty payload,
       any seq). The app's socket thread answers ``ALIVE`` with the same seq at once,
       without the GUI thread, as long as that thread picks up the work it is handed
       within ``LIVENESS_TIMEOUT``. A host that has heard nothing from the app (no frame
       of any kind) for ``LIVENESS_TIMEOUT`` while waiting gives up on the connection and
       answers every outstanding request ``app_unavailable``. A version-1 app would close
       the connection on the unknown frame, hence the version bump; the app still accepts
       version-1 hosts, which never send it.

    The app bounds what a connection may cost (the time to say ``HELLO``, a frame's
    size and the time its bytes take to arrive, the bytes buffered for a peer that does
    not read, the number of connections; see ``app.qt.server``): a peer over a bound is
    closed, or refused with ``REFUSED`` when it connects over the connection limit.

    ``role: "control"`` connections (the ``bridgekeeper`` command line talking to the
    running app: hand-over, pause, resume, decisions) use the same frames; their requests
    are ``{"command": ...}`` objects instead of extension requests, and their replies have
    the shape extension replies have (``ok_reply`` / ``error_reply``, ``id`` null).
"""

from __future__ import annotations

import struct

# The host imports this module on every browser call: no typing, json or re at import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import json
    from typing import Any, Final, Protocol
else:
    Protocol = object

PROTOCOL: Final = 1
"""Version of the request/reply contract extensions see (``ping`` reports it)."""
SOCKET_PROTOCOL: Final = 2
"""Version of the host <-> app socket format above."""
SOCKET_PROTOCOLS_ACCEPTED: Final = (1, 2)
"""Versions the app serves: version-1 hosts only lack the liveness check."""
HOST_NAME: Final = "org.bridgekeeper.host"

MAX_REPLY_BYTES: Final = 1_048_576
MAX_REQUEST_BYTES: Final = 64 * 1024 * 1024
MAX_VALID_REQUEST_BYTES: Final = 1_048_576
MAX_SOCKET_FRAME_BYTES: Final = max(MAX_VALID_REQUEST_BYTES, MAX_REPLY_BYTES)
"""The payload of a host <-> app frame, either way (see above): the larger of the biggest
request the host forwards and the biggest reply a browser accepts."""
MAX_ID_LENGTH: Final = 128

# Error codes of the contract (SPEC "Requests and replies").
BAD_REQUEST: Final = "bad_request"
TOO_LARGE: Final = "too_large"
APP_UNAVAILABLE: Final = "app_unavailable"
UNTRUSTED_EXTENSION: Final = "untrusted_extension"
BUSY: Final = "busy"
CANCELLED: Final = "cancelled"
NOT_FOUND: Final = "not_found"
KEYRING_UNAVAILABLE: Final = "keyring_unavailable"
INTERNAL: Final = "internal"
ERROR_CODES: Final = frozenset(
    {
        BAD_REQUEST,
        TOO_LARGE,
        APP_UNAVAILABLE,
        UNTRUSTED_EXTENSION,
        BUSY,
        CANCELLED,
        NOT_FOUND,
        KEYRING_UNAVAILABLE,
        INTERNAL,
    }
)

# Socket frame kinds.
HELLO: Final = 1
REQUEST: Final = 2
REPLY: Final = 3
REFUSED: Final = 4
END: Final = 5
ALIVE: Final = 6

END_GRACE_SECONDS: Final = 0.75
"""After END, how long the host waits for the app's last answers: the app answers in
milliseconds, and the host must be gone within a second of its input's end."""
LIVENESS_TIMEOUT: Final = 10.0
"""Silence after which a waiting host gives the app up (SPEC: the hung-app rule)."""
PROBE_INTERVAL: Final = 2.0
"""Silence after which a waiting host asks ``ALIVE``, and again every this often."""

BROWSER_HEADER: Final = struct.Struct("=I")
SOCKET_HEADER: Final = struct.Struct(">BII")

RequestId = str | int | None

_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(0x20)} | {0x22: '\\"', 0x5C: "\\\\"}


class ProtocolError(Exception):
    """A peer broke the framing; the connection cannot go on."""


def request_id(message: object) -> RequestId:
    """The ``id`` to echo for ``message``: its own when valid, else ``None``."""
    if not isinstance(message, dict):
        return None
    value = message.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and len(value) <= MAX_ID_LENGTH):
        return value
    return None


def request_id_of(payload: bytes) -> RequestId:
    """The ``id`` to echo for a raw request frame (``None`` when it has no valid one).

    Any frame at all: one nested too deeply (``RecursionError``), not UTF-8, not JSON or
    with a number too long to convert (``ValueError``) has no id, and never raises."""
    import json

    try:
        return request_id(json.loads(payload))
    except Exception:  # every frame gets its one reply, whatever the parser thinks of it
        return None


_ENCODER: list[json.JSONEncoder] = []
"""Made once, on first use: json is not imported at host start-up."""


def encode_json(value: object) -> bytes:
    """Compact JSON, the form every frame carries (ASCII: lone surrogates stay valid)."""
    if not _ENCODER:
        import json

        _ENCODER.append(json.JSONEncoder(separators=(",", ":")))
    return _ENCODER[0].encode(value).encode("ascii")


def json_string(value: str) -> str:
    """``value`` as a JSON string literal, without importing json (host start-up)."""
    return '"' + value.translate(_JSON_ESCAPES) + '"'


def ok_reply(rid: RequestId, result: dict[str, Any]) -> bytes:
    return encode_json({"id": rid, "ok": True, "result": result})


def error_reply(rid: RequestId, code: str, message: str) -> bytes:
    return encode_json({"id": rid, "ok": False, "error": {"code": code, "message": message}})


def browser_frame(payload: bytes) -> bytes:
    return BROWSER_HEADER.pack(len(payload)) + payload


def socket_frame(kind: int, seq: int, payload: bytes) -> bytes:
    return SOCKET_HEADER.pack(kind, seq, len(payload)) + payload


class Oversize:
    """A browser frame whose declared length is over ``MAX_REQUEST_BYTES`` (skipped)."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Oversize) and other.length == self.length

    def __hash__(self) -> int:
        return hash(self.length)

    def __repr__(self) -> str:
        return f"Oversize({self.length})"


class RawInput(Protocol):
    """The browser's end of the pipe, unbuffered (``io.FileIO``): one call, one read."""

    def read(self, size: int, /) -> bytes | None: ...

    def readinto(self, buffer: memoryview, /) -> int | None: ...

    def fileno(self) -> int: ...


READ_CHUNK: Final = 64 * 1024
"""How much one read asks for. A frame larger than this is read straight into place; an
oversize one is skipped this much at a time."""


class BrowserFrames:
    """Splits the browser's byte stream into frames, reading only when asked to.

    ``fill()`` reads once (so a caller that polls never blocks); ``next_frame()`` hands
    out what is complete. A frame cut short by the end of input is dropped silently. A
    payload comes in a one-element list that the consumer empties, so that it can be
    freed as soon as the consumer lets go of it (64 MiB requests); a large one is read
    into its own buffer, never copied.
    """

    def __init__(self, raw: RawInput) -> None:
        self._raw = raw
        self._buffer = b""
        self._body: bytearray | None = None
        """The payload of a frame larger than ``READ_CHUNK``, filled in place."""
        self._filled = 0
        self._skipping: Oversize | None = None
        self._skip = 0
        """Bytes of an oversize frame still to drop."""
        self.ended = False

    def fill(self) -> None:
        """Read what the browser has written (waits for it when it has written nothing)."""
        if self._body is not None:
            count = self._raw.readinto(memoryview(self._body)[self._filled :]) or 0
            self._filled += count
        else:
            data = self._raw.read(min(READ_CHUNK, self._skip) if self._skip else READ_CHUNK)
            count = len(data or b"")
            if self._skip:
                self._skip -= count
            elif data:
                self._buffer = self._buffer + data if self._buffer else data
        if not count:
            self.ended = True

    def next_frame(self) -> list[bytes] | Oversize | None:
        """The next complete frame, or ``None`` until ``fill()`` has read more."""
        if self._body is not None:
            if self._filled < len(self._body):
                return None
            body, self._body = self._body, None
            return [body]  # type: ignore[list-item]  # a bytearray serves as bytes here
        if self._skipping is not None:
            if self._skip:
                return None
            done, self._skipping = self._skipping, None
            return done
        buffer = self._buffer
        if len(buffer) < BROWSER_HEADER.size:
            return None
        (length,) = BROWSER_HEADER.unpack_from(buffer)
        end = BROWSER_HEADER.size + length
        if length > MAX_REQUEST_BYTES:
            self._skipping = Oversize(length)
            self._skip = max(0, end - len(buffer))
            self._buffer = buffer[end:]
            return self.next_frame()
        if len(buffer) >= end:
            self._buffer = buffer[end:]
            return [buffer[BROWSER_HEADER.size : end]]
        if end > READ_CHUNK:
            have = len(buffer) - BROWSER_HEADER.size
            self._body = bytearray(length)
            self._body[:have] = buffer[BROWSER_HEADER.size :]
            self._filled = have
            self._buffer = b""
        return None


class SocketFrames:
    """Splits the host <-> app byte stream into ``(kind, seq, payload)`` frames: the one
    splitter both ends use. ``next_frame`` raises ``ProtocolError`` for a frame over
    ``MAX_SOCKET_FRAME_BYTES`` as soon as its header arrives."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Bytes received and not yet handed out."""
        return len(self._buffer)

    def in_progress(self) -> int:
        """The whole size (header included) of the frame being received, as its header
        declares it; 0 until a header has arrived."""
        if len(self._buffer) < SOCKET_HEADER.size:
            return 0
        length: int = SOCKET_HEADER.unpack_from(self._buffer)[2]
        return SOCKET_HEADER.size + length

    def next_frame(self) -> tuple[int, int, bytes] | None:
        """The next complete frame, or ``None`` until more has been fed."""
        buffer = self._buffer
        if len(buffer) < SOCKET_HEADER.size:
            return None
        kind, seq, length = SOCKET_HEADER.unpack_from(buffer)
        if length > MAX_SOCKET_FRAME_BYTES:
            raise ProtocolError(
                f"a frame of {length} bytes is over the limit of {MAX_SOCKET_FRAME_BYTES}"
            )
        end = SOCKET_HEADER.size + length
        if len(buffer) < end:
            return None
        payload = bytes(buffer[SOCKET_HEADER.size : end])
        del buffer[:end]
        return kind, seq, payload
