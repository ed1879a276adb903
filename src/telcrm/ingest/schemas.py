"""The files an operator's billing system exports, as ``telcrm simulate`` writes them and
``telcrm import`` reads them: one schema per kind, in import order.

Conventions shared by every kind:
- References use natural keys (customer number, account number, phone number), never ids.
- Dates are ``YYYY-MM-DD``; months are ``YYYY-MM``; times are ISO 8601 with offset.
- Money is in yuan with two decimals: ``decimal128(12, 2)`` in Parquet, ``123.45`` in CSV.
- Codes (kind, gender, segment, brand, status, ...) are the ``TextChoices`` values of the
  models; regions are ``core.Region.code``; an account manager is a user name.
- A blank CSV cell or a Parquet null is "no value".
"""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(12, 2)

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema([
        ("customer_no", pa.string()),
        ("kind", pa.string()),
        ("name", pa.string()),
        ("region", pa.string()),
        ("segment", pa.string()),
        ("email", pa.string()),
        ("since", pa.date32()),
        ("id_number", pa.string()),
        ("birth_date", pa.date32()),
        ("gender", pa.string()),
        ("address", pa.string()),
        ("credit_code", pa.string()),
        ("industry", pa.string()),
        ("parent_customer_no", pa.string()),
        ("size", pa.string()),
        ("account_manager", pa.string()),
        ("strategic_notes", pa.string()),
        ("competitor_presence", pa.string()),
    ]),
    "contacts": pa.schema([
        ("customer_no", pa.string()),
        ("name", pa.string()),
        ("title", pa.string()),
        ("decision_power", pa.string()),
        ("phone", pa.string()),
        ("email", pa.string()),
    ]),
    "accounts": pa.schema([
        ("account_no", pa.string()),
        ("customer_no", pa.string()),
        ("credit_class", pa.string()),
        ("credit_limit", MONEY),
        ("payment_method", pa.string()),
    ]),
    "subscriptions": pa.schema([
        ("msisdn", pa.string()),
        ("customer_no", pa.string()),
        ("account_no", pa.string()),
        ("payment_type", pa.string()),
        ("brand", pa.string()),
        ("plan", pa.string()),
        ("status", pa.string()),
        ("status_date", pa.date32()),
        ("status_reason", pa.string()),
        ("activated_on", pa.date32()),
        ("contract_end", pa.date32()),
        ("region", pa.string()),
    ]),
    "services": pa.schema([
        ("service_no", pa.string()),
        ("customer_no", pa.string()),
        ("kind", pa.string()),
        ("bandwidth_kbps", pa.int32()),
        ("site_a", pa.string()),
        ("site_b", pa.string()),
        ("status", pa.string()),
        ("activated_on", pa.date32()),
        ("monthly_fee", MONEY),
        ("one_time_fee", MONEY),
    ]),
    "bills": pa.schema([
        ("msisdn", pa.string()),
        ("month", pa.string()),
        ("plan_fee", MONEY),
        ("voice", MONEY),
        ("data", MONEY),
        ("sms", MONEY),
        ("vas", MONEY),
        ("roaming", MONEY),
        ("discount", MONEY),
        ("total", MONEY),
    ]),
    "usage": pa.schema([
        ("msisdn", pa.string()),
        ("month", pa.string()),
        ("voice_minutes", pa.int32()),
        ("data_mb", pa.int32()),
        ("sms_count", pa.int32()),
        ("competitor_calls", pa.int32()),
        ("competitor_minutes", pa.int32()),
    ]),
    "payments": pa.schema([
        ("payment_no", pa.string()),
        ("account_no", pa.string()),
        ("paid_at", pa.timestamp("s", tz="Asia/Shanghai")),
        ("amount", MONEY),
        ("method", pa.string()),
    ]),
    "interactions": pa.schema([
        ("interaction_no", pa.string()),
        ("customer_no", pa.string()),
        ("msisdn", pa.string()),
        ("channel", pa.string()),
        ("direction", pa.string()),
        ("occurred_at", pa.timestamp("s", tz="Asia/Shanghai")),
        ("topic", pa.string()),
        ("outcome", pa.string()),
        ("note", pa.string()),
    ]),
}

# The order in which a full export is imported: each kind references only earlier ones.
IMPORT_ORDER = tuple(SCHEMAS)

# Kinds that also land in the Parquet lake, partitioned by month, for the analytics pipeline.
LAKE_KINDS = ("bills", "usage")
