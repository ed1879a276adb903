"""Message templates: variables, escaping per channel, and the errors staff see."""

from decimal import Decimal

import pytest
from django.utils import translation

from telcrm.care.channels.render import (
    VARIABLES,
    TemplateInvalid,
    VariableMissing,
    render_message,
    template_variables,
)


@pytest.fixture(autouse=True)
def english():
    """The errors are matched in English (the UI's default language is Chinese)."""
    with translation.override("en"):
        yield


CONTEXT = {"name": "王小明", "plan": "畅享套餐", "points": 1200, "amount_due": Decimal("58.30")}


class TestRender:
    def test_chinese_template_gets_the_customers_values(self):
        text = render_message("尊敬的{{ name }}，您的{{ plan }}积分{{ points }}，应缴{{ amount_due }}元。", CONTEXT)
        assert text == "尊敬的王小明，您的畅享套餐积分1200，应缴58.30元。"

    def test_sms_is_plain_text_and_email_is_escaped(self):
        context = {**CONTEXT, "name": "<b>Tom & Jerry</b>"}
        assert render_message("Dear {{ name }}", context) == "Dear <b>Tom & Jerry</b>"
        assert render_message("Dear {{ name }}", context, html=True) == "Dear &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"

    def test_template_markup_is_kept_in_email(self):
        assert render_message("<p>{{ plan }}</p>", CONTEXT, html=True) == "<p>畅享套餐</p>"

    def test_if_and_filters_work(self):
        source = "{% if points > 1000 %}金卡{% else %}普通{% endif %} {{ amount_due|floatformat:1 }}"
        assert render_message(source, CONTEXT) == "金卡 58.3"
        assert render_message(source, {**CONTEXT, "points": 10}) == "普通 58.3"


class TestErrors:
    def test_missing_value_is_an_error_not_an_empty_string(self):
        with pytest.raises(VariableMissing, match="voucher_code"):
            render_message("您的券码 {{ voucher_code }}", CONTEXT)

    def test_missing_value_behind_a_filter_is_an_error(self):
        with pytest.raises(VariableMissing, match="voucher_code"):
            render_message("{{ voucher_code|default:'-' }}", CONTEXT)

    @pytest.mark.parametrize("source", ["{{ nmae }}", "{% if balance %}x{% endif %}", "{{ name|default:secret }}"])
    def test_unknown_variable_names_the_allowed_ones(self, source):
        with pytest.raises(TemplateInvalid, match="name, plan, points"):
            template_variables(source)

    @pytest.mark.parametrize("source", ['{% include "x.html" %}', "{% now 'Y' %}", "{% for x in name %}{% endfor %}"])
    def test_other_tags_are_refused(self, source):
        with pytest.raises(TemplateInvalid, match="Only text"):
            template_variables(source)

    @pytest.mark.parametrize("source", ["{% load static %}", "{{ name.__class__ }}", "{% if %}"])
    def test_syntax_errors_are_template_errors(self, source):
        with pytest.raises(TemplateInvalid, match="not valid"):
            template_variables(source)

    def test_unclosed_variable_is_refused(self):
        with pytest.raises(TemplateInvalid, match="not closed"):
            template_variables("尊敬的{{ name，您好")


class TestVariables:
    def test_variables_in_first_use_order_without_repeats(self):
        source = "{{ plan }}{% if points %}{{ name }}{{ plan }}{% endif %}{{ amount_due|default:points }}"
        assert template_variables(source) == ["plan", "points", "name", "amount_due"]

    def test_the_vocabulary_covers_the_issue(self):
        assert {"name", "plan", "points", "amount_due"} <= set(VARIABLES)
