"""Property tests of the browser-side frame reader: no input crashes, hangs it or makes
it hold more than the limits allow."""

from __future__ import annotations

import io
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from host import protocol


class CountingStream(io.BytesIO):
    """A BytesIO that records the largest single read asked of it."""

    largest_read = 0

    def read(self, size: int | None = -1) -> bytes:
        self.largest_read = max(self.largest_read, size if size is not None else -1)
        return super().read(size)


def frames(data: bytes) -> tuple[list[bytes | protocol.Oversize], CountingStream]:
    stream = CountingStream(data)
    out: list[bytes | protocol.Oversize] = []
    for frame in protocol.read_browser_frames(stream):
        out.append(frame if isinstance(frame, protocol.Oversize) else frame.pop())
    return out, stream


@given(st.binary(max_size=4096))
def test_any_bytes_end_cleanly_within_limits(data: bytes) -> None:
    out, stream = frames(data)
    assert stream.tell() == len(data) or not out or stream.tell() <= len(data)
    assert stream.largest_read <= protocol.MAX_REQUEST_BYTES
    assert sum(len(f) for f in out if isinstance(f, bytes)) <= len(data)


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_well_framed_payloads_come_back_unchanged(payloads: list[bytes]) -> None:
    data = b"".join(struct.pack("=I", len(p)) + p for p in payloads)
    out, _ = frames(data)
    assert out == payloads


@settings(max_examples=50)
@given(st.integers(protocol.MAX_REQUEST_BYTES + 1, 2**32 - 1), st.binary(max_size=64))
def test_oversize_declared_length_is_skipped_in_chunks(length: int, tail: bytes) -> None:
    out, stream = frames(struct.pack("=I", length) + tail)
    assert out == []  # cut short: end of input inside the skipped payload
    assert stream.largest_read <= protocol.SKIP_CHUNK


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
    assert stream.largest_read == protocol.SKIP_CHUNK
