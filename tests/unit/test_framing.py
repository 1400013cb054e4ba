"""Property tests of the browser-side frame reader: no input crashes, hangs it or makes
it hold more than the limits allow."""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING

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


@given(st.binary(max_size=4096))
def test_any_bytes_end_cleanly_within_limits(data: bytes) -> None:
    out, stream = frames(data)
    assert stream.tell() == len(data) or not out or stream.tell() <= len(data)
    assert stream.largest_read <= protocol.MAX_REQUEST_BYTES
    assert sum(len(f) for f in out if isinstance(f, bytes)) <= len(data)


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
    assert stream.largest_read == protocol.READ_CHUNK
