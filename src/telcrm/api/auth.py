"""Who is calling: a personal API token, or the signed-in user of the web app.

The API acts with the caller's own permissions and scope (issue 2, "API tokens per user
with the same permissions"), so both methods resolve to a Django user and every handler
passes that user to the services as the actor.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from telcrm.core.tokens import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tc_...``; the token's user must be active and the token not
    revoked. ``authenticate_token`` also records when the token was last used, so an
    administrator can spot tokens nobody uses any more."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The web app's session cookie, with Django's CSRF check on unsafe methods.

    Unlike ninja's own ``SessionAuth`` the CSRF check runs only once a session user is
    known: a script that sends a wrong token and no cookie gets 401 (authenticate),
    not 403 (CSRF), which would send its author looking in the wrong place.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


#: Tried in this order: a client that sends a token is judged by its token.
API_AUTH = [TokenAuth(), SessionAuth()]


def caller(request: HttpRequest) -> User:
    """The user a request authenticated as (ninja puts it on ``request.auth``); every
    handler passes it to the services as the actor."""
    return cast(User, request.auth)  # type: ignore[attr-defined]
