"""Intrinsics for encoding and hashing: States.Base64Encode, States.Base64Decode and
States.Hash (AWS Step Functions, "Intrinsics for data encoding and decoding", "Intrinsic for
hash calculation")."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from fleetops.engine.expressions.intrinsics.values import failure, string

MAX_INPUT_CHARS = 10000
ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _limited(function: str, value: Any) -> str:
    text = string(function, value)
    if len(text) > MAX_INPUT_CHARS:
        raise failure(
            function, f"the input has {len(text)} characters; at most {MAX_INPUT_CHARS} are allowed"
        )
    return text


def base64_encode(value: Any) -> str:
    """AWS: "Encodes data based on MIME Base64 encoding scheme." Input: up to 10,000 characters."""
    return base64.b64encode(_limited("Base64Encode", value).encode("utf-8")).decode("ascii")


def base64_decode(value: Any) -> str:
    """AWS: "Decodes data based on MIME Base64 decoding scheme." Input: up to 10,000 characters."""
    text = _limited("Base64Decode", value)
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as err:
        raise failure("Base64Decode", f"the input is not Base64-encoded UTF-8 text: {err}") from err


def states_hash(value: Any, algorithm: Any) -> str:
    """AWS: "Calculates the hash value of a given input." Algorithms: MD5, SHA-1, SHA-256, SHA-384,
    SHA-512; input up to 10,000 characters; the result is lower-case hexadecimal."""
    text = _limited("Hash", value)
    name = string("Hash", algorithm, "algorithm")
    if name not in ALGORITHMS:
        raise failure("Hash", f"the algorithm must be one of {', '.join(ALGORITHMS)}, got {name!r}")
    return hashlib.new(ALGORITHMS[name], text.encode("utf-8")).hexdigest()
