"""Operator scale: duplicate detection and export over 100,000 customers."""

import datetime as dt
import random
import time
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone

from telcrm.core.models import AuditEntry, Region
from telcrm.core.roles import Role
from telcrm.customers.duplicates import (
    SAME_ID_NUMBER,
    SIMILAR_NAME_ADDRESS,
    duplicates_of,
    find_duplicates,
)
from telcrm.customers.exports import export_customers
from telcrm.customers.models import Customer
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# The most common surnames with their rough shares, so blocks are as uneven as in life.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯健俊帆"
ROADS = ["漕溪北路", "虹桥路", "淮海中路", "南京西路", "世纪大道", "张杨路", "中山南路", "宜山路",
         "龙华路", "天钥桥路", "肇嘉浜路", "衡山路", "长宁路", "延安西路", "四平路", "共和新路"]
N = 100_000
PLANTED = 200


COLUMNS = ("customer_no", "kind", "name", "status", "region_id", "segment", "email",
           "id_number", "gender", "address", "credit_code", "industry", "size",
           "strategic_notes", "competitor_presence", "created_at", "updated_at", "version")


def person(no, name, region, address, id_number):
    now = timezone.now()
    return (no, "individual", name, "active", region.pk, "mass", "", id_number, "", address, "",
            "", "", "", "", now, now, 1)


def population(rng, regions, n=N):
    rows = []
    for i in range(n):
        name = rng.choice(SURNAMES[:10] if rng.random() < 0.5 else SURNAMES)
        name += "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        region = regions[i % len(regions)]
        born = (dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000)).strftime("%Y%m%d")
        address = (f"上海市{region.name}{rng.choice(ROADS)}{rng.randint(1, 2000)}号"
                   f"{rng.randint(1, 30)}0{rng.randint(1, 4)}室")
        rows.append(person(f"S{i:09d}", name, region, address,
                           f.valid_id_number(serial=i % 1000, birth=born)))
    return rows


def insert(rows):
    """Plain multi-row inserts: the ORM's bulk_create would take most of the test's time."""
    sql = (f"INSERT INTO customers_customer ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(COLUMNS))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def test_finds_planted_duplicates_among_100k_quickly():
    rng = random.Random(7)
    regions = list(Region.objects.all())
    rows = population(rng, regions)
    planted = set()
    by_pk = {r.pk: r for r in regions}
    for k in range(PLANTED):  # the same person registered twice, address typed differently
        no, _kind, name, _status, region_id, *_rest = original = rows[k * 397]
        twin = person(f"D{k:09d}", name, by_pk[region_id], original[9].replace("号", " 号"), "")
        rows.append(twin)
        planted.add((no, twin[0]))
    insert(rows)
    analyst = f.user(Role.ANALYST)

    started = time.perf_counter()
    result = find_duplicates(analyst, limit=100_000)
    elapsed = time.perf_counter() - started

    found = {(p.first.customer_no, p.second.customer_no) for p in result
             if SIMILAR_NAME_ADDRESS in p.reasons}
    assert planted <= found
    # Random people who share a name and a street number by chance stay a small minority.
    assert len(found - planted) < PLANTED
    assert all(SAME_ID_NUMBER in p.reasons for p in result
               if p.first.id_number and p.first.id_number == p.second.id_number)
    twin = Customer.objects.get(customer_no="D000000001")
    started = time.perf_counter()
    of_one = duplicates_of(analyst, customer=twin)
    elapsed_one = time.perf_counter() - started
    assert (rows[397][0], twin.customer_no) in {(p.first.customer_no, p.second.customer_no)
                                                for p in of_one}
    print(f"find_duplicates over {len(rows):,} customers: {elapsed:.1f} s, {len(result)} pairs; "
          f"duplicates_of one customer: {elapsed_one * 1000:.0f} ms")


def test_export_of_100k_customers_streams_in_flat_memory():
    rng = random.Random(8)
    insert(population(rng, list(Region.objects.all())))
    analyst = f.user(Role.ANALYST)
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in export_customers(analyst, fmt="csv").chunks)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second pass, traced: tracing slows Python several times over
    for _chunk in export_customers(analyst, fmt="csv").chunks:
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"CSV export of {N:,} customers: {elapsed:.1f} s ({N / elapsed:,.0f} rows/s), "
          f"{size / 1e6:.1f} MB, peak traced memory {peak / 1e6:.1f} MB")
    assert [e.detail["rows"] for e in AuditEntry.objects.all()] == [N, N]
    assert peak < size / 2  # bounded by a chunk of rows, not by the export's length


def test_excel_export_speed():
    rng = random.Random(9)
    insert(population(rng, list(Region.objects.all()), n=20_000))
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in export_customers(f.user(Role.ANALYST), fmt="xlsx").chunks)
    elapsed = time.perf_counter() - started
    print(f"Excel export of 20,000 customers: {elapsed:.1f} s ({20_000 / elapsed:,.0f} rows/s), "
          f"{size / 1e6:.1f} MB")
    assert AuditEntry.objects.get().detail["rows"] == 20_000
