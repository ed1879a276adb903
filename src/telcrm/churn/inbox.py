"""The churn warnings inbox (流失预警): who sees which warned lines, follow-ups and their
outcomes, and which warned customers stayed.

The sources send warnings to the account manager (domain.md section 3); issue 3 adds the
regional care teams. Scope is the customers' scope (``policy.visible_customers``): an
account manager sees its own enterprises' lines, a service agent its region's, care &
marketing and managers everyone's. The inbox is ranked by expected value lost (risk x
value), so the lines worth most effort come first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telcrm.churn.models import FollowUp, FollowUpAction, FollowUpOutcome, Warning, WarningStatus
from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.core.masking import mask_phone, mask_text
from telcrm.customers.exports import ExportStream, export_rows
from telcrm.customers.models import SubscriptionStatus
from telcrm.customers.policy import customer_scope, visible_customers

#: The warning rules of ``analytics.warnings.RULES``, as the inbox names them.
RULE_LABELS = {
    "spend_decline": gettext_lazy("spend falling"),
    "usage_decline": gettext_lazy("usage falling"),
    "competitor_shift": gettext_lazy("calls shifting to competitors"),
    "complaints": gettext_lazy("repeated complaints"),
    "suspension": gettext_lazy("suspended"),
    "contract_end": gettext_lazy("contract ending"),
    "termination_request": gettext_lazy("termination request"),
}
NO_ACTION = ""
MONTHS_LISTED = 24


def rule_labels(codes: str) -> list[str]:
    """``"spend_decline,complaints"`` as the user reads it."""
    return [str(RULE_LABELS.get(c, c)) for c in codes.split(",") if c]


def _require(actor: User, perm: str, message: str) -> None:
    if not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDenied(message)


def scoped_warnings(actor: User) -> QuerySet[Warning]:
    """Every warning of a customer in the actor's scope (none for a role without the inbox)."""
    if not actor.is_authenticated or not actor.has_perm("churn.view_warning"):
        return Warning.objects.none()
    return Warning.objects.filter(customer_scope(actor, via="customer"))


def inbox_warnings(actor: User, *, month: dt.date | None = None,
                   status: str | None = None) -> QuerySet[Warning]:
    """The actor's inbox, highest expected loss first, with each warning's follow-ups."""
    _require(actor, "churn.view_warning", "your role has no warnings inbox")
    qs = scoped_warnings(actor)
    if month is not None:
        qs = qs.filter(month=month)
    if status:
        if status not in WarningStatus.values:
            raise ValidationFailed(f"status: unknown warning status {status!r}")
        qs = qs.filter(status=status)
    follow_ups = FollowUp.objects.select_related("assigned_to").order_by("-assigned_at", "-id")
    return (qs.select_related("customer", "subscription")
            .prefetch_related(Prefetch("follow_ups", follow_ups))
            .order_by("-expected_loss", "-probability", "id"))


def top_warnings(actor: User, *, count: int = 5) -> list[Warning]:
    """The newest month's warnings worth most, for a home page; each carries its
    ``reason_labels``."""
    months = warning_months(actor)
    if not months:
        return []
    warnings = list(inbox_warnings(actor, month=months[0])[:count])
    for w in warnings:
        w.reason_labels = rule_labels(w.rules)  # type: ignore[attr-defined]
    return warnings


def warning_months(actor: User) -> list[dt.date]:
    """The months the nightly run wrote warnings for, newest first (the month filter; at
    most ``MONTHS_LISTED``). One index seek per month down the (month, loss) index: a
    DISTINCT over every warning in the actor's scope cost a third of the inbox page."""
    if not actor.is_authenticated or not actor.has_perm("churn.view_warning"):
        return []
    months: list[dt.date] = []
    newest = Warning.objects.aggregate(m=Max("month"))["m"]
    while newest is not None and len(months) < MONTHS_LISTED:
        months.append(newest)
        newest = Warning.objects.filter(month__lt=newest).aggregate(m=Max("month"))["m"]
    return months


def get_warning(actor: User, *, warning_id: int) -> Warning:
    """One warning in the actor's scope; outside it "not found", like a customer."""
    warning = inbox_warnings(actor).filter(pk=warning_id).first()
    if warning is None:
        raise NotFound(f"warning {warning_id} not found")
    return warning


def _has(perm: str) -> Q:
    app_label, codename = perm.split(".")
    return Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)


def assignable_users(warning: Warning) -> QuerySet[User]:
    """Active staff who work the inbox and see the warning's customer (the assign form's
    choices): the roles that see everyone, its account manager, its region's agents. The
    same rule as ``policy.visible_customers``, read from the other side, so nobody is
    offered who could not open the follow-up, and no other staff names are shown."""
    customer = warning.customer
    sees = (_has("core.view_all_customers")
            | (_has("core.view_own_enterprises") & Q(pk=customer.account_manager_id))
            | (_has("core.view_region_customers") & Q(profile__region_id=customer.region_id)))
    # Separate filter() calls: each permission condition joins its own group permission.
    staff = User.objects.filter(is_active=True).filter(_has("churn.change_followup")).filter(sees)
    return (staff | User.objects.filter(is_active=True, is_superuser=True)).distinct().order_by("username")


def assign_follow_up(actor: User, *, warning: Warning, action: str, assignee: User,
                     due_on: dt.date | None = None, note: str = "") -> FollowUp:
    """Ask ``assignee`` to call, visit, make an offer or enrol the customer in a care
    campaign. The assignee must be able to see the customer: a follow-up nobody in scope
    can open would sit unseen."""
    _require(actor, "churn.add_followup", "your role may not assign follow-ups")
    if not scoped_warnings(actor).filter(pk=warning.pk).exists():
        raise NotFound(f"warning {warning.pk} not found")
    if action not in FollowUpAction.values:
        raise ValidationFailed(f"action: unknown follow-up action {action!r}")
    if not assignee.is_active or not assignee.has_perm("churn.change_followup") \
            or not visible_customers(assignee).filter(pk=warning.customer_id).exists():
        raise ValidationFailed("assigned_to: this user cannot work this customer's warnings")
    if due_on is not None and due_on < timezone.localdate():
        raise ValidationFailed("due_on: the due date has passed")
    follow_up = FollowUp.objects.create(warning=warning, action=action, assigned_to=assignee, assigned_by=actor,
                                        due_on=due_on, note=note.strip())
    Warning.objects.filter(pk=warning.pk).update(status=WarningStatus.ASSIGNED)
    return follow_up


def record_outcome(actor: User, *, follow_up: FollowUp, outcome: str, note: str = "") -> FollowUp:
    """Close a follow-up with what came of it; the warning is then handled. Only a final
    outcome may be recorded (``pending`` is where every follow-up starts)."""
    _require(actor, "churn.change_followup", "your role may not record follow-up outcomes")
    if not scoped_warnings(actor).filter(pk=follow_up.warning_id).exists():
        raise NotFound(f"follow-up {follow_up.pk} not found")
    if outcome not in FollowUpOutcome.values or outcome == FollowUpOutcome.PENDING:
        raise ValidationFailed(f"outcome: {outcome!r} is not a final outcome")
    follow_up.outcome = outcome
    follow_up.done_at = timezone.now()
    if note.strip():
        follow_up.note = "\n".join(p for p in (follow_up.note, note.strip()) if p)
    follow_up.save(update_fields=["outcome", "done_at", "note"])
    Warning.objects.filter(pk=follow_up.warning_id).update(status=WarningStatus.DONE)
    return follow_up


def get_follow_up(actor: User, *, follow_up_id: int) -> FollowUp:
    follow_up = FollowUp.objects.filter(pk=follow_up_id, warning__in=scoped_warnings(actor)).first()
    if follow_up is None:
        raise NotFound(f"follow-up {follow_up_id} not found")
    return follow_up


# --- who stayed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRow:
    """Warned lines whose latest follow-up was ``action`` (``""``: none), how many stayed
    (line still open, not recorded as gone) and how many were recorded as retained."""

    action: str
    label: str
    warned: int
    stayed: int
    retained: int

    @property
    def rate(self) -> float | None:
        return self.stayed / self.warned if self.warned else None


def _with_latest_follow_up(qs: QuerySet[Warning]) -> QuerySet[Warning]:
    latest = FollowUp.objects.filter(warning=OuterRef("pk")).order_by("-assigned_at", "-id")
    return qs.annotate(
        last_action=Coalesce(Subquery(latest.values("action")[:1]), Value(NO_ACTION)),
        last_outcome=Coalesce(Subquery(latest.values("outcome")[:1]), Value("")),
    )


_STAYED = ~Q(subscription__status=SubscriptionStatus.CLOSED) & ~Q(last_outcome=FollowUpOutcome.CHURNED)


def stayed_warnings(actor: User, *, month: dt.date) -> QuerySet[Warning]:
    """Lines warned in ``month`` that are still open and not recorded as gone."""
    _require(actor, "churn.view_warning", "your role has no warnings inbox")
    qs = _with_latest_follow_up(scoped_warnings(actor).filter(month=month)).filter(_STAYED)
    return qs.select_related("customer", "subscription").order_by("-expected_loss", "id")


def retention_by_action(actor: User, *, month: dt.date) -> list[RetentionRow]:
    """The retention rate of the lines warned in ``month`` by the action taken, in one
    GROUP BY; lines nobody followed up are the comparison row."""
    _require(actor, "churn.view_warning", "your role has no warnings inbox")
    qs = _with_latest_follow_up(scoped_warnings(actor).filter(month=month))
    rows = {
        r["last_action"]: r
        for r in qs.values("last_action").annotate(  # type: ignore[misc]  # an annotation, unknown to the stubs
            warned=Count("id"), stayed=Count("id", filter=_STAYED),
            retained=Count("id", filter=Q(last_outcome=FollowUpOutcome.RETAINED)),
        ).order_by("last_action")
    }
    labels = [*FollowUpAction.choices, (NO_ACTION, gettext_lazy("no follow-up"))]
    return [
        RetentionRow(action=a, label=str(label), warned=rows[a]["warned"], stayed=rows[a]["stayed"],
                     retained=rows[a]["retained"])
        for a, label in labels if a in rows
    ]


# --- export -------------------------------------------------------------------------------


EXPORT_CHUNK = 2000


def _export_rows(warnings: QuerySet[Warning]) -> Iterator[list[object]]:
    """Plain rows a chunk at a time, each chunk's latest follow-ups in one query, labels
    resolved once: building model instances and a prefetch per row cost most of the time."""
    statuses, actions, outcomes = ({k: str(v) for k, v in c.choices}
                                   for c in (WarningStatus, FollowUpAction, FollowUpOutcome))
    rules = {code: str(label) for code, label in RULE_LABELS.items()}
    rows = warnings.prefetch_related(None).values_list(
        "id", "month", "customer__customer_no", "customer__name", "subscription__msisdn", "probability",
        "expected_loss", "rules", "details", "status",
    ).iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(rows, EXPORT_CHUNK)):
        latest: dict[int, tuple[str, str, str]] = {}
        for warning_id, action, assignee, outcome in (
            FollowUp.objects.filter(warning_id__in=[r[0] for r in chunk]).order_by("warning_id", "assigned_at", "id")
            .values_list("warning_id", "action", "assigned_to__username", "outcome")
        ):
            latest[warning_id] = (actions.get(action, action), assignee, outcomes.get(outcome, outcome))
        for pk, month, number, name, msisdn, probability, loss, codes, details, status in chunk:
            yield [f"{month:%Y-%m}", number, name, mask_phone(msisdn), probability, loss,
                   ", ".join(rules.get(c, c) for c in codes.split(",") if c), mask_text(details),
                   statuses.get(status, status), *latest.get(pk, ("", "", ""))]


def export_inbox(actor: User, *, month: dt.date | None = None, status: str | None = None,
                 fmt: str = "csv") -> ExportStream:
    """The inbox as the actor sees it, masked and audited like every export (issue 2)."""
    warnings = inbox_warnings(actor, month=month, status=status)
    columns = [_("Month"), _("Customer number"), _("Customer"), _("Phone number"), _("Churn probability"),
               _("Expected value lost"), _("Reasons"), _("Figures"), _("Status"), _("Action"),
               _("Assigned to"), _("Outcome")]
    description = f"warnings month={month or 'all'} status={status or 'all'}"
    return export_rows(actor, title="churn warnings", columns=columns, rows=_export_rows(warnings), fmt=fmt,
                       description=description)
