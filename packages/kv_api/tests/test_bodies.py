"""Reading bodies to the limit plus one byte, whatever the transfer encoding."""

from __future__ import annotations

import io

import pytest

from kv_api.bodies import read_body
from kv_core.errors import InvalidInput, PayloadTooLarge

LIMIT = 100


class Trickle(io.RawIOBase):
    """A stream that hands out a few bytes per read, as a socket may."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        taken, self.data = self.data[:3], self.data[3:]
        return taken


def environ(data: bytes, *, length: str | None, stream: io.RawIOBase | None = None) -> dict:
    env = {"wsgi.input": stream or io.BytesIO(data), "wsgi.input_terminated": True}
    if length is not None:
        env["CONTENT_LENGTH"] = length
    return env


@pytest.mark.parametrize("size", [0, 1, LIMIT])
def test_a_chunked_body_up_to_the_limit_is_read_whole(size):
    data = b"x" * size
    assert read_body(environ(data, length=None), LIMIT) == data
    assert read_body(environ(data, length=None, stream=Trickle(data)), LIMIT) == data


@pytest.mark.parametrize("size", [LIMIT + 1, 10 * LIMIT])
def test_a_chunked_body_over_the_limit_is_refused_not_cut(size):
    data = b"x" * size
    for env in (environ(data, length=None), environ(data, length=None, stream=Trickle(data))):
        with pytest.raises(PayloadTooLarge) as caught:
            read_body(env, LIMIT)
        assert caught.value.code == "payload_too_large"


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    stream = io.BytesIO(b"x" * 500)
    with pytest.raises(PayloadTooLarge):
        read_body(environ(b"", length=str(LIMIT + 1), stream=stream), LIMIT)
    assert stream.tell() == 0


def test_a_declared_length_is_where_reading_stops():
    assert read_body(environ(b"abcdef", length="3"), LIMIT) == b"abc"


def test_without_a_length_or_a_terminated_stream_there_is_no_body():
    """The server has not said where the body ends, so nothing is read (werkzeug's
    safe fallback): the request gets the empty body's 400, never a hang."""
    env = {"wsgi.input": io.BytesIO(b"[1]")}
    assert read_body(env, LIMIT) == b""


class Broken(io.RawIOBase):
    """A chunked body whose framing breaks after a few bytes, as servers report it."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.given = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self.given:
            self.given = True
            return b"[1"
        raise self.error


class ChunkSizeError(Exception):
    """Like gunicorn's InvalidChunkSize, which is no OSError."""


@pytest.mark.parametrize("error", [OSError("Invalid chunk header"), ChunkSizeError("zz")])
def test_a_body_the_server_cannot_read_is_invalid_input(error):
    with pytest.raises(InvalidInput) as caught:
        read_body(environ(b"", length=None, stream=Broken(error)), LIMIT)
    assert caught.value.code == "unreadable_body"
