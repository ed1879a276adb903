"""The tables the analytics pipeline reads, as Ibis schemas.

Two come from the Parquet lake (``bills`` and ``usage``, partitioned by ``month=YYYY-MM``,
the columns of ``ingest/schemas.py``); the others are snapshots the nightly run exports
from the operational database to Parquet before it starts, because the facts they hold
(activation, contract end, suspension, arrears, complaints) live in the database, not in
the billing files. Declaring them here, without Django, is what lets the same feature
expressions run on DuckDB and on a Spark executor.

Money is ``decimal(12, 2)`` yuan as in the lake; the feature expressions cast it to
``float64`` once, because means, slopes and ratios are not money.
"""

from __future__ import annotations

import ibis
import ibis.expr.schema as sch

MONEY = "decimal(12, 2)"

BILL_CATEGORIES = ("plan_fee", "voice", "data", "sms", "vas", "roaming")

BILLS = ibis.schema(
    {
        "msisdn": "string",
        "month": "string",
        **{name: MONEY for name in BILL_CATEGORIES},
        "discount": MONEY,
        "total": MONEY,
    }
)

USAGE_MEASURES = ("voice_minutes", "data_mb", "sms_count")

USAGE = ibis.schema(
    {
        "msisdn": "string",
        "month": "string",
        **{name: "int32" for name in USAGE_MEASURES},
        "competitor_calls": "int32",
        "competitor_minutes": "int32",
    }
)

# One row per subscription (line), exported from customers.Subscription with counts of its
# interactions over the three months ending at the run's month (complaints, those resolved,
# termination requests 销户申请, care contacts received) and the account's arrears (欠费).
SUBSCRIBERS = ibis.schema(
    {
        "msisdn": "string",
        "customer_no": "string",
        "payment_type": "string",
        "brand": "string",
        "region": "string",
        "activated_on": "date",
        "contract_end": "date",
        "status": "string",
        "status_reason": "string",
        "status_date": "date",
        "arrears": MONEY,
        "complaints_3m": "int32",
        "complaints_resolved_3m": "int32",
        "termination_requests_3m": "int32",
        "care_contacts_3m": "int32",
    }
)

# Enterprise customers to grade (1A-5A, domain.md section 2) and their circuits (专线), whose
# monthly fees count towards the enterprise's revenue alongside its lines' bills.
ENTERPRISES = ibis.schema({"customer_no": "string"})

CIRCUITS = ibis.schema(
    {
        "service_no": "string",
        "customer_no": "string",
        "status": "string",
        "activated_on": "date",
        "monthly_fee": MONEY,
    }
)

# The enterprise hierarchy (集团客户 and its member companies, ``customers.Customer.parent``):
# one row per enterprise, ``parent_no`` null for a group head or a stand-alone company. An
# enterprise's additional value counts the revenue of the members below it (domain.md 2).
ENTERPRISE_TREE = ibis.schema({"customer_no": "string", "parent_no": "string"})

LAKE_KINDS: dict[str, sch.Schema] = {"bills": BILLS, "usage": USAGE}
