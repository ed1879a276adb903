"""SMS over SMPP 3.4 against the local SMSC: what it receives byte for byte, receipts,
replies and how failures reach the outbox."""

import hashlib
import struct

import pytest

from telcrm.care.channels.base import OutgoingMessage, PermanentError, TransientError
from telcrm.care.channels.smpp import SmppSender
from telcrm.care.channels.sms_text import reference


def cstr(text: str) -> bytes:
    return text.encode("ascii") + b"\0"


def submit_body(*, dest: str, esm_class: int, data_coding: int, short_message: bytes, key: str) -> bytes:
    """A submit_sm body written from SMPP 3.4 section 4.4.1, independently of the client."""
    umr = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big")
    return (
        cstr("")  # service_type
        + bytes([0, 0]) + cstr("10086")  # source TON, NPI, address
        + bytes([1, 1]) + cstr(dest)  # international, E.164
        + bytes([esm_class, 0, 0]) + cstr("") + cstr("")  # esm_class, protocol_id, priority, schedule, validity
        + bytes([1, 0, data_coding, 0, len(short_message)]) + short_message  # registered_delivery ... sm_length
        + struct.pack(">HHH", 0x0204, 2, umr)  # user_message_reference TLV
    )


def assert_submit(raw: bytes, body: bytes) -> None:
    length, command_id, status, _sequence = struct.unpack(">LLLL", raw[:16])
    assert (command_id, status, length) == (0x00000004, 0, 16 + len(body))
    assert raw[16:] == body


def send(sender, body: str, key: str = "c1:42:1", to: str = "13812345678"):
    return sender.send(OutgoingMessage(key=key, to=to, body=body))


class TestEncodingOnTheWire:
    def test_ascii_goes_as_gsm_7bit_data_coding_0(self, smsc, sender):
        ids = send(sender, "Bill paid, thanks @ 10086")
        [got] = smsc.received
        gsm = b"Bill paid, thanks " + b"\x00" + b" 10086"  # @ is septet 0x00
        assert_submit(got.raw, submit_body(dest="8613812345678", esm_class=0, data_coding=0, short_message=gsm,
                                           key="c1:42:1"))
        assert ids == [got.message_id]

    def test_chinese_goes_as_ucs2_utf16_big_endian(self, smsc, sender):
        send(sender, "您好，话费已到账")
        [got] = smsc.received
        ucs2 = "您好，话费已到账".encode("utf-16-be")
        assert got.short_message[:4] == b"\x60\xa8\x59\x7d"  # 您 U+60A8, 好 U+597D
        assert_submit(got.raw, submit_body(dest="8613812345678", esm_class=0, data_coding=8, short_message=ucs2,
                                           key="c1:42:1"))

    def test_long_chinese_is_concatenated_67_characters_a_part(self, smsc, sender):
        text = "".join(chr(0x4E00 + i) for i in range(150))
        ids = send(sender, text, key="camp7:1001:1")
        assert len(ids) == len(set(ids)) == 3
        ref = reference("camp7:1001:1")
        chunks = [text[:67], text[67:134], text[134:]]
        for i, (got, chunk) in enumerate(zip(smsc.received, chunks, strict=True), start=1):
            udh = bytes([0x05, 0x00, 0x03, ref, 3, i])
            assert_submit(got.raw, submit_body(dest="8613812345678", esm_class=0x40, data_coding=8,
                                               short_message=udh + chunk.encode("utf-16-be"), key="camp7:1001:1"))
        assert "".join(g.text for g in smsc.received) == text

    def test_long_ascii_is_concatenated_153_septets_a_part(self, smsc, sender):
        text = "".join(chr(ord("a") + i % 26) for i in range(200))
        send(sender, text)
        assert [len(g.short_message) for g in smsc.received] == [6 + 153, 6 + 47]
        assert all(g.esm_class == 0x40 and g.data_coding == 0 for g in smsc.received)
        assert "".join(g.text for g in smsc.received) == text

    @pytest.mark.parametrize(("text", "parts"), [("好" * 70, 1), ("好" * 71, 2), ("a" * 160, 1), ("a" * 161, 2)])
    def test_single_message_limits(self, smsc, sender, text, parts):
        assert len(send(sender, text)) == parts
        assert len(smsc.received) == parts

    def test_a_retry_reuses_the_concatenation_reference(self, smsc, sender):
        send(sender, "好" * 100, key="camp9:5:1")
        send(sender, "好" * 100, key="camp9:5:1")
        assert {g.short_message[3] for g in smsc.received} == {reference("camp9:5:1")}


class TestReceipts:
    def test_each_part_gets_its_receipt_at_poll_time(self, smsc, sender, events):
        ids = send(sender, "好" * 100) + send(sender, "Hi", key="other")
        assert events["receipts"] == []  # not before the outbox stored the ids
        handled = 0
        while handled < 3:
            handled += sender.poll(2.0) or pytest.fail("receipt missing")
        assert [(r[0], r[1]) for r in events["receipts"]] == [(i, "delivered") for i in ids]
        assert all(r[2].tzinfo is not None for r in events["receipts"])

    def test_undeliverable_number_gets_a_failed_receipt(self, smsc, sender, events):
        smsc.failing.add("8613900000000")
        [message_id] = send(sender, "Hi", to="13900000000")
        assert sender.poll(2.0) == 1
        assert events["receipts"][0][:2] == (message_id, "failed")

    def test_receipts_are_acknowledged_after_the_callback(self, smsc, sender):
        send(sender, "Hi")
        sender.poll(2.0)
        sender.enquire_link()  # a round trip, so the SMSC has read the acknowledgement
        assert smsc.receipts_acked == 1

    def test_failed_callback_asks_the_smsc_to_redeliver(self, smsc):
        def broken(*_a):
            raise RuntimeError("database down")

        s = SmppSender("127.0.0.1", smsc.port, "telcrm", "secret", "10086", on_receipt=broken)
        try:
            s.send(OutgoingMessage(key="k", to="13812345678", body="Hi"))
            with pytest.raises(RuntimeError):
                s.poll(2.0)
            s.enquire_link()
            assert smsc.receipts_acked == 0
        finally:
            s.close()


class TestReplies:
    @pytest.mark.parametrize("text", ["退订", "TD", "td"])
    def test_mobile_originated_reply_reaches_on_reply_with_the_national_number(self, smsc, sender, events, text):
        send(sender, "Hi")  # bound
        smsc.inject_mo("8613812345678", text)
        while sender.poll(2.0) and not events["replies"]:
            pass
        assert [(n, t) for n, t, _at in events["replies"]] == [("13812345678", text)]


    def test_a_long_reply_arrives_once_all_its_parts_are_in(self, smsc, sender, events):
        send(sender, "Hi")
        text = "你们的套餐太贵了，" * 12  # 108 characters: two UCS2 parts
        smsc.inject_mo("8613812345678", text)
        smsc.inject_mo("8613900000000", "TD")
        for _ in range(5):
            sender.poll(1.0)
            if len(events["replies"]) == 2:
                break
        assert sorted((n, t) for n, t, _at in events["replies"]) == [("13812345678", text), ("13900000000", "TD")]


class TestFailures:
    def test_throttling_is_transient_and_the_next_send_goes(self, smsc, sender):
        smsc.throttle()
        with pytest.raises(TransientError, match="Throttling"):
            send(sender, "Hi")
        assert len(send(sender, "Hi")) == 1
        assert len(smsc.received) == 1

    def test_bad_destination_from_the_smsc_is_permanent(self, smsc, sender):
        smsc.reject("8613800000000")
        with pytest.raises(PermanentError, match="Invalid Destination"):
            send(sender, "Hi", to="13800000000")

    @pytest.mark.parametrize("number", ["", "12345", "1381234567x", "+86abc"])
    def test_a_number_that_is_not_a_mobile_is_refused_before_sending(self, smsc, sender, number):
        with pytest.raises(PermanentError, match="not a mobile"):
            send(sender, "Hi", to=number)
        assert smsc.received == []

    def test_empty_message_is_permanent(self, sender):
        with pytest.raises(PermanentError):
            send(sender, "")

    def test_a_busy_link_is_not_checked_so_a_close_shows_as_transient(self, smsc, sender):
        sender.idle_check = 3600.0  # the link is never idle long enough to be checked
        send(sender, "first")
        smsc.disconnect_all()
        with pytest.raises(TransientError, match="link lost"):
            send(sender, "second")
        send(sender, "second")
        assert [g.text for g in smsc.received] == ["first", "second"]

    def test_dropped_link_is_transient_and_the_sender_reconnects(self, smsc, sender):
        send(sender, "first")
        smsc.drop_next()
        with pytest.raises(TransientError, match="link lost"):
            send(sender, "second")
        send(sender, "second")
        assert [g.text for g in smsc.received] == ["first", "second"]

    def test_a_link_the_smsc_closed_while_idle_is_bound_again_before_sending(self, smsc, sender):
        sender.idle_check = 0.0  # every link counts as idle: checked before each send
        send(sender, "first")
        smsc.disconnect_all()
        send(sender, "second")
        assert [g.text for g in smsc.received] == ["first", "second"]

    def test_an_smsc_that_does_not_answer_is_a_timeout_and_the_next_send_binds_again(self, smsc):
        s = SmppSender("127.0.0.1", smsc.port, "telcrm", "secret", "10086", timeout=0.5)
        try:
            smsc.stall_next()
            with pytest.raises(TransientError, match="did not answer"):
                s.send(OutgoingMessage(key="k", to="13812345678", body="Hi"))
            assert len(s.send(OutgoingMessage(key="k", to="13812345678", body="Hi"))) == 1
        finally:
            s.close()
        assert len(smsc.received) == 1  # the stalled one was never accepted

    def test_the_smscs_enquire_link_is_answered(self, smsc, sender):
        send(sender, "Hi")
        smsc.enquire_all()
        sender.poll(2.0)  # the receipt, then the enquire_link
        sender.enquire_link()  # a round trip: the SMSC has read the answer by now
        assert smsc.links_answered >= 1

    def test_unreachable_smsc_is_transient(self):
        with pytest.raises(TransientError, match="unreachable"):
            SmppSender("127.0.0.1", 1, "telcrm", "secret", "10086", timeout=1).send(
                OutgoingMessage(key="k", to="13812345678", body="Hi"))

    def test_wrong_password_is_a_refused_bind(self, smsc):
        s = SmppSender("127.0.0.1", smsc.port, "telcrm", "wrong", "10086")
        with pytest.raises(TransientError, match="refused the bind"):
            s.send(OutgoingMessage(key="k", to="13812345678", body="Hi"))
        assert smsc.received == []


class TestWindow:
    def messages(self, n: int, **special: str) -> list[OutgoingMessage]:
        return [OutgoingMessage(key=f"w:{i}", to=special.get(str(i), f"139{i:08d}"), body=f"第{i}条通知")
                for i in range(n)]

    def test_a_window_of_messages_each_gets_its_ids_or_its_error(self, smsc, sender):
        smsc.reject("8613900000007")
        batch = self.messages(25, **{"3": "not-a-number", "7": "13900000007"})
        outcomes = sender.send_many(batch)
        assert isinstance(outcomes[3], PermanentError) and "not a mobile" in outcomes[3].reason
        assert isinstance(outcomes[7], PermanentError) and "Invalid Destination" in outcomes[7].reason
        sent = {i: ids for i, ids in enumerate(outcomes) if isinstance(ids, list)}
        assert len(sent) == 23
        by_id = {g.message_id: g for g in smsc.received}
        for i, [message_id] in sent.items():
            assert by_id[message_id].text == f"第{i}条通知"
            assert by_id[message_id].destination_addr == f"86139{i:08d}"
        assert len(smsc.received) == 23  # nothing twice

    def test_throttled_messages_in_a_window_are_transient_the_others_go(self, smsc, sender):
        smsc.throttle(2)
        outcomes = sender.send_many(self.messages(12))
        assert [type(o) for o in outcomes[:2]] == [TransientError, TransientError]
        assert all(isinstance(o, list) for o in outcomes[2:])
        assert len(smsc.received) == 10

    def test_a_link_lost_mid_window_keeps_what_the_smsc_accepted(self, smsc, sender):
        sender.send_many(self.messages(3))  # bound; three accepted
        smsc.drop_next()  # the SMSC closes the link on the next submit_sm
        outcomes = sender.send_many(self.messages(8))
        assert all(isinstance(o, TransientError) for o in outcomes)
        retried = sender.send_many(self.messages(8))
        assert all(isinstance(o, list) for o in retried)
        accepted = [g.text for g in smsc.received]
        assert accepted == [f"第{i}条通知" for i in (0, 1, 2)] + [f"第{i}条通知" for i in range(8)]

    def test_receipts_of_a_window_arrive_at_poll(self, smsc, sender, events):
        outcomes = sender.send_many(self.messages(15))
        handled = 0
        while handled < 15:
            handled += sender.poll(2.0) or pytest.fail("receipts missing")
        assert sorted(r[0] for r in events["receipts"]) == sorted(ids[0] for ids in outcomes)
