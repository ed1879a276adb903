"""The demo's care and marketing (``telcrm demo``, after the nightly runs): care products,
templates and the triggers of issue 4, saved audiences, and three campaigns that show
every screen:

- a finished marketing campaign (a 5G data e-coupon by SMS to VIP customers) started two
  months before the lake's newest month, with its control group, the vouchers it issued,
  and its history: messages recorded delivered and responses drawn at random with a
  known uplift over control (redemptions in treatment only; top-ups in both groups at
  6% against 4%), plus a survey of awareness and satisfaction. Like the simulator's
  bills this history is synthetic; the effect page measures it as it would a real one;
- a running care campaign of outbound calls to VIP and growth customers with a churn
  warning, which fills the agents' work list;
- a marketing SMS campaign waiting for a manager's approval.

Marketing needs consent: three customers in four are recorded as having consented to
SMS in their service contract, and a global holdout of 2% is drawn. Each step is skipped
when its result exists, so a second run reuses everything; it takes seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from io import TextIOBase
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from telcrm.care import contacts, editor, services, vouchers
from telcrm.care.audiences import nightly_files
from telcrm.care.models import (
    Audience,
    Campaign,
    CampaignMember,
    CampaignResponse,
    CampaignStatus,
    CareProduct,
    Consent,
    ConsentSource,
    Group,
    HoldoutMember,
    OutboxMessage,
    OutboxStatus,
    ProgrammeFeedback,
    ResponseKind,
    Template,
    Trigger,
    TriggerKind,
    VoucherCode,
)
from telcrm.core.errors import NotFound
from telcrm.customers.models import Customer, CustomerKind, CustomerStatus

SEED = 20260101
CONSENT_SHARE = 0.75
HOLDOUT_SHARE = 0.02
SHANGHAI = ZoneInfo("Asia/Shanghai")

PRODUCTS = [
    ("SUSPEND", "停机关怀", "service_item", "0", "0", None, "VIP 欠费时先提醒并给予宽限期，不直接停机"),
    ("AIRPORT", "机场贵宾服务", "service_item", "0", "80", None, "全球通 VIP 机场贵宾厅"),
    ("HANDSET", "手机俱乐部", "service_item", "0", "15", None, "VIP 换机优惠与以旧换新"),
    ("DATA5G", "5G 流量券 10GB", "e_coupon", "20", "2", 30, "扫码领取的 10GB 5G 流量"),
    ("CINEMA", "观影券", "ticket", "50", "25", 60, "合作影院观影券"),
    ("GIFT", "生日礼品", "gift", "30", "18", None, "生日关怀礼品"),
]

#: (name, kind, channel, conditions, delay, Chinese text, English text)
TRIGGERS = [
    ("VIP 停机关怀", TriggerKind.SUSPENSION_CARE, "sms", {"min_stars": 4, "grace_days": 7}, 0,
     "尊敬的{{ name }}，您的账户欠费{{ amount_due }}元，我们为您保留{{ grace_days }}天服务，请及时缴费。",
     "Dear {{ name }}, your account is {{ amount_due }} CNY in arrears; service continues for {{ grace_days }} days."),
    ("生日祝福", TriggerKind.BIRTHDAY, "sms", {}, 0,
     "{{ name }}，生日快乐！感谢您一直以来的支持。", "Happy birthday, {{ name }}! Thank you for staying with us."),
    ("入网周年", TriggerKind.TENURE, "sms", {"years": [1, 3, 5, 10]}, 0,
     "{{ name }}，感谢您与我们同行又一年。", "{{ name }}, thank you for another year with us."),
    ("账单异常提醒", TriggerKind.BILL_SHOCK, "sms", {"ratio": 2.0, "min_amount": 100.0}, 0,
     "{{ name }}，您本月费用明显高于平时，可登录网上营业厅查看详单。",
     "{{ name }}, this month's bill is well above your usual; see the itemised bill online."),
    ("高流失风险关怀", TriggerKind.CHURN_WARNING, "call", {"min_risk": 0.6}, 1,
     "致电{{ name }}，了解使用体验，介绍适合的{{ plan }}优惠。",
     "Call {{ name }} about their experience and {{ plan }}."),
    ("工单解决回访", TriggerKind.TICKET_RESOLVED, "sms", {}, 1,
     "{{ name }}，您反映的问题已处理，感谢您的耐心。", "{{ name }}, the issue you reported is resolved. Thank you."),
    ("合约到期提醒", TriggerKind.CONTRACT_END, "sms", {"days_before": 30}, 0,
     "{{ name }}，您的合约将于30天内到期，续约可享优惠。", "{{ name }}, your contract ends within 30 days."),
    ("春节问候", TriggerKind.DATE, "sms", {"month": 2, "day": 17}, 0,
     "{{ name }}，新春快乐，万事如意！", "{{ name }}, happy Spring Festival!"),
]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _products() -> dict[str, CareProduct]:
    out = {}
    for code, name, kind, face, cost, days, description in PRODUCTS:
        out[code] = CareProduct.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "face_value": Decimal(face), "unit_cost": Decimal(cost),
            "valid_days": days, "description": description})[0]
    return out


def _triggers(products: dict[str, CareProduct]) -> int:
    made = 0
    for name, kind, channel, conditions, delay, zh, en in TRIGGERS:
        if Trigger.objects.filter(name=name).exists():
            continue
        template = Template.objects.create(name=f"触发: {name}", channel=channel, purpose="care", body_zh=zh,
                                           body_en=en)
        Trigger.objects.create(name=name, kind=kind, conditions=conditions, delay_days=delay, channel=channel,
                               template=template, product=products["SUSPEND"] if kind == TriggerKind.SUSPENSION_CARE
                               else None)
        made += 1
    return made


def _consents(at: dt.datetime) -> int:
    """Contract consent to marketing SMS for three individual customers in four."""
    if Consent.objects.filter(source=ConsentSource.CONTRACT).exists():
        return 0
    rng = random.Random(SEED)
    ids = (Customer.objects.filter(kind=CustomerKind.INDIVIDUAL).exclude(status=CustomerStatus.MERGED)
           .order_by("pk").values_list("pk", flat=True))
    rows = [Consent(customer_id=pk, channel="sms", granted=True, source=ConsentSource.CONTRACT, at=at)
            for pk in ids if rng.random() < CONSENT_SHARE]
    Consent.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _campaign(care: User, name: str, audience: Audience, fields: dict, steps: list[editor.StepContent]) -> Campaign:
    return editor.save_campaign(care, fields={"name": name, "audience": audience, **fields}, steps=steps)


def _history(campaign: Campaign, care: User, start: dt.datetime) -> None:
    """The finished campaign's past: delivered an hour after the start, redemptions of its
    e-coupons by 15% of treatment, top-ups by 6% of treatment and 4% of control, and a
    survey of 10% of treatment (awareness 70%, satisfaction 3-5)."""
    rng = random.Random(SEED + campaign.pk)
    sent = start + dt.timedelta(hours=1)
    OutboxMessage.objects.filter(campaign=campaign, status=OutboxStatus.QUEUED).update(
        status=OutboxStatus.DELIVERED, attempts=1, sent_at=sent, delivered_at=sent + dt.timedelta(minutes=1))
    codes = dict(VoucherCode.objects.filter(campaign=campaign).values_list("issued_to_id", "code"))
    responses, feedback = [], []
    for cid, group in CampaignMember.objects.filter(campaign=campaign).values_list("customer_id", "group"):
        when = start + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 10))
        if group == Group.TREATMENT and cid in codes and rng.random() < 0.15:
            vouchers.redeem_voucher(care, code=codes[cid], at=when)
        if rng.random() < (0.06 if group == Group.TREATMENT else 0.04):
            responses.append(CampaignResponse(campaign=campaign, customer_id=cid, kind=ResponseKind.TOP_UP, at=when,
                                              amount=Decimal(rng.choice(["30", "50", "100"]))))
        if group == Group.TREATMENT and rng.random() < 0.10:
            feedback.append(ProgrammeFeedback(campaign=campaign, customer_id=cid, aware=rng.random() < 0.7,
                                              satisfaction=rng.choice([3, 4, 4, 5, 5]), at=when))
    CampaignResponse.objects.bulk_create(responses, batch_size=2000)
    ProgrammeFeedback.objects.bulk_create(feedback, batch_size=2000)


def _month_start(month: str, back: int) -> dt.date:
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _campaigns(care: User, manager: User, products: dict[str, CareProduct], month: str, out: TextIOBase) -> None:
    vip = Audience.objects.filter(name="VIP 客户").first() or editor.save_audience(
        care, name="VIP 客户", description="上月价值分层为 VIP 的客户", filters={"segments": ["vip"]})
    risky = Audience.objects.filter(name="有离网预警的高价值客户").first() or editor.save_audience(
        care, name="有离网预警的高价值客户", description="VIP 与成长客户中本月有离网预警的",
        filters={"segments": ["vip", "growth"], "warned": True})
    sms = "sms"
    name = "VIP 5G 流量券回馈"
    if not Campaign.objects.filter(name=name).exists():
        start = dt.datetime.combine(_month_start(month, 2), dt.time(10), SHANGHAI) + dt.timedelta(days=9)
        campaign = _campaign(care, name, vip, {
            "purpose": "marketing", "product": products["DATA5G"], "control_share": Decimal("0.2"),
            "cost_per_contact": Decimal("0.05"), "value_per_response": Decimal("30"), "budget": Decimal("200000"),
            "description": "向 VIP 客户发放 10GB 5G 流量券，留出 20% 对照组衡量效果"},
            [editor.StepContent(channel=sms, delay_days=0,
                                body_zh="尊敬的{{ name }}，感谢您的支持，送您10GB 5G流量券，券码{{ voucher_code }}。",
                                body_en="Dear {{ name }}, a 10GB 5G data coupon for you: {{ voucher_code }}.")])
        services.approve_campaign(manager, campaign=campaign, at=start - dt.timedelta(days=2))
        started = services.start_campaign(care, campaign=campaign, at=start)
        _history(campaign, care, start)
        services.finish_campaign(care, campaign=campaign, at=start + dt.timedelta(days=30))
        out.write(f"Campaign {name}: {started.treatment} treated, {started.control} in control\n")
    name = "预警客户外呼挽留"
    if not Campaign.objects.filter(name=name).exists():
        campaign = _campaign(care, name, risky, {
            "purpose": "care", "control_share": Decimal("0.3"), "cost_per_contact": Decimal("3"),
            "value_per_response": Decimal("200"), "description": "客户经理外呼，了解不满并提供合适的套餐"},
            [editor.StepContent(channel="call", delay_days=0,
                                body_zh="您好{{ name }}，我是您的客户经理。想了解您最近使用{{ plan }}的体验，"
                                        "并为您介绍更合适的套餐。",
                                body_en="Hello {{ name }}, I am your account manager calling about {{ plan }}.")])
        started = services.start_campaign(care, campaign=campaign, at=timezone.now())
        out.write(f"Campaign {name}: {started.treatment} calls on the work list, {started.control} in control\n")
    name = "VIP 春节问候短信"
    if not Campaign.objects.filter(name=name).exists():
        _campaign(care, name, vip, {
            "purpose": "marketing", "control_share": Decimal("0.1"), "cost_per_contact": Decimal("0.05"),
            "description": "待经理审批"},
            [editor.StepContent(channel=sms, delay_days=0, body_zh="{{ name }}，新春快乐！全球通祝您万事如意。",
                                body_en="{{ name }}, happy Spring Festival from GoTone!")])
        out.write(f"Campaign {name}: waiting for a manager's approval\n")


def seed_demo_care(*, out: TextIOBase) -> None:
    """Everything above, each part once; needs the demo users and a nightly run."""
    care, manager = _user("care"), _user("manager")
    if care is None or manager is None:
        out.write("Care demo skipped: the demo users care and manager are missing\n")
        return
    with transaction.atomic():
        products = _products()
        made = _triggers(products)
        consents = _consents(dt.datetime(2024, 1, 1, tzinfo=SHANGHAI))
        if not HoldoutMember.objects.exists():
            contacts.draw_holdout(care, share=HOLDOUT_SHARE, seed=SEED)
    out.write(f"Care: {len(products)} products, {made} new triggers, {consents:,} new SMS consents\n")
    try:
        month, _files = nightly_files()
    except NotFound as error:
        out.write(f"Care campaigns skipped: {error.message}\n")
        return
    with transaction.atomic():
        _campaigns(care, manager, products, month, out)
    running = Campaign.objects.filter(status=CampaignStatus.RUNNING).count()
    out.write(f"Care: {Campaign.objects.count()} campaigns ({running} running)\n")
