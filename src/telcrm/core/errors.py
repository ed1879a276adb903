"""Domain errors: one base class carrying a code and an HTTP status (architecture.md, 6).

Each adapter has one handler: the API turns them into a TMF error object, the UI into a
message, the CLI into an exit code.
"""

from __future__ import annotations


class TelcrmError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ValidationFailed(TelcrmError):
    code = "invalid"
    status = 422


class NotFound(TelcrmError):
    code = "not_found"
    status = 404


class PermissionDenied(TelcrmError):
    code = "forbidden"
    status = 403


class Conflict(TelcrmError):
    code = "conflict"
    status = 409
