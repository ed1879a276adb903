"""Who is in the files: valid identifiers, codes the models know, duplicates, enterprises."""

from __future__ import annotations

import re
from collections import Counter

from telcrm.core.validators import id_number_error, mobile_error, mobile_operator, uscc_error
from telcrm.customers import models as m
from telcrm.simulate import vocab
from telcrm.simulate.enterprises import enterprise_count
from telcrm.simulate.identity import id_numbers

from .conftest import SUBSCRIBERS


def _values(choices) -> set[str]:
    return {value for value, _ in choices.choices}


def _individuals(read) -> list[dict]:
    return [r for r in read("customers").to_pylist() if r["kind"] == "individual"]


class TestIdNumbers:
    def test_vectorised_check_character_matches_the_validator(self):
        import numpy as np

        birth = np.array([0, 3650, 7305, 12000, -3000])  # day numbers, some before 1970
        ids = id_numbers(np.array([310115] * 5), birth, np.array([1, 22, 333, 998, 7]))
        assert all(id_number_error(i) is None for i in ids.to_pylist())

    def test_every_individual_has_a_valid_id_number(self, read):
        people = _individuals(read)
        assert people and all(id_number_error(p["id_number"]) is None for p in people)

    def test_birth_date_and_gender_agree_with_the_id_number(self, read):
        for p in _individuals(read):
            assert p["id_number"][6:14] == p["birth_date"].strftime("%Y%m%d")
            assert p["gender"] == ("M" if int(p["id_number"][16]) % 2 else "F")

    def test_most_id_numbers_carry_the_district_area_code(self, read):
        area = {d.code: d.area_code for d in vocab.DISTRICTS}
        people = _individuals(read)
        local = sum(p["id_number"][:6] == area[p["region"]] for p in people)
        others = {p["id_number"][:6] for p in people} - set(area.values())
        assert 0.75 < local / len(people) < 0.95
        assert others <= set(vocab.OTHER_AREA_CODES)


class TestPeople:
    def test_names_are_a_known_surname_and_one_or_two_characters(self, read):
        surnames = {s for s, _ in vocab.SURNAMES}
        names = [p["name"] for p in _individuals(read)]
        assert all(n[0] in surnames and 2 <= len(n) <= 3 for n in names)
        assert Counter(n[0] for n in names).most_common(1)[0][0] in "王李张"

    def test_addresses_are_in_the_customer_district(self, read):
        district = {d.code: d.name for d in vocab.DISTRICTS}
        pattern = re.compile(r"^(上海市)?(\w+?[区])\w+(?:路|大道)\d+弄\d+号(\d{3,4}室)?$")
        for p in _individuals(read):
            match = pattern.match(p["address"])
            assert match, p["address"]
            assert match.group(2) == district[p["region"]]

    def test_codes_are_model_choices(self, read):
        customers = read("customers").to_pydict()
        assert set(customers["segment"]) <= _values(m.Segment)
        assert set(customers["gender"]) - {None} == _values(m.Gender)
        assert set(customers["region"]) <= {d.code for d in vocab.DISTRICTS}
        subs = read("subscriptions").to_pydict()
        assert set(subs["brand"]) == _values(m.Brand)
        assert set(subs["payment_type"]) == _values(m.PaymentType)
        assert set(subs["status"]) <= _values(m.SubscriptionStatus)
        accounts = read("accounts").to_pydict()
        assert set(accounts["credit_class"]) <= _values(m.CreditClass)
        assert set(accounts["payment_method"]) <= _values(m.PaymentMethod)
        interactions = read("interactions").to_pydict()
        assert set(interactions["channel"]) <= _values(m.Channel)
        assert set(interactions["direction"]) == _values(m.Direction)
        assert set(interactions["topic"]) == set(vocab.TOPICS)

    def test_some_customers_own_two_or_three_lines(self, read):
        owners = Counter(
            c for c in read("subscriptions")["customer_no"].to_pylist() if c.startswith("C")
        )
        assert max(owners.values()) == 3
        assert 0.03 < sum(v > 1 for v in owners.values()) / len(owners) < 0.2


class TestPhoneNumbers:
    def test_lines_are_unique_china_mobile_numbers(self, read):
        numbers = read("subscriptions")["msisdn"].to_pylist()
        assert len(set(numbers)) == len(numbers) == SUBSCRIBERS
        assert all(mobile_operator(n) == "china_mobile" for n in numbers)

    def test_contact_phones_are_valid_and_not_subscriber_lines(self, read):
        phones = read("contacts")["phone"].to_pylist()
        assert all(mobile_error(p) is None for p in phones)
        assert not set(phones) & set(read("subscriptions")["msisdn"].to_pylist())


class TestReferences:
    def test_every_reference_resolves(self, sql):
        checks = {
            "subscription customer": "select count(*) from subscriptions s anti join customers c using (customer_no)",
            "subscription account": "select count(*) from subscriptions s anti join accounts a using (account_no)",
            "account owner": """select count(*) from subscriptions s join accounts a using (account_no)
                                where a.customer_no <> s.customer_no""",
            "bill line": "select count(*) from bills b anti join subscriptions s using (msisdn)",
            "payment account": "select count(*) from payments p anti join accounts a using (account_no)",
            "interaction customer": "select count(*) from interactions i anti join customers c using (customer_no)",
            "contact customer": "select count(*) from contacts k anti join customers c using (customer_no)",
        }
        assert {name: sql(q)[0][0] for name, q in checks.items()} == dict.fromkeys(checks, 0)

    def test_keys_are_unique(self, sql):
        for table, key in [("customers", "customer_no"), ("accounts", "account_no"),
                           ("payments", "payment_no"), ("interactions", "interaction_no"),
                           ("services", "service_no")]:
            assert sql(f"select count(*) - count(distinct {key}) from {table}")[0][0] == 0, table
        # Contacts are known by their name within their enterprise.
        assert sql("select count(*) - count(distinct (customer_no, name)) from contacts")[0][0] == 0


class TestDuplicates:
    def test_a_small_share_of_customers_is_registered_twice(self, sql):
        planted, individuals = sql(
            "select (select count(*) from duplicates), count(*) from customers where kind = 'individual'"
        )[0]
        assert 0.002 < planted / individuals < 0.012

    def test_pairs_share_the_id_number_or_name_and_address(self, sql):
        rows = sql("""
            select d.match, a.name = b.name, a.id_number = b.id_number, a.customer_no <> b.customer_no,
                   regexp_replace(regexp_replace(a.address, '^上海市', ''), '\\d{3,4}室$', '')
                   = regexp_replace(regexp_replace(b.address, '^上海市', ''), '\\d{3,4}室$', '')
            from duplicates d join customers a on a.customer_no = d.customer_no
                              join customers b on b.customer_no = d.duplicate_of""")
        assert {r[0] for r in rows} == {"id_number", "name_address"}
        for match, same_name, same_id, distinct, similar_address in rows:
            assert same_name and distinct and similar_address
            assert same_id == (match == "id_number")


class TestEnterprises:
    def test_count_follows_the_subscriber_base(self, read):
        enterprises = [c for c in read("customers").to_pylist() if c["kind"] == "enterprise"]
        assert len(enterprises) == enterprise_count(SUBSCRIBERS) == 50
        assert all(uscc_error(e["credit_code"]) is None for e in enterprises)
        assert all(e["name"].startswith("上海") and e["name"].endswith("有限公司") for e in enterprises)
        assert {e["account_manager"] for e in enterprises} <= set(vocab.ACCOUNT_MANAGERS)
        assert {e["industry"] for e in enterprises} <= _values(m.Industry)
        assert {e["size"] for e in enterprises} <= _values(m.EnterpriseSize)

    def test_groups_have_heads_listed_before_members(self, read):
        enterprises = [c for c in read("customers").to_pylist() if c["kind"] == "enterprise"]
        position = {e["customer_no"]: i for i, e in enumerate(enterprises)}
        members = [e for e in enterprises if e["parent_customer_no"]]
        assert 0.08 < len(members) / len(enterprises) < 0.35
        for e in members:
            parent = enterprises[position[e["parent_customer_no"]]]
            assert parent["size"] == "group" and position[parent["customer_no"]] < position[e["customer_no"]]

    def test_contacts_circuits_and_employee_lines(self, sql):
        per = sql("select min(n), max(n), count(*) from (select count(*) n from contacts group by customer_no)")[0]
        assert per[0] >= 1 and per[1] <= 4 and per[2] == 50
        assert {r[0] for r in sql("select distinct decision_power from contacts")} <= _values(m.DecisionPower)
        kinds = dict(sql("select kind, count(*) from services group by kind"))
        assert set(kinds) <= _values(m.CircuitKind) and len(kinds) >= 3
        assert sql("select count(*) from services where kind = 'internet' and site_b is not null")[0][0] == 0
        lines = sql("""select count(*), count(*) filter (where payment_type = 'postpaid')
                       from subscriptions where customer_no like 'E%'""")[0]
        assert lines[0] > 0.02 * SUBSCRIBERS and lines[0] == lines[1]


class TestFitsTheModels:
    """Values the importer would reject are bugs of the simulator, not of the import."""

    MODELS = {"customers": m.Customer, "contacts": m.Contact, "accounts": m.Account,
              "subscriptions": m.Subscription, "services": m.EnterpriseService,
              "interactions": m.Interaction}

    def test_text_fits_the_field_lengths(self, read):
        for kind, model in self.MODELS.items():
            table = read(kind)
            for field in model._meta.concrete_fields:
                limit = getattr(field, "max_length", None)
                if limit and field.name in table.column_names and table[field.name].type == "string":
                    longest = max((len(v) for v in table[field.name].to_pylist() if v), default=0)
                    assert longest <= limit, (kind, field.name, longest, limit)

    def test_emails_are_valid(self, read):
        from django.core.validators import validate_email

        for kind in ("customers", "contacts"):
            for email in read(kind)["email"].to_pylist():
                if email:
                    validate_email(email)
