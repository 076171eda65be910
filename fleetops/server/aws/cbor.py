"""A small CBOR codec (RFC 8949): what the ``smithy-rpc-v2-cbor`` protocol sends and receives.

Decodes every major type (indefinite lengths included, as botocore may stream them) into
Python values: ints, bytes, str, list, dict, bool, None, float; tag 1 (epoch seconds) becomes
an aware ``datetime``. Encodes the same values back, a ``datetime`` as tag 1 with a float, the
way Smithy's RPC v2 CBOR protocol writes timestamps.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime
from typing import Any

_BREAK = 0xFF


class CborError(ValueError):
    """A body that is not well-formed CBOR."""


def loads(data: bytes) -> Any:
    """The one data item in ``data``."""
    decoder = _Decoder(data)
    value = decoder.item()
    if decoder.position != len(data):
        raise CborError(f"{len(data) - decoder.position} bytes after the CBOR data item")
    return value


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def _take(self, count: int) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise CborError("the CBOR data ends in the middle of an item")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def _argument(self, info: int) -> int | None:
        if info < 24:
            return info
        if info == 31:
            return None  # indefinite length
        sizes = {24: 1, 25: 2, 26: 4, 27: 8}
        if info not in sizes:
            raise CborError(f"reserved additional information {info}")
        return int.from_bytes(self._take(sizes[info]), "big")

    def item(self) -> Any:
        initial = self._take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self._simple(info)
        argument = self._argument(info)
        if major == 0:
            return _definite(argument)
        if major == 1:
            return -1 - _definite(argument)
        if major in (2, 3):
            raw = self._chunks(major) if argument is None else self._take(argument)
            if major == 3:
                try:
                    return raw.decode()
                except UnicodeDecodeError as err:
                    raise CborError("a CBOR text string is not UTF-8") from err
            return raw
        if major == 4:
            if argument is None:
                items = []
                while not self._at_break():
                    items.append(self.item())
                return items
            return [self.item() for _ in range(argument)]
        if major == 5:
            out: dict[Any, Any] = {}
            if argument is None:
                while not self._at_break():
                    key = self.item()
                    out[key] = self.item()
                return out
            for _ in range(argument):
                key = self.item()
                out[key] = self.item()
            return out
        # major 6: a tag
        value = self.item()
        if argument == 1 and isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        return value

    def _chunks(self, major: int) -> bytes:
        parts = []
        while not self._at_break():
            initial = self._take(1)[0]
            if initial >> 5 != major:
                raise CborError("an indefinite string holds a chunk of another type")
            parts.append(self._take(_definite(self._argument(initial & 0x1F))))
        return b"".join(parts)

    def _at_break(self) -> bool:
        if self.position >= len(self.data):
            raise CborError("the CBOR data ends before an indefinite item's break")
        if self.data[self.position] == _BREAK:
            self.position += 1
            return True
        return False

    def _simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return _half(self._take(2))
        if info == 26:
            return float(struct.unpack(">f", self._take(4))[0])
        if info == 27:
            return float(struct.unpack(">d", self._take(8))[0])
        raise CborError(f"unsupported CBOR simple value {info}")


def _definite(argument: int | None) -> int:
    if argument is None:
        raise CborError("an indefinite length where a number is needed")
    return argument


def _half(raw: bytes) -> float:
    half = int.from_bytes(raw, "big")
    exponent, mantissa = (half >> 10) & 0x1F, half & 0x3FF
    if exponent == 0:
        value = math.ldexp(mantissa, -24)
    elif exponent == 31:
        value = math.inf if mantissa == 0 else math.nan
    else:
        value = math.ldexp(mantissa + 1024, exponent - 25)
    return -value if half & 0x8000 else value


def dumps(value: Any) -> bytes:
    """``value`` encoded as one CBOR data item."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _head(major: int, argument: int, out: bytearray) -> None:
    if argument < 24:
        out.append(major << 5 | argument)
    elif argument < 1 << 8:
        out += bytes((major << 5 | 24, argument))
    elif argument < 1 << 16:
        out.append(major << 5 | 25)
        out += argument.to_bytes(2, "big")
    elif argument < 1 << 32:
        out.append(major << 5 | 26)
        out += argument.to_bytes(4, "big")
    else:
        out.append(major << 5 | 27)
        out += argument.to_bytes(8, "big")


def _encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if value >= 0:
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    elif isinstance(value, bytes):
        _head(2, len(value), out)
        out += value
    elif isinstance(value, str):
        raw = value.encode()
        _head(3, len(raw), out)
        out += raw
    elif isinstance(value, datetime):
        _head(6, 1, out)
        _encode(value.timestamp(), out)
    elif isinstance(value, list | tuple):
        _head(4, len(value), out)
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        _head(5, len(value), out)
        for key, item in value.items():
            _encode(key, out)
            _encode(item, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")
