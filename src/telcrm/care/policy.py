"""The contact policy: the one function that decides whether a customer may be contacted
now, on a channel, for a purpose (issue 4, "Contact policy (enforced in one place, for
every channel)"). Pure: the facts about the customer and the time are passed in, so every
rule can be tested case by case and read against the issue.

Marketing (营销) goes only to a customer who
- is not on the do-not-contact list and not in the global holdout (which receives no
  marketing, so the programme as a whole is measured against it);
- has consented to marketing on the channel (the newest grant or withdrawal counts, so a
  withdrawal is honoured from the moment it is recorded) and has not opted out of it
  (a reply of TD or 退订, an unsubscribe link);
- has an address on the channel;
- has not been contacted this week by a campaign of higher priority (priority 1 is the
  highest): when several campaigns want the same customer, the more important one has
  them;
- is under the frequency cap of the channel across all campaigns (at most N marketing
  contacts in a period of days);
- is inside the contact window (08:00 to 21:00 by default) in the customer's own time
  zone, on the channels that reach a person at once (SMS, call, email); outside it the
  message waits for the window to open rather than being dropped.

Care that serves the customer's own account (a suspension notice, 停机关怀) needs no
consent, and neither opt-outs, the holdout nor the caps stop it, but its content is held
to a stricter rule: it may carry no offer (``has_offer``), or it is suppressed as
marketing dressed as care. It needs an address, and keeps its own (optional) window.

The checks run in the order above; a suppressed contact is recorded with the first reason
that applies. When the worker is about to send a decided message it asks again with
``at_send=True``: the standing rules (consent, opt-out, do-not-contact, holdout, window)
are checked afresh so a withdrawal between decision and send still stops it, while the
caps and priority, which counted the message when it was decided, are not counted again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from telcrm.care.choices import Channel, Purpose, SuppressionReason


@dataclass(frozen=True)
class FrequencyCap:
    """At most ``contacts`` marketing contacts on a channel within ``days`` days."""

    contacts: int
    days: int


@dataclass(frozen=True)
class Window:
    """Hours in which a contact may be made, local time, ``start`` inclusive and ``end``
    exclusive (08:00-21:00: a message at 20:59 goes, one at 21:00 waits)."""

    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(21, 0)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"a contact window must start before it ends ({self.start} - {self.end})")

    def opens_at(self, moment: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
        """None when ``moment`` is inside the window, else the next moment it opens."""
        local = moment.astimezone(zone)
        if self.start <= local.time() < self.end:
            return None
        day = local.date() if local.time() < self.start else local.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, self.start, tzinfo=zone)


def _default_caps() -> dict[str, FrequencyCap]:
    return {
        Channel.SMS: FrequencyCap(4, 30),
        Channel.EMAIL: FrequencyCap(8, 30),
        Channel.CALL: FrequencyCap(2, 30),
        Channel.LETTER: FrequencyCap(2, 30),
    }


@dataclass(frozen=True)
class PolicyConfig:
    """The configurable part of the policy (``CARE_POLICY`` in the settings, see
    care/services.py ``policy_config``)."""

    marketing_window: Window = field(default_factory=Window)
    care_window: Window | None = None
    window_channels: frozenset[str] = frozenset({Channel.SMS, Channel.EMAIL, Channel.CALL})
    caps: Mapping[str, FrequencyCap] = field(default_factory=_default_caps)
    priority_days: int = 7


@dataclass(frozen=True)
class PriorContact:
    """A marketing contact already decided for the customer (queued or sent)."""

    channel: str
    at: dt.datetime
    campaign_id: int | None
    priority: int


@dataclass(frozen=True)
class CustomerFacts:
    """What the policy needs to know about one customer. ``consent`` maps a channel to
    the newest recorded grant (True) or withdrawal (False); a channel missing from it has
    no consent. ``prior`` are the customer's marketing contacts of the last weeks."""

    time_zone: str
    address: str
    consent: Mapping[str, bool] = field(default_factory=dict)
    opted_out: frozenset[str] = frozenset()
    do_not_contact: bool = False
    in_holdout: bool = False
    prior: Sequence[PriorContact] = ()


@dataclass(frozen=True)
class ContactRequest:
    purpose: str
    channel: str
    at: dt.datetime
    campaign_id: int | None = None
    priority: int = 5
    has_offer: bool = False


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SUPPRESS = "suppress"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: SuppressionReason | None = None
    not_before: dt.datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.action is Action.SEND


SEND = Decision(Action.SEND)
# Decisions are values: one per reason, made once (the policy runs for millions of customers).
_SUPPRESSED = {reason: Decision(Action.SUPPRESS, reason=reason) for reason in SuppressionReason}


def _suppress(reason: SuppressionReason) -> Decision:
    return _SUPPRESSED[reason]


_zone = functools.lru_cache(maxsize=64)(ZoneInfo)


def _window(window: Window | None, request: ContactRequest, facts: CustomerFacts, config: PolicyConfig) -> Decision:
    if window is None or request.channel not in config.window_channels:
        return SEND
    opens = window.opens_at(request.at, _zone(facts.time_zone))
    return SEND if opens is None else Decision(Action.DEFER, reason=SuppressionReason.QUIET_HOURS, not_before=opens)


def _care(request: ContactRequest, facts: CustomerFacts, config: PolicyConfig) -> Decision:
    if not facts.address:
        return _suppress(SuppressionReason.NO_ADDRESS)
    if request.has_offer:
        return _suppress(SuppressionReason.CARE_CONTENT)
    return _window(config.care_window, request, facts, config)


def _outranked(request: ContactRequest, facts: CustomerFacts, config: PolicyConfig) -> bool:
    since = request.at - dt.timedelta(days=config.priority_days)
    return any(
        p.at > since and p.priority < request.priority and p.campaign_id != request.campaign_id
        for p in facts.prior
    )


def _capped(request: ContactRequest, facts: CustomerFacts, config: PolicyConfig) -> bool:
    cap = config.caps.get(request.channel)
    if cap is None:
        return False
    since = request.at - dt.timedelta(days=cap.days)
    return sum(1 for p in facts.prior if p.channel == request.channel and p.at > since) >= cap.contacts


def decide(
    request: ContactRequest, facts: CustomerFacts, config: PolicyConfig, *, at_send: bool = False
) -> Decision:
    """Send, defer to ``not_before`` (outside the window), or suppress with a reason."""
    if request.at.tzinfo is None:
        raise ValueError("the policy needs an aware time")
    if request.purpose == Purpose.CARE:
        return _care(request, facts, config)
    if request.purpose != Purpose.MARKETING:
        raise ValueError(f"unknown purpose {request.purpose!r}")
    if facts.do_not_contact:
        return _suppress(SuppressionReason.DO_NOT_CONTACT)
    if facts.in_holdout:
        return _suppress(SuppressionReason.HOLDOUT)
    if not facts.consent.get(request.channel, False):
        return _suppress(SuppressionReason.NO_CONSENT)
    if request.channel in facts.opted_out:
        return _suppress(SuppressionReason.OPTED_OUT)
    if not facts.address:
        return _suppress(SuppressionReason.NO_ADDRESS)
    if not at_send:
        if _outranked(request, facts, config):
            return _suppress(SuppressionReason.LOWER_PRIORITY)
        if _capped(request, facts, config):
            return _suppress(SuppressionReason.FREQUENCY_CAP)
    return _window(config.marketing_window, request, facts, config)


class Decider:
    """``decide`` for many customers at once (a campaign's whole audience): customers
    whose facts are the same as far as the request can tell (the same channel consent
    and opt-out, lists, time zone, earlier contacts) get the same decision, so it is
    taken once per distinct case, not once per customer. The rules are ``decide``'s."""

    def __init__(self, config: PolicyConfig, *, at_send: bool = False):
        self.config, self.at_send = config, at_send
        self._known: dict[tuple, Decision] = {}

    def __call__(self, request: ContactRequest, facts: CustomerFacts) -> Decision:
        channel = request.channel
        key = (request, facts.time_zone, bool(facts.address), facts.consent.get(channel),
               channel in facts.opted_out, facts.do_not_contact, facts.in_holdout, tuple(facts.prior))
        decision = self._known.get(key)
        if decision is None:
            decision = self._known[key] = decide(request, facts, self.config, at_send=self.at_send)
        return decision
