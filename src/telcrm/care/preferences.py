"""The care side of one customer, for the campaigns card of the 360 page: the campaigns
they are in and in which group, the latest messages and suppressions, their vouchers, and
their contact preferences (consent per channel with source and time, opt-outs, the
do-not-contact list, the global holdout). Read-only; the caller has scoped the customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from telcrm.care.models import (
    CampaignMember,
    Channel,
    Consent,
    DoNotContact,
    HoldoutMember,
    OptOut,
    OutboxMessage,
    Suppression,
    VoucherCode,
)
from telcrm.core.masking import mask_address, mask_phone
from telcrm.customers.models import Customer

RECENT = 5


@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    label: str
    consent: Consent | None
    opted_out_at: dt.datetime | None

    @property
    def may_market(self) -> bool:
        """Consent in force and no opt-out: the policy's view, shown to the agent."""
        return bool(self.consent and self.consent.granted) and self.opted_out_at is None


@dataclass(frozen=True)
class SentRow:
    message: OutboxMessage
    to_masked: str


@dataclass(frozen=True)
class CustomerCare:
    memberships: list[CampaignMember]
    messages: list[SentRow]
    suppressions: list[Suppression]
    vouchers: list[VoucherCode]
    preferences: list[ChannelPreference]
    do_not_contact: DoNotContact | None
    in_holdout: bool


def masked_address(channel: str, to: str) -> str:
    """An address as the screens show it: a number or a postal address masked."""
    if channel in (Channel.SMS, Channel.CALL):
        return mask_phone(to)
    if channel == Channel.LETTER:
        return mask_address(to.splitlines()[0] if to else "")
    return to


def customer_panel(customer: Customer) -> CustomerCare:
    newest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(customer=customer).select_related("recorded_by").order_by("at", "id"):
        newest[consent.channel] = consent
    opted = dict(OptOut.objects.filter(customer=customer).values_list("channel", "at"))
    messages = (OutboxMessage.objects.filter(customer=customer).select_related("campaign", "firing__trigger")
                .order_by("-created_at", "-id")[:RECENT])
    return CustomerCare(
        memberships=list(CampaignMember.objects.filter(customer=customer).select_related("campaign")
                         .order_by("-drawn_at")[:RECENT]),
        messages=[SentRow(m, masked_address(m.channel, m.to)) for m in messages],
        suppressions=list(Suppression.objects.filter(customer=customer).select_related("campaign")
                          .order_by("-at")[:RECENT]),
        vouchers=list(VoucherCode.objects.filter(issued_to=customer).select_related("product")
                      .order_by("-issued_at")[:RECENT]),
        preferences=[ChannelPreference(ch, str(label), newest.get(ch), opted.get(ch))
                     for ch, label in Channel.choices],
        do_not_contact=DoNotContact.objects.filter(customer=customer).first(),
        in_holdout=HoldoutMember.objects.filter(customer=customer).exists(),
    )
