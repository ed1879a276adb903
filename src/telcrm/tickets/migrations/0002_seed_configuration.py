"""The issue's category tree, a default SLA table and the refund approval limits; all three
are configuration an administrator edits afterwards in the admin."""

from decimal import Decimal

from django.db import migrations

CATEGORIES = [
    # code, Chinese, English, parent
    ("billing", "计费账单", "Billing", None),
    ("billing.disputed_charge", "费用争议", "Disputed charge", "billing"),
    ("billing.promotion", "优惠活动", "Promotions and discounts", "billing"),
    ("vas_sp", "增值业务(SP)扣费", "Value-added (SP) charges", None),
    ("vas_sp.unrequested", "不知情定制", "SP service not knowingly ordered", "vas_sp"),
    ("suspension_credit", "停机与信用", "Suspension and credit", None),
    ("suspension_credit.monitor_stop", "监控停机", "Stopped by a usage monitor", "suspension_credit"),
    ("suspension_credit.arrears", "欠费停机", "Suspended for arrears", "suspension_credit"),
    ("network_quality", "网络质量", "Network quality", None),
    ("network_quality.coverage", "信号覆盖", "Coverage", "network_quality"),
    ("network_quality.data", "上网速率", "Data speed", "network_quality"),
    ("provisioning", "业务开通", "Provisioning", None),
    ("number_services", "号码业务", "Number services", None),
    ("roaming", "漫游", "Roaming", None),
    ("handset", "终端", "Handset", None),
    ("staff_attitude", "服务态度", "Staff attitude", None),
]

#: Back-office business day: 09:00-18:00 is 540 minutes.
DAY = 540
#: Resolution target of a one-star customer by kind, in business minutes.
BASE_RESOLUTION = {"complaint": 3 * DAY, "fault": 2 * DAY, "inquiry": DAY, "request": 5 * DAY}
#: Per star level: first response target, share of the base resolution target, priority.
LEVELS = {5: (30, Decimal("0.25"), "critical"), 4: (60, Decimal("0.5"), "high"),
          3: (120, Decimal("0.75"), "medium"), 2: (240, Decimal("1"), "medium"),
          1: (480, Decimal("1"), "low")}


def seed(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    ApprovalLimit = apps.get_model("tickets", "ApprovalLimit")
    made = {}
    for position, (code, zh, en, parent) in enumerate(CATEGORIES):
        made[code] = Category.objects.create(code=code, name_zh=zh, name_en=en, parent=made.get(parent),
                                             position=position)
    for stars, (response, share, priority) in LEVELS.items():
        for kind, base in BASE_RESOLUTION.items():
            SlaPolicy.objects.create(
                stars=stars, kind=kind, channel="", priority=priority, response_minutes=response,
                resolution_minutes=int(base * share),
                # Big customers' faults are repaired round the clock (domain.md section 5).
                round_the_clock=kind == "fault" and stars >= 4,
                regulatory_days=15 if kind == "complaint" else None,
            )
    for level, amount in (("agent", Decimal("50.00")), ("supervisor", Decimal("500.00")), ("manager", None)):
        ApprovalLimit.objects.create(level=level, max_amount=amount)


def unseed(apps, schema_editor):
    for model in ("ApprovalLimit", "SlaPolicy"):
        apps.get_model("tickets", model).objects.all().delete()
    Category = apps.get_model("tickets", "Category")
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
