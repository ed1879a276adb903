"""Masking of personal data: no masked value holds enough to rebuild the original."""

from telcrm.core.masking import MASKERS, PII_FIELDS, mask_address, mask_id_number, mask_phone, mask_text


class TestMaskPhone:
    def test_keeps_prefix_and_last_four(self):
        assert mask_phone("13812345678") == "138****5678"

    def test_short_and_empty(self):
        assert (mask_phone("12345"), mask_phone(""), mask_phone(None)) == ("*****", "", "")


class TestMaskIdNumber:
    def test_keeps_first_and_last_four_hides_birth_date(self):
        masked = mask_id_number("11010519491231002X")
        assert masked == "1101**********002X" and "19491231" not in masked

    def test_short_and_empty(self):
        assert (mask_id_number("1234567"), mask_id_number(None)) == ("*******", "")


class TestMaskAddress:
    def test_keeps_the_district_hides_the_street(self):
        masked = mask_address("上海市徐汇区漕溪北路88号3号楼501室")
        assert masked == "上海市徐汇区****" and "88" not in masked

    def test_short_address_keeps_at_most_a_third(self):
        assert mask_address("某路1号") == "某****"
        assert mask_address("") == ""


class TestMaskText:
    def test_numbers_inside_free_text(self):
        text = "客户13812345678（身份证11010519491231002X）投诉"
        assert mask_text(text) == "客户138****5678（身份证1101**********002X）投诉"

    def test_longer_digit_runs_are_not_phone_numbers(self):
        assert mask_text("流水号 913812345678") == "流水号 913812345678"


def test_every_pii_field_has_a_masker():
    assert set(MASKERS) == set(PII_FIELDS) == {"phone", "id_number", "address"}
