"""Campaigns from draft to finish (issue 4, "Audiences and campaigns", "Measuring effect").

A marketing campaign is approved by a manager (not its owner) before any send. Starting
it draws the audience, splits it at random into treatment and control (the seed kept on
the campaign, so the draw can be reproduced), and decides the first step for every
treated member in the same transaction: each message goes to the outbox or, refused by
the contact policy, to the suppressions with its reason. Later steps are decided when
they fall due (``advance_campaigns``, run daily by ``telcrm care triggers``).

Every function here is called inside the caller's transaction (architecture.md, 4).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcrm.care import contacts, outbox
from telcrm.care.audiences import audience_customer_ids, count_customers
from telcrm.care.channels import sms_text
from telcrm.care.channels.email import unsubscribe_url
from telcrm.care.channels.render import VARIABLES, VariableMissing, render_message
from telcrm.care.choices import (
    CampaignStatus,
    Channel,
    Group,
    Language,
    ProductKind,
    Purpose,
    SuppressionReason,
)
from telcrm.care.contacts import User, require
from telcrm.care.models import (
    Campaign,
    CampaignMember,
    CampaignStep,
    CareProduct,
    ProgrammeFeedback,
    Suppression,
    Template,
    VoucherCode,
)
from telcrm.care.vouchers import new_code, valid_until
from telcrm.core.errors import Conflict, NotFound, ValidationFailed
from telcrm.core.masking import mask_address, mask_phone
from telcrm.customers.models import Customer, CustomerStatus, Subscription
from telcrm.customers.policy import get_visible_customer, visible_customers

#: How a marketing SMS tells the customer to opt out, added when its text does not.
OPT_OUT_HINT = {Language.ZH_HANS: "回复TD退订", Language.EN: "Reply TD to opt out"}
#: Products handed out as a single-use code in the message.
CODED_PRODUCTS = (ProductKind.VOUCHER, ProductKind.E_COUPON, ProductKind.TICKET)


@dataclass(frozen=True)
class Started:
    treatment: int
    control: int
    decided: outbox.Enqueued


def compose(template: Template, *, customer: Customer, line: Subscription | None, language: str,
            extra: dict[str, object] | None = None) -> tuple[str, str]:
    """Subject and body of ``template`` for one customer, in their language (Chinese
    when the template has no English text)."""
    english = language == Language.EN and template.body_en.strip()
    subject = template.subject_en if english else template.subject_zh
    body = template.body_en if english else template.body_zh
    context = {**contacts.message_context(customer, line), **(extra or {})}
    try:
        return render_message(subject, context), render_message(body, context)
    except ValidationFailed as error:
        raise type(error)(f"{template.name}, customer {customer.customer_no}: {error.message}") from None


def count_audience(actor: User, *, filters: dict[str, Any]) -> int:
    """The audience builder's live count: customers the filters select today."""
    require(actor, "care.view_audience")
    return count_customers(filters)


def template_variables_help() -> list[tuple[str, str]]:
    """The variables a message may use, with what each holds, for the editor."""
    return [(name, str(label)) for name, label in VARIABLES.items()]


@dataclass(frozen=True)
class Preview:
    customer_no: str
    to_masked: str
    channel_label: str
    language_label: str
    subject: str
    body: str
    segments: int


def _masked_address(channel: str, to: str) -> str:
    if channel in (Channel.SMS, Channel.CALL):
        return mask_phone(to)
    if channel == Channel.LETTER:
        return mask_address(to.splitlines()[0] if to else "")
    return to


def preview_message(
    actor: User, *, campaign: Campaign, step: int, customer_no: str | None = None, language: str | None = None
) -> Preview:
    """The real message of a step for one sample customer (``customer_no``, else the first
    of the audience), as they would get it; the address shown masked."""
    require(actor, "care.view_campaign")
    chosen = campaign.steps.select_related("template").filter(number=step).first()
    if chosen is None:
        raise NotFound(f"the campaign has no step {step}")
    if customer_no:
        customer = get_visible_customer(actor, customer_no)
    else:
        if campaign.audience is None:
            raise ValidationFailed("the campaign has no audience to take a sample customer from")
        ids = audience_customer_ids(campaign.audience.filters, limit=50)
        customer = visible_customers(actor).filter(pk__in=ids).order_by("pk").first()  # type: ignore[assignment]
        if customer is None:
            raise NotFound("the audience holds no customer you may see")
    line = contacts.primary_lines([customer.pk]).get(customer.pk)
    language = language or contacts.language_of([customer.pk]).get(customer.pk, Language.ZH_HANS)
    if language not in Language.values:
        raise ValidationFailed(f"unknown language {language!r}")
    drafts = _drafts(campaign, chosen, [customer], timezone.now(), preview=True, language=language)
    subject, body = drafts[0].subject, drafts[0].body
    segments = len(sms_text.encode(body, key="preview").parts) if chosen.channel == Channel.SMS and body else 0
    return Preview(
        customer_no=customer.customer_no, to_masked=_masked_address(chosen.channel, contacts.address(
            customer, chosen.channel, line)), channel_label=str(Channel(chosen.channel).label),
        language_label=str(Language(language).label), subject=subject, body=body, segments=segments,
    )


def approve_campaign(actor: User, *, campaign: Campaign, at: dt.datetime | None = None) -> Campaign:
    require(actor, "care.approve_campaign")
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(f"only a draft can be approved; this campaign is {campaign.get_status_display()}")
    if campaign.owner_id == actor.pk:
        raise ValidationFailed("a campaign is approved by a manager other than its owner")
    if not campaign.steps.exists():
        raise ValidationFailed("a campaign needs at least one step before approval")
    campaign.status, campaign.approved_at = CampaignStatus.APPROVED, at or timezone.now()
    campaign.approved_by = actor  # type: ignore[assignment]  # a signed-in manager, never anonymous
    campaign.save(update_fields=["status", "approved_by", "approved_at"])
    return campaign


def _draw(campaign: Campaign, customer_ids: list[int], at: dt.datetime) -> tuple[int, int]:
    """Random treatment and control, drawn before any send (issue 4)."""
    if campaign.seed is None:
        campaign.seed = secrets.randbits(48)
    order = sorted(customer_ids)
    random.Random(campaign.seed).shuffle(order)
    n_control = round(len(order) * float(campaign.control_share))
    control = set(order[:n_control])
    CampaignMember.objects.bulk_create([
        CampaignMember(campaign=campaign, customer_id=cid, group=Group.CONTROL if cid in control else Group.TREATMENT,
                       drawn_at=at)
        for cid in sorted(customer_ids)
    ], batch_size=1000)
    campaign.drawn_at = at
    return len(order) - n_control, n_control


def start_campaign(actor: User, *, campaign: Campaign, at: dt.datetime | None = None) -> Started:
    """Draw the members (first start) or resume a paused campaign, and decide its due steps."""
    require(actor, "care.run_campaign")
    at = at or timezone.now()
    allowed = {CampaignStatus.APPROVED, CampaignStatus.PAUSED}
    if campaign.purpose == Purpose.CARE:
        allowed.add(CampaignStatus.DRAFT)
    if campaign.status not in allowed:
        hint = " (marketing needs a manager's approval first)" if campaign.status == CampaignStatus.DRAFT else ""
        raise Conflict(f"a campaign that is {campaign.get_status_display()} cannot start{hint}")
    if not campaign.steps.exists():
        raise ValidationFailed("the campaign has no steps")
    if campaign.drawn_at is None:
        if campaign.audience is None:
            raise ValidationFailed("the campaign has no audience")
        ids = audience_customer_ids(campaign.audience.filters)
        live: set[int] = set()
        for start in range(0, len(ids), 10_000):  # a bounded IN list, whatever the audience's size
            live.update(Customer.objects.filter(pk__in=ids[start:start + 10_000])
                        .exclude(status=CustomerStatus.MERGED).values_list("pk", flat=True))
        treatment, control = _draw(campaign, [i for i in ids if i in live], at)
        _check_budget(campaign, treatment)
    else:
        members = CampaignMember.objects.filter(campaign=campaign)
        treatment, control = (members.filter(group=Group.TREATMENT).count(),
                              members.filter(group=Group.CONTROL).count())
    campaign.status = CampaignStatus.RUNNING
    campaign.starts_at = campaign.starts_at or at
    campaign.save(update_fields=["status", "starts_at", "seed", "drawn_at"])
    return Started(treatment=treatment, control=control, decided=dispatch_due(campaign, at=at))


def _check_budget(campaign: Campaign, treatment: int) -> None:
    cost = campaign.cost_per_contact * treatment * campaign.steps.count()
    if (product := campaign.product) is not None:
        cost += product.unit_cost * treatment
    if campaign.budget and cost > campaign.budget:
        raise ValidationFailed(
            f"{treatment} contacts would cost {cost:.2f}, over the budget of {campaign.budget:.2f}"
        )


def dispatch_due(campaign: Campaign, *, at: dt.datetime) -> outbox.Enqueued:
    """Decide every step of a running campaign that has fallen due for its treated
    members, in step order. A member's ``step`` records the last one decided, so a step
    is decided once whoever calls this and however often."""
    total = outbox.Enqueued()
    if campaign.status != CampaignStatus.RUNNING or campaign.starts_at is None:
        return total
    for step in campaign.steps.select_related("template").order_by("number"):
        if campaign.starts_at + dt.timedelta(days=step.delay_days) > at:
            break
        members = list(CampaignMember.objects.filter(campaign=campaign, group=Group.TREATMENT, step__lt=step.number)
                       .select_related("customer__region"))
        for start in range(0, len(members), 1000):
            chunk = members[start:start + 1000]
            decided = outbox.enqueue(_drafts(campaign, step, [m.customer for m in chunk], at), at=at)
            CampaignMember.objects.filter(pk__in=[m.pk for m in chunk]).update(step=step.number)
            total.queued += decided.queued
            total.deferred += decided.deferred
            total.duplicates += decided.duplicates
            total.suppressed.update(decided.suppressed)
    return total


def _drafts(campaign: Campaign, step: CampaignStep, customers: list[Customer], at: dt.datetime, *,
            preview: bool = False, language: str | None = None) -> list[outbox.Draft]:
    """The messages of ``step`` for ``customers``; a preview issues no voucher code."""
    ids = [c.pk for c in customers]
    lines = contacts.primary_lines(ids)
    languages = contacts.language_of(ids)
    coded = campaign.product is not None and campaign.product.kind in CODED_PRODUCTS
    if preview:
        codes = {c.pk: "EXAMPLE-CODE" for c in customers} if coded else {}
    else:
        codes = _issue_codes(campaign, customers, at) if step.number == min_step(campaign) else {}
    drafts = []
    for customer in customers:
        reads = language or languages.get(customer.pk, Language.ZH_HANS)
        extra: dict[str, object] = {"voucher_code": codes[customer.pk]} if customer.pk in codes else {}
        marketing = campaign.purpose == Purpose.MARKETING
        if marketing:
            extra["unsubscribe_url"] = unsubscribe_url(customer.pk, step.channel)
        try:
            subject, body = compose(step.template, customer=customer, line=lines.get(customer.pk), language=reads,
                                    extra=extra)
        except VariableMissing:
            if preview:
                raise
            # One customer without a value (no open line for {{ plan }}) does not stop the
            # campaign: their contact is recorded as suppressed, with the reason.
            Suppression.objects.create(customer=customer, campaign=campaign, step=step.number, channel=step.channel,
                                       reason=SuppressionReason.CONTENT_MISSING, at=at)
            continue
        if marketing and step.channel == Channel.SMS and "TD" not in body.upper() and "退订" not in body:
            body = f"{body} {OPT_OUT_HINT.get(Language(reads), OPT_OUT_HINT[Language.ZH_HANS])}"
        drafts.append(outbox.Draft(
            customer=customer, channel=step.channel, purpose=campaign.purpose, body=body, subject=subject,
            step=step.number, campaign=campaign, has_offer=campaign.product_id is not None,
        ))
    return drafts


def min_step(campaign: Campaign) -> int:
    first = campaign.steps.order_by("number").values_list("number", flat=True).first()
    return first or 1


def _issue_codes(campaign: Campaign, customers: list[Customer], at: dt.datetime) -> dict[int, str]:
    """One single-use code per treated member for a coded product (issued once)."""
    product: CareProduct | None = campaign.product
    if product is None or product.kind not in CODED_PRODUCTS:
        return {}
    have = dict(VoucherCode.objects.filter(campaign=campaign, issued_to__in=customers)
                .values_list("issued_to_id", "code"))
    expires = valid_until(product, at)
    fresh = [VoucherCode(product=product, code=new_code(product), campaign=campaign, issued_to=c, issued_at=at,
                         expires_at=expires) for c in customers if c.pk not in have]
    VoucherCode.objects.bulk_create(fresh, batch_size=1000)
    return have | {v.issued_to_id: v.code for v in fresh}  # type: ignore[misc, return-value]  # issued_to is set


def pause_campaign(actor: User, *, campaign: Campaign, at: dt.datetime | None = None) -> Campaign:
    """Hold a running campaign: the worker leaves its queued messages until it resumes
    (``at`` is taken for the page's uniform actions; pausing has no time of its own)."""
    require(actor, "care.run_campaign")
    if campaign.status != CampaignStatus.RUNNING:
        raise Conflict("only a running campaign can be paused")
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status"])
    return campaign


def finish_campaign(actor: User, *, campaign: Campaign, at: dt.datetime | None = None) -> Campaign:
    """End a campaign; what it had not yet handed to a channel is withdrawn and recorded."""
    require(actor, "care.run_campaign")
    if campaign.status == CampaignStatus.FINISHED:
        raise Conflict("the campaign is finished already")
    at = at or timezone.now()
    outbox.suppress_queued(campaign=campaign, reason=SuppressionReason.CAMPAIGN_ENDED, at=at)
    campaign.status, campaign.ends_at = CampaignStatus.FINISHED, campaign.ends_at or at
    campaign.save(update_fields=["status", "ends_at"])
    return campaign


def advance_campaigns(*, at: dt.datetime) -> dict[str, int]:
    """Decide the steps that fell due in every running campaign (the daily run)."""
    queued = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.RUNNING):
        queued += dispatch_due(campaign, at=at).queued
    return {"campaign messages queued": queued}


def record_feedback(actor: User, *, campaign: Campaign, customer: Customer, aware: bool,
                    satisfaction: int | None = None, at: dt.datetime | None = None) -> ProgrammeFeedback:
    """What a member of the target group said when asked (a survey call): aware of the
    programme, and how satisfied (1-5). Once per member; asking again replaces it."""
    require(actor, "care.work_calltask")
    customer = get_visible_customer(actor, customer.customer_no)
    if not CampaignMember.objects.filter(campaign=campaign, customer=customer).exists():
        raise ValidationFailed("the customer is not in this campaign's target group")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationFailed("satisfaction is a score from 1 to 5")
    feedback, _created = ProgrammeFeedback.objects.update_or_create(
        campaign=campaign, customer=customer,
        defaults={"aware": aware, "satisfaction": satisfaction, "at": at or timezone.now()},
    )
    return feedback


#: The status actions of the campaign page, each ``(actor, *, campaign, at)``.
CAMPAIGN_ACTIONS = {
    "approve": approve_campaign,
    "start": start_campaign,
    "pause": pause_campaign,
    "finish": finish_campaign,
}
_ACTION_LABELS = {"approve": _("Approve"), "start": _("Start"), "pause": _("Pause"), "finish": _("Finish")}


def allowed_actions(actor: User, *, campaign: Campaign) -> list[tuple[str, str]]:
    """The actions this user may take on the campaign in its status (the buttons shown);
    the services check again when one is taken."""
    status, marketing = campaign.status, campaign.purpose == Purpose.MARKETING
    possible = {
        "approve": status == CampaignStatus.DRAFT and marketing and actor.has_perm("care.approve_campaign")
        and campaign.owner_id != actor.pk,
        "start": actor.has_perm("care.run_campaign") and (
            status in (CampaignStatus.APPROVED, CampaignStatus.PAUSED) or (status == CampaignStatus.DRAFT
                                                                           and not marketing)),
        "pause": status == CampaignStatus.RUNNING and actor.has_perm("care.run_campaign"),
        "finish": status != CampaignStatus.FINISHED and status != CampaignStatus.DRAFT
        and actor.has_perm("care.run_campaign"),
    }
    return [(action, str(_ACTION_LABELS[action])) for action, ok in possible.items() if ok]
