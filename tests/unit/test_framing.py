"""Property tests of the browser-side frame reader: no input crashes, hangs it or makes
it hold more than the limits allow."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host import protocol

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class CountingStream(io.BytesIO):
    """A pipe's worth of bytes that hands out at most ``pipe`` bytes a read (as a pipe
    does) and records the largest single read asked of it."""

    largest_read = 0

    def __init__(self, data: bytes, pipe: int) -> None:
        super().__init__(data)
        self.pipe = pipe

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None
        assert size > 0
        self.largest_read = max(self.largest_read, size)
        return super().read(min(size, self.pipe))

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer)
        self.largest_read = max(self.largest_read, len(view))
        return super().readinto(view[: self.pipe])


def frames(
    data: bytes, pipe: int = 65536
) -> tuple[list[bytes | protocol.Oversize], CountingStream]:
    """Every frame the reader finds in ``data``, fed ``pipe`` bytes at a time at most."""
    stream = CountingStream(data, pipe)
    reader = protocol.BrowserFrames(stream)
    out: list[bytes | protocol.Oversize] = []
    while not reader.ended:
        reader.fill()
        while (frame := reader.next_frame()) is not None:
            out.append(frame if isinstance(frame, protocol.Oversize) else bytes(frame.pop()))
    return out, stream


SPEC_MAX_REQUEST = 64 * 1024 * 1024
"""SPEC: "Browser -> host: at most 64 MiB a frame"."""

Segment = bytes | int
"""Bytes of a stream, or that many zero bytes (an oversize payload, never built)."""


class SegmentStream:
    """A pipe's worth of segments, as ``CountingStream`` but without holding the zeros of
    an oversize payload in memory."""

    def __init__(self, segments: list[Segment], pipe: int) -> None:
        self._segments = [s for s in segments if s]
        self.pipe = pipe
        self.position = 0
        self.largest_read = 0

    def _take(self, size: int) -> bytes:
        size = min(size, self.pipe)
        out = b""
        while self._segments and len(out) < size:
            head = self._segments[0]
            want = size - len(out)
            if isinstance(head, int):
                piece, rest = min(head, want), head - min(head, want)
                out += b"\0" * piece
                self._segments[0] = rest
            else:
                out += head[:want]
                self._segments[0] = head[want:]
            if not self._segments[0]:
                self._segments.pop(0)
        self.position += len(out)
        return out

    def read(self, size: int, /) -> bytes:
        assert size > 0
        self.largest_read = max(self.largest_read, size)
        return self._take(size)

    def readinto(self, buffer: memoryview, /) -> int:
        self.largest_read = max(self.largest_read, len(buffer))
        data = self._take(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def fileno(self) -> int:
        raise NotImplementedError


@given(st.binary(max_size=4096))
def test_any_bytes_are_read_to_the_end_and_never_make_more_than_they_hold(data: bytes) -> None:
    out, stream = frames(data)
    assert stream.tell() == len(data)
    assert stream.largest_read <= protocol.MAX_REQUEST_BYTES
    assert sum(len(f) for f in out if isinstance(f, bytes)) <= len(data)


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Segment], list[bytes | protocol.Oversize]]:
    """A browser's byte stream built on purpose from whole frames, oversize ones (whose
    payload the stream carries, to be skipped) and at most one frame or header cut short
    by the end of input; with the frames the reader must hand out, in order."""
    segments: list[Segment] = []
    expected: list[bytes | protocol.Oversize] = []
    for kind in draw(st.lists(st.sampled_from(["whole", "oversize"]), max_size=8)):
        if kind == "whole":
            payload = draw(st.binary(max_size=300))
            segments.append(struct.pack("=I", len(payload)) + payload)
            expected.append(payload)
        else:
            length = SPEC_MAX_REQUEST + draw(st.integers(1, 64))
            segments += [struct.pack("=I", length), length]
            expected.append(protocol.Oversize(length))
    ending = draw(st.sampled_from(["clean", "cut payload", "cut header", "cut oversize"]))
    if ending == "cut payload":
        payload = draw(st.binary(min_size=1, max_size=300))
        cut = draw(st.integers(0, len(payload) - 1))
        segments.append(struct.pack("=I", len(payload)) + payload[:cut])
    elif ending == "cut header":
        header = struct.pack("=I", draw(st.integers(0, 2**32 - 1)))
        segments.append(header[: draw(st.integers(1, 3))])
    elif ending == "cut oversize":
        length = SPEC_MAX_REQUEST + draw(st.integers(1, 64))
        segments += [struct.pack("=I", length), draw(st.integers(0, length - 1))]
    return segments, expected


@settings(max_examples=40)
@given(streams(), st.sampled_from([4096, 65536, 70000]))
def test_any_mix_of_frames_comes_out_whole_in_order_within_limits(
    stream_and_frames: tuple[list[Segment], list[bytes | protocol.Oversize]], pipe: int
) -> None:
    segments, expected = stream_and_frames
    stream = SegmentStream(segments, pipe)
    total = sum(len(s) if isinstance(s, bytes) else s for s in segments)
    reader = protocol.BrowserFrames(stream)
    out: list[bytes | protocol.Oversize] = []
    while not reader.ended:
        reader.fill()
        while (frame := reader.next_frame()) is not None:
            out.append(frame if isinstance(frame, protocol.Oversize) else bytes(frame.pop()))
    assert out == expected  # a frame cut short by the end of input yields nothing
    assert stream.position == total  # all was read, the payloads skipped included
    assert stream.largest_read <= protocol.READ_CHUNK  # none of these is read into place


def test_an_oversize_frame_equals_only_one_of_the_same_length() -> None:
    # What the tests here compare frames by: a wrong length must not pass for the right one.
    big = SPEC_MAX_REQUEST + 1
    assert protocol.Oversize(big) == protocol.Oversize(SPEC_MAX_REQUEST + 1)
    assert protocol.Oversize(big) != protocol.Oversize(big + 1)
    assert protocol.Oversize(big + 1) != protocol.Oversize(big)
    assert protocol.Oversize(big) != big


def test_a_frame_of_exactly_64_mib_is_a_request_and_one_byte_more_is_oversize() -> None:
    for length, expected in (
        (SPEC_MAX_REQUEST, "request"),
        (SPEC_MAX_REQUEST + 1, protocol.Oversize(SPEC_MAX_REQUEST + 1)),
    ):
        stream = SegmentStream([struct.pack("=I", length), length], 65536)
        reader = protocol.BrowserFrames(stream)
        got: list[Any] = []
        while not reader.ended:
            reader.fill()
            while (frame := reader.next_frame()) is not None:
                got.append(frame if isinstance(frame, protocol.Oversize) else len(frame.pop()))
        assert got == ([length] if expected == "request" else [expected])
        assert stream.position == 4 + length


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(1, 400))
def test_well_framed_payloads_come_back_unchanged(payloads: list[bytes], pipe: int) -> None:
    data = b"".join(struct.pack("=I", len(p)) + p for p in payloads)
    out, _ = frames(data, pipe)
    assert out == payloads


@settings(max_examples=20)
@given(st.integers(protocol.READ_CHUNK - 8, 3 * protocol.READ_CHUNK), st.integers(1, 70000))
def test_large_frames_are_read_into_place_whole(length: int, pipe: int) -> None:
    payload = bytes(range(256)) * (length // 256) + b"x" * (length % 256)
    data = struct.pack("=I", length) + payload + struct.pack("=I", 2) + b"{}"
    out, stream = frames(data, pipe)
    assert out == [payload, b"{}"]
    assert stream.largest_read <= max(length, protocol.READ_CHUNK)


@settings(max_examples=50)
@given(st.integers(protocol.MAX_REQUEST_BYTES + 1, 2**32 - 1), st.binary(max_size=64))
def test_oversize_declared_length_is_skipped_in_chunks(length: int, tail: bytes) -> None:
    out, stream = frames(struct.pack("=I", length) + tail)
    assert out == []  # cut short: end of input inside the skipped payload
    assert stream.largest_read <= protocol.READ_CHUNK


@given(st.binary(max_size=200), st.integers(0, 50))
def test_frame_cut_short_yields_nothing_for_it(payload: bytes, missing: int) -> None:
    missing = min(missing, len(payload))
    data = struct.pack("=I", len(payload)) + payload[: len(payload) - missing]
    out, _ = frames(data)
    assert out == ([payload] if missing == 0 else [])


def test_oversize_frame_then_valid_frame() -> None:
    length = protocol.MAX_REQUEST_BYTES + 5
    data = struct.pack("=I", length) + b"\0" * length + struct.pack("=I", 2) + b"{}"
    out, stream = frames(data)
    assert out == [protocol.Oversize(length), b"{}"]
    assert stream.largest_read == 65536  # skipped 64 KiB at a time: the host stays small


def test_a_16_mib_request_is_held_once_while_it_is_read() -> None:
    """A large frame is read into its own buffer, never copied (64 MiB requests): while
    it arrives 64 KiB at a time, the reader holds little more than one copy of it."""
    length = 16 * 1024 * 1024
    stream = SegmentStream([struct.pack("=I", length), length], 65536)
    reader = protocol.BrowserFrames(stream)
    tracemalloc.start()
    try:
        got: list[int] = []
        while not reader.ended:
            reader.fill()
            while (frame := reader.next_frame()) is not None:
                assert not isinstance(frame, protocol.Oversize)
                got.append(len(frame.pop()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == [length]
    assert peak < length + 2 * 1024 * 1024, peak  # not two copies, as joining pieces makes


def test_a_socket_frame_over_1_048_576_bytes_is_refused_as_its_header_arrives() -> None:
    """host <-> app: a frame's length is at most 1,048,576 bytes either way (the host
    answers larger requests itself, the app replaces larger replies)."""
    at_limit = protocol.SocketFrames()
    at_limit.feed(struct.pack(">BII", 3, 7, 1_048_576))
    assert at_limit.next_frame() is None  # the rest may follow
    assert at_limit.in_progress() == 9 + 1_048_576
    at_limit.feed(b"x" * 1_048_576)
    assert at_limit.next_frame() == (3, 7, b"x" * 1_048_576)
    over = protocol.SocketFrames()
    over.feed(struct.pack(">BII", 3, 7, 1_048_577))
    with pytest.raises(protocol.ProtocolError, match="1048577 bytes is over the limit"):
        over.next_frame()


@pytest.mark.parametrize("missing", [1, 70_000])
def test_a_large_frame_cut_short_yields_nothing(missing: int) -> None:
    """Read into place (larger than one read), then the input ends: nothing comes out."""
    length = 3 * 65536
    payload = b"p" * length
    out, _ = frames(struct.pack("=I", length) + payload[: length - missing])
    assert out == []


def test_importing_the_protocol_imports_neither_json_nor_typing() -> None:
    """The host imports host.protocol on every browser call: json and typing wait until
    a request needs them (``./dev bench host``)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; before = set(sys.modules); import host.protocol; "
            "print(sorted({'json', 'typing'} & (set(sys.modules) - before)))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout == "[]\n"
