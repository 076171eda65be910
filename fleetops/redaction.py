"""Redaction of secret values from anything fleetops records, sends or prints.

A secret is recognised in two ways:

- by its *value*: a :class:`Redactor` is a pipeline of plain text steps (the shape of structlog's
  processors) run over every text that leaves an instance or the control plane: log excerpts,
  failure causes, health reasons, notifications, execution histories, API responses.
  :func:`secret_redactor` is the pipeline fleetops uses: the environment's current and previous
  secret values (:class:`SecretValues`, their source read on each use, so a value generated or
  rotated later is covered too), then the passwords of URLs (:func:`url_passwords`).
- by its *key* (:func:`redact`, for the audit log's arguments): a value is secret when the key
  it sits under names a secret: one of its words (split on ``_ - . space`` and camelCase) is
  ``password``, ``secret``, ``token``, ``key``… Identifiers *of* secrets stay readable: a key
  whose last word is ``name``, ``id``, ``arn``… (``secret_name``, ``key_id``) is not redacted.
  Everything under a secret key, whatever its type, becomes ``"***"``; URL passwords in the
  other strings are redacted too.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

REDACTED = "***"

SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "credential",
        "credentials",
        "authorization",
        "cookie",
        "private",
        "dsn",
    }
)
"""Words that make a key secret."""

IDENTIFIER_WORDS = frozenset({"name", "names", "id", "ids", "arn", "arns", "label", "labels", "count"})
"""Last words that make a key name a secret rather than hold one."""

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^/\s]+(?=@)")


def key_words(key: str) -> list[str]:
    """The lower-case words of a key: ``"dbPassword_v2"`` -> ``["db", "password", "v2"]``."""
    return [word.lower() for word in _WORD.findall(key)]


def is_secret_key(key: str) -> bool:
    """Whether values under ``key`` are secret (see the module docstring)."""
    words = key_words(key)
    if not words or words[-1] in IDENTIFIER_WORDS:
        return False
    return any(word in SECRET_WORDS for word in words)


def redact(value: Any) -> Any:
    """A copy of ``value`` (JSON-like: mappings, lists, scalars) with secret values replaced by ``"***"``."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_key(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``"***"``."""
    return _URL_PASSWORD.sub(lambda match: match["head"] + REDACTED, text)


url_passwords = redact_text
"""The text step that removes URL passwords (``postgres://u:***@h``)."""

MIN_SECRET_LENGTH = 4
"""Shorter secret values are refused: replacing them would garble ordinary words, and letting
them through would leak them."""

TextStep = Callable[[str], str]
"""One step of a :class:`Redactor`: a text in, the text with something removed out."""
SecretSource = Callable[[], Iterable[str]]
"""Where a :class:`SecretValues` step reads the values to remove (current and previous ones)."""


class SecretValues:
    """Replaces every value ``source()`` gives, as written and as spelled inside JSON text, with
    ``***``. ``source`` is read on each use (cheap: the sources keep their values in memory);
    the pattern is compiled again only when the values changed. ``ValueError`` for a value
    shorter than :data:`MIN_SECRET_LENGTH`."""

    def __init__(self, source: SecretSource) -> None:
        if not callable(source):
            raise TypeError(f"the source of secret values must be callable, got {type(source).__name__}")
        self._source = source
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._compile(frozenset(source()))

    @classmethod
    def of(cls, values: Iterable[str]) -> SecretValues:
        """A step over a fixed set of values."""
        fixed = frozenset(values)
        return cls(lambda: fixed)

    def _compile(self, values: frozenset[str]) -> re.Pattern[str] | None:
        with self._lock:
            if values == self._values:
                return self._pattern
            short = [value for value in values if len(value) < MIN_SECRET_LENGTH]
            if short:
                raise ValueError(
                    f"{len(short)} secret value(s) shorter than {MIN_SECRET_LENGTH} characters cannot "
                    "be redacted reliably"
                )
            # Inside JSON text (a history's input and output, a stored document) a value with a
            # quote or a backslash is spelled escaped: both spellings go.
            spellings = {form for value in values for form in (value, json.dumps(value)[1:-1])}
            # Longest first, so a value containing another is replaced whole.
            ordered = sorted(spellings, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
            self._values = values
            return self._pattern

    def __call__(self, text: str) -> str:
        pattern = self._compile(frozenset(self._source()))
        return pattern.sub(REDACTED, text) if pattern is not None else text

    def snapshot(self) -> TextStep:
        """This step with ``source`` read once, now: for the many strings of one value. The
        source may be costly (a control plane's asks each of its environments), and a history
        event has dozens of strings."""
        pattern = self._compile(frozenset(self._source()))
        if pattern is None:
            return _unchanged
        return lambda text: pattern.sub(REDACTED, text)


def _unchanged(text: str) -> str:
    return text


class Redactor:
    """Runs its text steps in order over a text, or over every string (keys included) of a
    JSON-like value."""

    def __init__(self, steps: Sequence[TextStep]) -> None:
        bad = [step for step in steps if not callable(step)]
        if bad:
            raise TypeError(f"redaction steps must be callables taking and returning a text, got {bad!r}")
        self.steps = tuple(steps)

    def text(self, text: str) -> str:
        """``text`` with every step applied."""
        for step in self.steps:
            text = step(text)
        return text

    __call__ = text

    def value(self, value: Any) -> Any:
        """A copy of ``value`` (mappings, lists, tuples, scalars) with every string redacted
        (secret values read once for the whole value)."""
        steps = tuple(step.snapshot() if isinstance(step, SecretValues) else step for step in self.steps)

        def text(item: str) -> str:
            for step in steps:
                item = step(item)
            return item

        return _each_string(value, text)


def _each_string(value: Any, text: TextStep) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Mapping):
        return {
            text(key) if isinstance(key, str) else key: _each_string(item, text)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_each_string(item, text) for item in value]
    return value


def secret_redactor(source: SecretSource = tuple) -> Redactor:
    """The redaction fleetops applies where text leaves an instance or the control plane: the
    values ``source()`` gives (an environment's current and previous secret values), then URL
    passwords."""
    return Redactor([SecretValues(source), url_passwords])
