"""``AwsError``: an error answered in the shape of the protocol the request came in."""

from __future__ import annotations


class AwsError(Exception):
    """An AWS error: ``code`` is an error shape of the service's model (its code and HTTP
    status are taken from there) or a generic code (``ValidationError``, ``AccessDenied``...)
    answered with ``status`` (default 400)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def validation(message: str) -> AwsError:
    """A ``ValidationError`` (query and EC2 protocols say so; JSON ones ``ValidationException``,
    which the JSON serializer answers instead)."""
    return AwsError("ValidationError", message)
