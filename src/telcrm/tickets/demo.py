"""The service desk of the demo operator: a few hundred tickets over the last months,
worked through the real services on their own clock (opened, answered, handed to the back
office, refunded, resolved, escalated by the SLA sweep when late, called back), so the
queue, the board and the KPIs show figures the rules produced; plus China Mobile's three
complaint cases (domain.md section 5), open in the demo agent's queue to be worked.

Idempotent: a database that has tickets already is left as it is. Deterministic for a seed.
Worked by the demo's staff (its agent, supervised by its manager): without them, nothing.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable
from decimal import Decimal
from io import TextIOBase
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from telcrm.billing.models import BillSummary
from telcrm.core.errors import TelcrmError
from telcrm.core.models import Region, UserProfile
from telcrm.core.roles import Role
from telcrm.customers.models import Subscription
from telcrm.tickets import complaints, refunds, return_visits, services, source_cases, work_orders
from telcrm.tickets.models import (
    Category,
    Resolution,
    ReturnVisit,
    ReturnVisitStatus,
    Team,
    Ticket,
    TicketKind,
)
from telcrm.tickets.sweep import sweep_sla

SH = ZoneInfo("Asia/Shanghai")
#: Desk staff beside the demo users: they own tickets (for per-agent figures) but do not sign in.
DESK = {"pd-desk": ("SH-PD", ["desk_wang", "desk_zhao"]), "xh-desk": ("SH-XH", ["desk_sun", "desk_zhou"])}
CATEGORIES = {
    TicketKind.COMPLAINT: ["billing.disputed_charge", "billing.promotion", "vas_sp.unrequested",
                           "suspension_credit.arrears", "staff_attitude"],
    TicketKind.FAULT: ["network_quality.coverage", "network_quality.data", "handset", "roaming"],
    TicketKind.INQUIRY: ["billing", "roaming", "number_services"],
    TicketKind.REQUEST: ["provisioning", "number_services"],
}
RESOLUTION = {TicketKind.COMPLAINT: Resolution.EXPLANATION, TicketKind.FAULT: Resolution.FIXED,
              TicketKind.INQUIRY: Resolution.ANSWERED, TicketKind.REQUEST: Resolution.PROVISIONED}
CHANNELS = ["call_centre"] * 6 + ["business_hall"] * 2 + ["web", "app", "sms"]


def _desk_user(username: str, region: Region) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": username[5:].title()})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=Role.SERVICE_AGENT.value))
        UserProfile.objects.create(user=user, region=region)
    return user


def _teams() -> dict[str, tuple[Team, list[User]]]:
    """Two desk teams; the demo agent works in Pudong; the demo manager supervises both, so
    refunds above the agent limit go to it."""
    manager = User.objects.filter(username="manager").first()
    demo_agent = User.objects.filter(username="agent").first()
    teams = {}
    for code, (region_code, names) in DESK.items():
        region = Region.objects.get(code=region_code)
        members = [_desk_user(n, region) for n in names]
        if demo_agent is not None and region_code == "SH-PD":
            members.insert(0, demo_agent)
        team, _ = Team.objects.get_or_create(code=code, defaults={
            "name": f"{region.name}服务台", "region": region, "supervisor": manager, "manager": manager})
        team.members.add(*members)
        teams[code] = (team, members)
    return teams


def _lines(region_code: str, rng: random.Random, n: int) -> list[Subscription]:
    """Active lines of the region that have bills (a complaint is verified against them)."""
    billed = list(BillSummary.objects.filter(subscription__region__code=region_code,
                                             subscription__status="active")
                  .order_by("subscription_id").values_list("subscription_id", flat=True).distinct()[:5000])
    if not billed:
        return []
    chosen = rng.sample(billed, min(n, len(billed)))
    return list(Subscription.objects.filter(pk__in=chosen).select_related("customer", "plan", "account"))


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), SH) + dt.timedelta(minutes=rng.randrange(0, 8 * 60))


class _Clock:
    """Events in time order: each ticket's later steps wait in a heap until the clock
    reaches them, and the SLA sweep runs before each new ticket, as it would every minute."""

    def __init__(self) -> None:
        self.heap: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.n = 0

    def later(self, when: dt.datetime, step: Callable[[], object]) -> None:
        self.n += 1
        heapq.heappush(self.heap, (when, self.n, step))

    def run_until(self, now: dt.datetime) -> None:
        while self.heap and self.heap[0][0] <= now:
            when, _, step = heapq.heappop(self.heap)
            sweep_sla(now=when)
            _safely(step)


def _safely(step: Callable[[], object]) -> bool:
    """One step in its own savepoint: a step the rules refuse leaves no trace."""
    try:
        with transaction.atomic():
            step()
    except TelcrmError:
        return False
    return True


def _work(rng: random.Random, clock: _Clock, t: Ticket, owner: User, manager: User | None,
          now: dt.datetime) -> None:
    """What happens to one ticket after it is opened."""
    opened = t.opened_at
    reply = opened + dt.timedelta(minutes=rng.randrange(5, 90))
    clock.later(reply, lambda: services.add_note(owner, ticket=t, kind="reply", at=reply,
                                                 text="已受理，正在核实处理。", work_minutes=rng.randrange(3, 12)))
    target = t.sla_policy.resolution_minutes if t.sla_policy else 540
    # Most tickets finish within their target, about one in six is late.
    business = target * rng.choice([0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9, 1.4])
    done = opened + dt.timedelta(minutes=business * 24 * 60 / 540 if business > 60 else business)
    if t.kind == TicketKind.FAULT and rng.random() < 0.4:
        split = reply + dt.timedelta(minutes=30)

        def send() -> None:
            order = work_orders.split_work_order(owner, ticket=t, team="network", description="现场排查", at=split)
            finish = done - dt.timedelta(minutes=20)
            clock.later(finish, lambda: work_orders.complete_work_order(
                owner, work_order_id=order.pk, result="已调整基站参数", at=finish))
        clock.later(split, send)
    clock.later(done, lambda: _resolve(rng, t, owner, manager, done))


def _resolve(rng: random.Random, t: Ticket, owner: User, manager: User | None, at: dt.datetime) -> None:
    t.refresh_from_db()
    resolution = RESOLUTION[TicketKind(t.kind)]
    services.add_note(owner, ticket=t, kind="internal", at=at, text="核查完毕，整理处理记录。",
                      work_minutes=rng.randrange(2, 25))
    if t.kind == TicketKind.COMPLAINT:
        bill = BillSummary.objects.filter(subscription=t.subscription).order_by("-month").first()
        if bill is None:
            return
        complaints.attach_evidence(owner, ticket=t, kind="bill", record_id=bill.pk, at=at)
        if rng.random() < 0.35:
            amount = Decimal(rng.choice(["10.00", "20.00", "30.00", "80.00", "150.00"]))
            refund = refunds.request_refund(owner, ticket=t, amount=amount, reason="核实后退还多收费用", at=at)
            if refund.status == "pending" and manager is not None:
                refunds.decide_refund(manager, refund_id=refund.pk, approve=True, at=at)
            resolution = Resolution.REFUND
    services.resolve_ticket(owner, ticket=t, version=t.version, resolution=resolution,
                            note="已向客户说明处理结果。", at=at)


def _open(owner: User, line: Subscription, kind: str, category: Category, channel: str,
          opened: dt.datetime) -> Ticket | None:
    try:
        with transaction.atomic():
            return services.open_ticket(owner, customer=line.customer, subscription=line, kind=kind,
                                        category=category, channel=channel, subject=category.name_zh,
                                        description="客户来电反映", at=opened)
    except TelcrmError:
        return None


def _call_back(rng: random.Random, now: dt.datetime) -> int:
    """Return visits that fell due, made by the ticket's owner: most on time, a few late, a
    few not reached."""
    made = 0
    due = ReturnVisit.objects.filter(status=ReturnVisitStatus.SCHEDULED, due_at__lt=now).select_related("ticket__owner")
    for visit in due.order_by("due_at"):
        when = min(now, visit.due_at - dt.timedelta(hours=rng.randrange(-30, 60)))
        when = max(when, visit.created_at + dt.timedelta(hours=1))
        reached = rng.random() < 0.85
        score = rng.choice([10, 10, 9, 9, 9, 8, 8, 7, 6, 4])
        if _safely(lambda v=visit, w=when, r=reached, s=score: return_visits.record_outcome(  # type: ignore[misc]
                v.ticket.owner, visit_id=v.pk, reachable=r, satisfaction=s if r else None,
                solved=(s >= 6) if r else None, at=w, note="回访")):
            made += 1
    return made


def _source_cases(now: dt.datetime) -> list[Ticket]:
    """The three cases, opened this morning in the demo agent's queue."""
    agent = User.objects.filter(username="agent").first()
    if agent is None:
        return []
    lines = (Subscription.objects.filter(region__code="SH-PD", status="active", customer__kind="individual")
             .select_related("customer", "plan", "account").order_by("id"))
    # The stopped line must have a credit limit above its arrears: that is the complaint.
    stop_line = lines.filter(account__credit_limit__gte=100).first()
    others = list(lines.exclude(pk=stop_line.pk)[:2]) if stop_line else []
    if stop_line is None or len(others) < 2:
        return []
    opened = now - dt.timedelta(hours=2)
    sp_line, promo_line = others
    source_cases.sp_charge_case(sp_line, ordered_at=now - dt.timedelta(days=95))
    source_cases.spam_stop_case(stop_line, stopped_at=now - dt.timedelta(days=1))
    source_cases.promotion_case(promo_line, since=(now - dt.timedelta(days=400)).date(),
                                switched=(now - dt.timedelta(days=65)).date())
    cases = [(sp_line, "vas_sp.unrequested", "不认识的SP扣费：每月10元手机报"),
             (stop_line, "suspension_credit.monitor_stop", "未超信用额度却被停机"),
             (promo_line, "billing.promotion", "办理流量包后老用户优惠没了")]
    return [services.open_ticket(agent, customer=line.customer, subscription=line, kind=TicketKind.COMPLAINT,
                                 category=Category.objects.get(code=code), channel="call_centre",
                                 subject=subject, description=subject, at=opened)
            for line, code, subject in cases]


def seed_demo_tickets(*, out: TextIOBase, count: int = 300, days: int = 150, seed: int = 5,
                      now: dt.datetime | None = None) -> int:
    """Build the demo desk; the number of tickets made (0 when it was there already)."""
    existing = Ticket.objects.count()
    if existing:
        out.write(f"Service desk: {existing} tickets there already\n")
        return 0
    if User.objects.filter(username__in=["agent", "manager"]).count() != 2:
        out.write("Service desk: the demo's agent and manager are not there (telcrm demo makes them)\n")
        return 0
    now = (now or timezone.now()).astimezone(SH)
    rng = random.Random(seed)
    with transaction.atomic():
        teams = _teams()
        manager = User.objects.filter(username="manager").first()
        pool = [(members, line) for _team, members in teams.values()
                for line in _lines(_team.region.code if _team.region else "SH-PD", rng, count // 2)]
        if not pool:
            out.write("Service desk: no billed lines to open tickets for\n")
            return 0
        clock = _Clock()
        start = (now - dt.timedelta(days=days)).date()
        openings = sorted(_moment(rng, start + dt.timedelta(days=rng.randrange(days))) for _ in range(count))
        kinds = [TicketKind.COMPLAINT] * 3 + [TicketKind.FAULT] * 3 + [TicketKind.INQUIRY] * 3 + [TicketKind.REQUEST]
        made = 0
        for opened in openings:
            clock.run_until(opened)
            members, line = rng.choice(pool)
            owner, kind = rng.choice(members), rng.choice(kinds)
            category = Category.objects.get(code=rng.choice(CATEGORIES[kind]))
            ticket = _open(owner, line, kind, category, rng.choice(CHANNELS), opened)
            if ticket is not None:
                made += 1
                _work(rng, clock, ticket, owner, manager, now)
        clock.run_until(now)
        sweep_sla(now=now)
        visits = _call_back(rng, now)
        sweep_sla(now=now)  # tickets the return visits reopened start a new clock
        cases = _source_cases(now)
    out.write(f"Service desk: {made} tickets over {days} days, {visits} return visits made, "
              f"{len(cases)} source complaints in the demo agent's queue\n")
    return made
