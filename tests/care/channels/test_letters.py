"""Letters: the batch PDF read back with poppler (pages, embedded Chinese font, text, address)."""

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from telcrm.care.channels.base import OutgoingMessage, PermanentError
from telcrm.care.channels.letters import Letter, LetterSender, render_batch, render_letters


def pages_text(pdf: Path) -> list[str]:
    """Each page's text as poppler's pdftotext reads it, whitespace removed (layout breaks lines)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True).stdout
    return ["".join(page.decode().split()) for page in text.split(b"\f")[:-1]]


def pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def letter(i: int) -> OutgoingMessage:
    return OutgoingMessage(
        key=f"camp5:{1000 + i}:1", to=f"200120\n上海市浦东新区世纪大道{i}号\n王小明{i} 先生",
        subject="VIP 客户专属关怀", body=f"尊敬的王小明{i}先生：\n感谢您十年来的信赖，随信附上积分{100 * i}分兑换券。",
    )


@pytest.fixture
def sender(tmp_path):
    return LetterSender(tmp_path, today=dt.date(2026, 12, 1))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch of three letters, typeset once for the tests that read it."""
    sender = LetterSender(tmp_path_factory.mktemp("letters"), today=dt.date(2026, 12, 1))
    ids = [sender.send(letter(i))[0] for i in range(1, 4)]
    sender.close()
    return sender, ids


class TestBatch:
    def test_one_a4_page_per_customer_with_their_own_text(self, batch):
        sender, ids = batch
        info = pdfinfo(sender.pdf_path)
        assert info["Pages"] == "3"
        assert info["Page size"].endswith("pts (A4)")
        assert len(set(ids)) == 3
        for i, text in enumerate(pages_text(sender.pdf_path), start=1):
            assert f"上海市浦东新区世纪大道{i}号" in text
            assert f"尊敬的王小明{i}先生" in text and f"积分{100 * i}分" in text
            assert "2026年12月1日" in text and "VIP客户专属关怀" in text
            assert f"camp5:{1000 + i}:1" in text

    def test_chinese_font_is_embedded(self, batch):
        sender, _ids = batch
        out = subprocess.run(["pdffonts", str(sender.pdf_path)], check=True, capture_output=True, text=True).stdout
        fonts = [line.split() for line in out.splitlines()[2:]]
        assert fonts and {f[0].split("+")[1] for f in fonts} == {"NotoSansCJKSC", "NotoSansCJKSCBold"}
        assert all(f[-5:-2] == ["yes", "yes", "yes"] for f in fonts)  # embedded, subset, ToUnicode

    def test_journal_survives_and_can_be_typeset_later(self, tmp_path):
        first = LetterSender(tmp_path, today=dt.date(2026, 12, 1))
        first.send(letter(1))
        first.send(letter(2))  # the worker dies here: no close()
        lines = first.journal.read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["key"] for line in lines] == ["camp5:1001:1", "camp5:1002:1"]
        pdf = render_batch(first.journal)
        assert pdfinfo(pdf)["Pages"] == "2"
        assert not pdf.with_suffix(".pdf.partial").exists()

    def test_empty_batch_writes_nothing(self, sender, tmp_path):
        sender.close()
        assert sender.pdf_path is None and list(tmp_path.iterdir()) == []

    def test_render_letters_directly(self):
        data = render_letters([Letter("k", ("100000", "北京市", "李雷"), "通知", "您好", "2026年1月1日")])
        assert data.startswith(b"%PDF-")


class TestRefused:
    def test_address_block_needs_two_lines(self, sender):
        with pytest.raises(PermanentError, match="address"):
            sender.send(OutgoingMessage(key="k", to="上海市", body="您好"))

    def test_empty_letter(self, sender):
        with pytest.raises(PermanentError, match="empty"):
            sender.send(OutgoingMessage(key="k", to="上海市\n王先生", body="  "))

    def test_title_longer_than_a_line(self, sender):
        with pytest.raises(PermanentError, match="title or text"):
            sender.send(OutgoingMessage(key="k", to="上海市\n王先生", subject="很长的标题" * 20, body="您好"))

    def test_text_longer_than_a_page(self, sender):
        with pytest.raises(PermanentError, match="one A4 page"):
            sender.send(OutgoingMessage(key="k", to="上海市\n王先生", body="很长的一段话。" * 400))
        assert not sender.journal.exists()
