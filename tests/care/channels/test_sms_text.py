"""Data coding and segmentation rules (GSM 03.38, 3GPP TS 23.040) as pure functions."""

import pytest

from telcrm.care.channels.sms_text import GSM7, UCS2, UDHI, concatenation, decode, encode, reference


class TestEncode:
    def test_gsm_extension_characters_take_two_septets(self):
        enc = encode("€[]", key="k")
        assert (enc.data_coding, enc.parts) == (GSM7, [b"\x1be\x1b<\x1b>"])

    def test_an_escape_pair_is_never_cut(self):
        text = "a" * 152 + "€" + "b" * 10  # the euro's escape falls on septet 153
        enc = encode(text, key="k")
        assert enc.parts[0][6:] == b"a" * 152
        assert enc.parts[1][6:8] == b"\x1be"
        assert "".join(decode(p, GSM7, UDHI) for p in enc.parts) == text

    def test_a_surrogate_pair_is_never_cut(self):
        text = "好" * 66 + "😀" + "好" * 10  # the emoji's two units straddle unit 67
        enc = encode(text, key="k")
        assert enc.data_coding == UCS2
        assert len(enc.parts[0]) == 6 + 66 * 2
        assert "".join(decode(p, UCS2, UDHI) for p in enc.parts) == text

    def test_backtick_is_not_gsm(self):
        assert encode("a`b", key="k").data_coding == UCS2

    def test_headers_count_the_parts(self):
        enc = encode("好" * 300, key="k")
        assert [p[:6] for p in enc.parts] == [bytes([5, 0, 3, reference("k"), 5, i]) for i in range(1, 6)]

    def test_too_long(self):
        with pytest.raises(ValueError, match="255"):
            encode("好" * (67 * 255 + 1), key="k")


class TestDecode:
    def test_concatenation_header_is_read_back(self):
        enc = encode("好" * 100, key="k")
        assert [concatenation(p, enc.esm_class) for p in enc.parts] == [(reference("k"), 2, 1), (reference("k"), 2, 2)]

    def test_16_bit_reference_header(self):
        data = bytes([6, 0x08, 4, 0x12, 0x34, 3, 2]) + "好".encode("utf-16-be")
        assert concatenation(data, UDHI) == (0x1234, 3, 2)
        assert decode(data, UCS2, UDHI) == "好"

    def test_single_message_has_no_concatenation(self):
        assert concatenation(b"hello", 0) is None

    def test_gsm_with_escape(self):
        assert decode(b"TD \x1be", GSM7) == "TD €"

    def test_ucs2(self):
        assert decode("退订".encode("utf-16-be"), UCS2) == "退订"

    def test_latin1(self):
        assert decode(b"caf\xe9", 3) == "café"
