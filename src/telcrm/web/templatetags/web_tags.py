"""Template helpers shared by every page: the signed-in user's role for the top bar."""

from __future__ import annotations

from django import template

from telcrm.core.masking import mask_text
from telcrm.core.roles import Role, role_of

register = template.Library()


@register.simple_tag(takes_context=True)
def current_role(context: template.Context) -> Role | None:
    """The role shown next to the user's name; cached on the request (one query a page)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    if not hasattr(request, "_telcrm_role"):
        request._telcrm_role = role_of(request.user)
    return request._telcrm_role


@register.filter
def masked_text(value: object) -> str:
    """Free text (notes, messages) with any phone or ID number in it masked."""
    return mask_text(str(value or ""))


@register.filter
def detail_text(detail: object) -> str:
    """An audit entry's detail as ``key: value`` pairs, numbers in it masked."""
    if not isinstance(detail, dict):
        return mask_text(str(detail or ""))
    return mask_text(" · ".join(f"{k}: {v}" for k, v in detail.items()))
