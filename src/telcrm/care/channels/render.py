"""Message content with variables, rendered safely for every channel.

Campaign and trigger templates are written by care and marketing staff in Chinese and
English ("尊敬的{{ name }}，您的{{ plan }}本月积分{{ points }}"). They are rendered with
Django's template engine, but a locked-down one: only text, ``{{ variable|filter }}`` and
``{% if %}`` are allowed (no ``load``, ``include`` or ``url`` tags that reach files or code),
only the variables of :data:`VARIABLES` may be named, and a variable the context lacks is
an error instead of Django's silent empty string, so no customer ever gets "尊敬的，".
Email HTML is autoescaped; SMS and letters are plain text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import IfNode
from django.utils.translation import gettext_lazy as _

from telcrm.core.errors import ValidationFailed

#: The variables a message template may use, with what they hold (domain.md section 4:
#: personalised care, "name, plan, points, amount due" of issue 4).
VARIABLES: dict[str, object] = {
    "name": _("Customer's name"),
    "plan": _("Plan name"),
    "points": _("Loyalty points"),
    "amount_due": _("Amount due (CNY)"),
    "due_date": _("Payment due date"),
    "grace_days": _("Suspension-care grace days"),
    "voucher_code": _("Voucher or e-coupon code"),
    "unsubscribe_url": _("Unsubscribe link"),
}


class TemplateInvalid(ValidationFailed):
    """A template that cannot be rendered safely: bad syntax, a tag outside the allowed
    few, or a variable outside :data:`VARIABLES`."""

    code = "template_invalid"


class VariableMissing(ValidationFailed):
    """The template names a variable this customer's context has no value for."""

    code = "template_variable_missing"


class _Missing(str):
    """Django's ``string_if_invalid``: formatting it with the missing variable's name raises,
    turning the engine's silent empty string into an error."""

    def __mod__(self, name: object) -> str:
        raise VariableMissing(str(_("The message uses {{ %(name)s }}, which has no value here.") % {"name": name}))

    def __contains__(self, key: str) -> bool:  # type: ignore[override]
        return key == "%s"


@cache
def _engine(html: bool) -> Engine:
    return Engine(autoescape=html, libraries={}, loaders=[], string_if_invalid=_Missing("%s"))


def _expressions(node: Node) -> Iterator[FilterExpression]:
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, nodelist in node.conditions_nodelists:
            if condition is not None:
                yield from _condition_expressions(condition)
            for child in nodelist:
                yield from _expressions(child)
    elif isinstance(node, TextNode):
        if "{{" in node.s or "{%" in node.s:
            raise TemplateInvalid(str(_("A variable or tag in the message is not closed.")))
    else:
        raise TemplateInvalid(str(_("Only text, {{ variables }} and {% if %} are allowed in a message.")))


def _condition_expressions(condition: object) -> Iterator[FilterExpression]:
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for side in (getattr(condition, "first", None), getattr(condition, "second", None)):
        if side is not None:
            yield from _condition_expressions(side)


def _names(expression: FilterExpression) -> Iterator[str]:
    variables = [expression.var] + [arg for _func, args in expression.filters for _lookup, arg in args]
    for var in variables:
        if isinstance(var, Variable) and var.lookups is not None:
            yield var.lookups[0]


def template_variables(source: str) -> list[str]:
    """Check ``source`` and return the variables it uses, in first-use order; raises
    :class:`TemplateInvalid` for bad syntax, a disallowed tag or an unknown variable. The
    campaign editor calls it on save so a broken template never reaches the outbox."""
    try:
        template = _engine(False).from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(str(_("The message template is not valid: %(error)s") % {"error": exc})) from exc
    names: list[str] = []
    for node in template.nodelist:
        for expression in _expressions(node):
            for name in _names(expression):
                if name not in VARIABLES:
                    message = _("Unknown variable {{ %(name)s }}; a message may use: %(known)s")
                    raise TemplateInvalid(str(message) % {"name": name, "known": ", ".join(VARIABLES)})
                if name not in names:
                    names.append(name)
    return names


def render_message(source: str, context: Mapping[str, object], *, html: bool = False) -> str:
    """The message for one customer. ``html=True`` escapes the values for an email body;
    otherwise the text is left as written (SMS, letters). Raises :class:`TemplateInvalid`
    or :class:`VariableMissing`; never returns a message with a hole in it."""
    template_variables(source)
    template = _engine(html).from_string(source)
    return template.render(Context(dict(context), autoescape=html))
