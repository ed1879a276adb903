"""The one exception handler of the API: every failure becomes a TM Forum error object.

TMF630 (REST API design guidelines) gives every error response the same body,
``{"code", "reason", "message", "status", "@type": "Error"}``, so a client handles 400,
401, 403, 404, 405, 409 and 422 alike. Domain errors (``TelcrmError``) already carry their
code and HTTP status (architecture.md, convention 6); this module only renders them.
Texts pass through ``mask_text`` so that no phone or ID number typed by a client is
echoed back in an error (domain.md section 1: personal data masked everywhere).
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel, ConfigDict, Field

from telcrm.core.errors import TelcrmError
from telcrm.core.masking import mask_text

#: Location parts that name where a value came from, not which field it is.
_SOURCES = {"body", "query", "path", "header", "payload", "filters"}


class TmfError(BaseModel):
    """The TMF630 error object returned with every 4xx response."""

    model_config = ConfigDict(populate_by_name=True)

    code: str = Field(description="Machine-readable error code, e.g. `invalid`, `not_found`.")
    reason: str = Field(description="What went wrong, naming the field and the rule broken.")
    message: str = Field(description="Details: every problem found, one per line.")
    status: str = Field(description="The HTTP status code, as text.")
    type_: str = Field("Error", alias="@type")


class MethodNotAllowed(TelcrmError):
    """A method the resource does not support; ``allow`` lists the ones it does."""

    code = "method_not_allowed"
    status = 405

    def __init__(self, message: str, *, allow: tuple[str, ...]):
        super().__init__(message)
        self.allow = allow


def error_response(
    api: NinjaAPI, request: HttpRequest, *, status: int, code: str, reason: str,
    message: str | None = None,
) -> HttpResponse:
    body = {
        "code": code,
        "reason": mask_text(reason),
        "message": mask_text(message if message is not None else reason),
        "status": str(status),
        "@type": "Error",
    }
    return api.create_response(request, body, status=status)


def _field_path(error: dict) -> str:
    """``characteristic.idNumber`` from pydantic's location plus the ``field`` our
    validators put in the error context (a characteristic is named by its ``name``,
    not by its position in the list)."""
    parts = [str(p) for p in error.get("loc", ()) if p not in _SOURCES]
    extra = (error.get("ctx") or {}).get("field")
    if extra:
        parts.append(str(extra))
    return ".".join(parts) or "body"


def _problem(error: dict) -> str:
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{_field_path(error)}: {msg}"


def install_handlers(api: NinjaAPI) -> None:
    """Register the handlers; the order of registration does not matter, ninja picks the
    most specific exception class."""

    def on_domain_error(request: HttpRequest, exc: TelcrmError) -> HttpResponse:
        response = error_response(api, request, status=exc.status, code=exc.code, reason=exc.message)
        if isinstance(exc, MethodNotAllowed):
            response["Allow"] = ", ".join(exc.allow)
        return response

    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        problems = [_problem(e) for e in exc.errors]
        return error_response(
            api, request, status=422, code="invalid", reason=problems[0] if problems else "invalid request",
            message="\n".join(problems),
        )

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(
            api, request, status=401, code="unauthenticated",
            reason="send a valid API token as 'Authorization: Bearer tc_...' or sign in",
        )
        response["WWW-Authenticate"] = 'Bearer realm="telcrm"'
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        phrase = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return error_response(api, request, status=exc.status_code, code=phrase, reason=str(exc))

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", reason="not found")

    api.add_exception_handler(TelcrmError, on_domain_error)  # type: ignore[arg-type]  # ninja's stub wants a handler of classes too
    api.add_exception_handler(ValidationError, on_validation_error)  # type: ignore[arg-type]  # ninja's stub wants a handler of classes too
    api.add_exception_handler(AuthenticationError, on_unauthenticated)  # type: ignore[arg-type]  # ninja's stub wants a handler of classes too
    api.add_exception_handler(HttpError, on_http_error)  # type: ignore[arg-type]  # ninja's stub wants a handler of classes too
    api.add_exception_handler(Http404, on_not_found)  # type: ignore[arg-type]  # ninja's stub wants a handler of classes too
