import pytest
from django.core.exceptions import ValidationError

from telcrm.core import validators as v
from tests.factories import valid_id_number, valid_uscc


class TestResidentId:
    def test_published_example_is_valid(self):
        # The worked example of GB 11643-1999, appendix: 11010519491231002X.
        assert v.id_number_error("11010519491231002X") is None

    def test_wrong_check_digit_names_the_rule(self):
        assert "GB 11643" in v.id_number_error("110105194912310021")

    def test_impossible_birth_date(self):
        bad = "11010519490231002"
        assert "birth date" in v.id_number_error(bad + v.id_check_char(bad))

    def test_django_validator_names_the_field(self):
        with pytest.raises(ValidationError) as err:
            v.validate_id_number("123")
        assert "ID number" in str(err.value)

    def test_factory_builds_valid_numbers(self):
        assert v.id_number_error(valid_id_number(serial=7)) is None


class TestUscc:
    def test_published_example_is_valid(self):
        # A real registration (Tencent Technology (Shenzhen) Co., Ltd.).
        assert v.uscc_error("9144030071526726XG") is None

    def test_changed_character_fails(self):
        assert "GB 32100" in v.uscc_error("9144030071526726XH")

    def test_forbidden_letters(self):
        assert v.uscc_error("9144030071526726XI") is not None

    def test_factory(self):
        assert v.uscc_error(valid_uscc()) is None


class TestMobile:
    @pytest.mark.parametrize(("number", "operator"), [
        ("13812345678", "china_mobile"), ("18612345678", "china_unicom"),
        ("18912345678", "china_telecom"), ("19212345678", "china_broadnet"),
    ])
    def test_operator_by_prefix(self, number, operator):
        assert v.mobile_operator(number) == operator

    def test_unallocated_prefix(self):
        assert "not allocated" in v.mobile_error("12012345678")

    def test_length(self):
        assert "11 digits" in v.mobile_error("1381234567")
