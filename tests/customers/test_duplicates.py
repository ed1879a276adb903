import pytest

from telcrm.core.errors import NotFound
from telcrm.core.roles import Role
from telcrm.customers.duplicates import (
    SAME_CREDIT_CODE,
    SAME_ID_NUMBER,
    SAME_PHONE,
    SIMILAR_NAME,
    SIMILAR_NAME_ADDRESS,
    duplicates_of,
    find_duplicates,
)
from telcrm.customers.models import Contact, CustomerKind
from tests import factories as f

pytestmark = pytest.mark.django_db
ENT = CustomerKind.ENTERPRISE


@pytest.fixture
def analyst():
    return f.user(Role.ANALYST)


def pairs(result):
    return {(p.first.customer_no, p.second.customer_no): p.reasons for p in result}


class TestExactKeys:
    def test_same_id_number(self, analyst):
        a = f.customer(name="张三", id_number=f.valid_id_number(serial=501), address="甲")
        b = f.customer(name="章山", id_number=f.valid_id_number(serial=501), address="乙")
        f.customer(id_number=f.valid_id_number(serial=502))
        result = find_duplicates(analyst)
        assert pairs(result) == {(a.customer_no, b.customer_no): (SAME_ID_NUMBER,)}
        assert result[0].score == 1.0 and result[0].first == a

    def test_same_credit_code(self, analyst):
        code = f.valid_uscc("91310000MA1FL0001")
        a = f.customer(kind=ENT, name="上海甲科技有限公司", credit_code=code)
        b = f.customer(kind=ENT, name="乙贸易公司", credit_code=code)
        assert pairs(find_duplicates(analyst)) == {(a.customer_no, b.customer_no): (SAME_CREDIT_CODE,)}

    def test_same_contact_phone_at_two_enterprises(self, analyst):
        a = f.customer(kind=ENT, name="甲")
        b = f.customer(kind=ENT, name="乙")
        Contact.objects.create(customer=a, name="王经理", phone="13900001111")
        Contact.objects.create(customer=b, name="王总", phone="13900001111")
        assert pairs(find_duplicates(analyst)) == {(a.customer_no, b.customer_no): (SAME_PHONE,)}

    def test_open_line_of_one_enterprise_is_contact_of_another(self, analyst):
        a = f.customer(kind=ENT, name="甲")
        b = f.customer(kind=ENT, name="乙")
        f.subscription(a, msisdn="13900002222")
        Contact.objects.create(customer=b, name="李", phone="13900002222")
        assert SAME_PHONE in pairs(find_duplicates(analyst))[(a.customer_no, b.customer_no)]

    def test_closed_lines_and_other_kinds_are_not_evidence(self, analyst):
        person = f.customer(name="赵")
        old = f.customer(kind=ENT, name="丙")
        ent = f.customer(kind=ENT, name="丁")
        f.subscription(person, msisdn="13900003333")  # a contact's own line: not a duplicate
        f.subscription(old, msisdn="13900004444", status="closed")  # recycled number
        Contact.objects.create(customer=ent, name="赵", phone="13900003333")
        Contact.objects.create(customer=ent, name="钱", phone="13900004444")
        assert find_duplicates(analyst) == []


class TestSimilarNamesAndAddresses:
    def test_same_name_similar_address_same_region(self, analyst):
        a = f.customer(name="欧阳娜娜", address="上海市徐汇区漕溪北路88号", id_number="")
        b = f.customer(name="欧阳娜娜", address="上海市徐汇区漕溪北路 88 号3室", id_number="")
        (pair,) = find_duplicates(analyst)
        assert (pair.first, pair.second, pair.reasons) == (a, b, (SIMILAR_NAME_ADDRESS,))
        assert 0.7 < pair.score < 0.9

    def test_same_name_elsewhere_is_not_a_duplicate(self, analyst):
        f.customer(name="张伟", address="上海市徐汇区漕溪北路88号", id_number="")
        f.customer(name="张伟", address="上海市浦东新区世纪大道1001号", id_number="")
        assert find_duplicates(analyst) == []

    def test_different_regions_are_not_compared(self, analyst):
        f.customer(name="张伟", address="上海市徐汇区漕溪北路88号", region_code="SH-XH", id_number="")
        f.customer(name="张伟", address="上海市徐汇区漕溪北路88号", region_code="SH-PD", id_number="")
        assert find_duplicates(analyst) == []

    def test_family_members_at_one_address_are_not_duplicates(self, analyst):
        f.customer(name="张小明", address="上海市徐汇区漕溪北路88号", id_number="")
        f.customer(name="张小红", address="上海市徐汇区漕溪北路88号", id_number="")
        assert find_duplicates(analyst) == []

    def test_enterprise_names_ignore_legal_form(self, analyst):
        a = f.customer(kind=ENT, name="上海浦江数据科技有限公司")
        b = f.customer(kind=ENT, name="上海浦江数据科技（集团）股份有限公司")
        assert pairs(find_duplicates(analyst)) == {(a.customer_no, b.customer_no): (SIMILAR_NAME,)}

    def test_region_filter(self, analyst):
        f.customer(name="王芳", address="上海市徐汇区漕溪北路1号", region_code="SH-PD", id_number="")
        f.customer(name="王芳", address="上海市徐汇区漕溪北路1号", region_code="SH-PD", id_number="")
        assert len(find_duplicates(analyst, region="SH-PD")) == 1
        assert find_duplicates(analyst, region=f.region("SH-XH")) == []


class TestRankingAndScope:
    def test_strongest_evidence_first_and_limit(self, analyst):
        f.customer(name="孙丽", address="上海市徐汇区虹桥路5号", id_number="")
        f.customer(name="孙丽", address="上海市徐汇区虹桥路5号", id_number="")
        x = f.customer(id_number=f.valid_id_number(serial=601))
        y = f.customer(id_number=f.valid_id_number(serial=601))
        result = find_duplicates(analyst)
        assert [p.reasons[0] for p in result] == [SAME_ID_NUMBER, SIMILAR_NAME_ADDRESS]
        assert [(p.first, p.second) for p in find_duplicates(analyst, limit=1)] == [(x, y)]

    def test_agent_sees_pairs_of_its_region_only(self):
        for code in ("SH-XH", "SH-XH", "SH-PD", "SH-PD"):
            f.customer(name="周杰", address="上海市某区某路9号", region_code=code, id_number="")
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        (pair,) = find_duplicates(agent)
        assert pair.first.region.code == pair.second.region.code == "SH-PD"

    def test_auditor_sees_none(self):
        f.customer(id_number=f.valid_id_number(serial=701))
        f.customer(id_number=f.valid_id_number(serial=701))
        assert find_duplicates(f.user(Role.AUDITOR)) == []

    def test_merged_records_are_not_candidates(self, analyst):
        keep = f.customer(id_number=f.valid_id_number(serial=801))
        f.customer(id_number=f.valid_id_number(serial=801), status="merged", merged_into=keep)
        assert find_duplicates(analyst) == []


class TestDuplicatesOf:
    def test_finds_each_kind_of_evidence_for_one_customer(self, analyst):
        me = f.customer(name="吴敏", address="上海市徐汇区天钥桥路3号",
                        id_number=f.valid_id_number(serial=901))
        twin = f.customer(name="吴某", id_number=f.valid_id_number(serial=901))
        lookalike = f.customer(name="吴敏", address="上海市徐汇区天钥桥路3号", id_number="")
        f.customer(name="吴敏", address="上海市黄浦区南京路", id_number="")
        found = pairs(duplicates_of(analyst, customer=me))
        assert found == {(me.customer_no, twin.customer_no): (SAME_ID_NUMBER,),
                         (me.customer_no, lookalike.customer_no): (SIMILAR_NAME_ADDRESS,)}

    def test_phone_evidence(self, analyst):
        a = f.customer(kind=ENT, name="甲")
        b = f.customer(kind=ENT, name="乙")
        f.subscription(a, msisdn="13900005555")
        Contact.objects.create(customer=b, name="李", phone="13900005555")
        assert pairs(duplicates_of(analyst, customer=b)) == {(a.customer_no, b.customer_no): (SAME_PHONE,)}

    def test_agrees_with_find_duplicates(self, analyst):
        a = f.customer(name="郑爽", address="上海市徐汇区龙华路10号", id_number="")
        f.customer(name="郑爽", address="上海市徐汇区龙华路10号", id_number="")
        assert pairs(duplicates_of(analyst, customer=a)) == pairs(find_duplicates(analyst))

    def test_out_of_scope_is_not_found(self):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        with pytest.raises(NotFound):
            duplicates_of(agent, customer=f.customer(region_code="SH-XH"))
