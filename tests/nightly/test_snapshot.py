"""The snapshot: one row per subscription with its interactions over the three calendar
months ending at the run's month (in the operator's time zone) and its account's arrears;
enterprises with their parents; circuits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from telcrm.analytics import schemas
from telcrm.customers.models import Account, CustomerKind, EnterpriseService, Interaction
from telcrm.nightly.snapshot import export_snapshot
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


def contact(line, when: dt.datetime, topic: str, outcome: str = "") -> None:  # type: ignore[no-untyped-def]
    Interaction.objects.create(customer=line.customer, subscription=line, channel="call_centre", direction="in",
                               occurred_at=when, topic=topic, outcome=outcome)


@pytest.mark.django_db
class TestSubscribers:
    def test_interactions_are_counted_over_the_three_months_ending_at_the_run_month(self, tmp_path):
        line = factories.subscription(factories.customer())
        contact(line, at("2023-12-31", "23:30"), "complaint")  # before the window, by Shanghai's clock
        contact(line, at("2024-01-01", "00:30"), "complaint", "resolved")  # still 2023 in UTC
        contact(line, at("2024-02-10", "10:00"), "complaint", "pending")
        contact(line, at("2024-02-11", "10:00"), "termination_request", "retained")
        contact(line, at("2024-03-05", "10:00"), "care", "resolved")
        contact(line, at("2024-03-31", "23:50"), "care")
        contact(line, at("2024-04-01", "00:10"), "complaint")  # after the window
        contact(line, at("2024-03-01", "09:00"), "billing", "resolved")  # not a counted topic
        snapshot = export_snapshot(tmp_path, as_of="2024-03")
        row = pq.read_table(snapshot.subscribers).to_pylist()[0]
        assert (row["complaints_3m"], row["complaints_resolved_3m"]) == (2, 1)
        assert (row["termination_requests_3m"], row["care_contacts_3m"]) == (1, 2)

    def test_a_row_per_subscription_with_its_keys_arrears_and_dates(self, tmp_path):
        owner = factories.customer()
        owing = factories.subscription(owner, contract_end=dt.date(2025, 6, 30), status="suspended",
                                       status_reason="arrears")
        Account.objects.filter(pk=owing.account_id).update(balance=Decimal("-123.45"))
        paid = factories.subscription(owner, account=owing.account)
        credit = factories.subscription(factories.customer())
        Account.objects.filter(pk=credit.account_id).update(balance=Decimal("50.00"))
        snapshot = export_snapshot(tmp_path, as_of="2024-03")
        table = pq.read_table(snapshot.subscribers)
        assert table.schema.remove_metadata() == schemas.SUBSCRIBERS.to_pyarrow().append(
            table.schema.field("subscription_id")).append(table.schema.field("customer_id")).remove_metadata()
        by_line = {row["subscription_id"]: row for row in table.to_pylist()}
        assert set(by_line) == {owing.pk, paid.pk, credit.pk}
        row = by_line[owing.pk]
        assert (row["msisdn"], row["customer_no"], row["customer_id"]) == (owing.msisdn, owner.customer_no, owner.pk)
        assert (row["status"], row["status_reason"], row["region"]) == ("suspended", "arrears", "SH-XH")
        assert (row["activated_on"], row["contract_end"]) == (dt.date(2020, 1, 1), dt.date(2025, 6, 30))
        assert row["arrears"] == by_line[paid.pk]["arrears"] == Decimal("123.45")
        assert by_line[credit.pk]["arrears"] == Decimal("0.00")
        assert snapshot.counts["subscribers"] == 3

    def test_rows_are_streamed_in_chunks_into_one_file(self, tmp_path, monkeypatch):
        monkeypatch.setattr("telcrm.nightly.snapshot.CHUNK_ROWS", 2)
        owner = factories.customer()
        lines = [factories.subscription(owner) for _ in range(5)]
        snapshot = export_snapshot(tmp_path, as_of="2024-03")
        assert pq.ParquetFile(snapshot.subscribers).metadata.num_row_groups == 3
        assert pq.read_table(snapshot.subscribers).column("subscription_id").to_pylist() == [s.pk for s in lines]


@pytest.mark.django_db
class TestEnterprises:
    def test_enterprises_with_their_parents_and_circuits(self, tmp_path):
        group = factories.customer(kind=CustomerKind.ENTERPRISE)
        member = factories.customer(kind=CustomerKind.ENTERPRISE, parent=group)
        factories.customer(kind=CustomerKind.ENTERPRISE, status="merged")
        factories.customer()  # an individual is no enterprise
        EnterpriseService.objects.create(
            service_no="S1", customer=member, kind="ddn", bandwidth_kbps=2048, site_a="A", status="active",
            activated_on=dt.date(2023, 5, 1), monthly_fee=Decimal("3000.00"), one_time_fee=Decimal("0"),
        )
        snapshot = export_snapshot(tmp_path, as_of="2024-03")
        enterprises = pq.read_table(snapshot.enterprises).to_pylist()
        assert enterprises == sorted([{"customer_no": group.customer_no, "customer_id": group.pk},
                                      {"customer_no": member.customer_no, "customer_id": member.pk}],
                                     key=lambda r: r["customer_no"])
        tree = {r["customer_no"]: r["parent_no"] for r in pq.read_table(snapshot.enterprise_tree).to_pylist()}
        assert tree == {group.customer_no: None, member.customer_no: group.customer_no}
        circuits = pq.read_table(snapshot.circuits).to_pylist()
        assert circuits == [{"service_no": "S1", "customer_no": member.customer_no, "status": "active",
                             "activated_on": dt.date(2023, 5, 1), "monthly_fee": Decimal("3000.00")}]
        assert snapshot.counts == {"subscribers": 0, "enterprises": 2, "enterprise_tree": 2, "circuits": 1}
