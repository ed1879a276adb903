"""Letters (direct mail, 直邮): a print-ready PDF per batch, one A4 page per customer.

Direct mail is the targeted, private and quickly measured channel of domain.md section 4.
The outbox hands letters over one by one like any message (``to`` is the address block,
one line each: postcode, address, name; ``subject`` the title; ``body`` the personalised
text), and ``LetterSender`` appends each to its batch's journal on disk at once, so a
letter the outbox counts as sent survives a crash; ``close`` (or ``render_batch`` on a
journal left behind) typesets the batch: the address block where a window envelope (DL,
C5) shows it, the date, title and body, with Noto Sans CJK SC embedded as a font subset so
any print shop prints the Chinese as written. fpdf2 embeds its CFF outlines from Debian's
fonts-noto-cjk collection directly (reportlab cannot).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from telcrm.care.channels.base import OutgoingMessage, PermanentError, TransientError

#: Debian's fonts-noto-cjk (the Makefile's ``system`` target installs it); face 2 of the
#: collection is Simplified Chinese (faces: JP, KR, SC, TC, HK).
FONT_REGULAR = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FONT_FACE_SC = 2

_BODY_SIZE, _TITLE_SIZE = 11, 14  # pt
_WIDTH = 160.0  # mm of text between the margins
_LINE = 6.5  # mm
_BODY_TOP, _BODY_BOTTOM = 112.0, 270.0  # mm from the top of the page


@dataclass(frozen=True)
class Letter:
    """One page of a batch, as journaled."""

    key: str
    address: tuple[str, ...]
    title: str
    body: str
    date: str


def _pdf() -> FPDF:
    for font in (FONT_REGULAR, FONT_BOLD):
        if not font.exists():
            raise TransientError(f"letter font {font} is missing (Debian package fonts-noto-cjk)")
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(25, 20, 20)
    pdf.add_font("cjk", "", FONT_REGULAR, collection_font_number=FONT_FACE_SC)
    pdf.add_font("cjk", "B", FONT_BOLD, collection_font_number=FONT_FACE_SC)
    pdf.set_creator("telcrm")
    return pdf


@cache
def _measure() -> FPDF:
    """One document per process to measure bodies with (loading the CJK faces is the
    slow part of a letter, about a second each)."""
    pdf = _pdf()
    pdf.add_page()
    return pdf


def _fits(title: str, body: str) -> bool:
    """The title on one line and the body within the page, as ``_page`` sets them."""
    pdf = _measure()
    pdf.set_font("cjk", "B", _TITLE_SIZE)
    if pdf.get_string_width(title) > _WIDTH:
        return False
    pdf.set_font("cjk", "", _BODY_SIZE)
    height = pdf.multi_cell(_WIDTH, _LINE, body, dry_run=True, output="HEIGHT")
    return float(height) <= _BODY_BOTTOM - _BODY_TOP  # type: ignore[arg-type]


def _page(pdf: FPDF, letter: Letter, sender_lines: list[str]) -> None:
    pdf.add_page()
    pdf.set_font("cjk", "", 8)
    pdf.set_xy(25, 20)
    pdf.multi_cell(90, 4, "\n".join(sender_lines))
    # The recipient's block sits in the window of a DL/C5 envelope (left 20-110 mm, 45-90 mm down).
    pdf.set_xy(25, 50)
    pdf.set_font("cjk", "", 12)
    pdf.multi_cell(85, 7, "\n".join(letter.address))
    pdf.set_xy(120, 95)
    pdf.set_font("cjk", "", 10)
    pdf.cell(65, 6, letter.date, align="R")
    pdf.set_xy(25, 102)
    pdf.set_font("cjk", "B", _TITLE_SIZE)
    pdf.cell(_WIDTH, 8, letter.title)
    pdf.set_xy(25, _BODY_TOP)
    pdf.set_font("cjk", "", _BODY_SIZE)
    pdf.multi_cell(_WIDTH, _LINE, letter.body)
    pdf.set_xy(25, 282)
    pdf.set_font("cjk", "", 7)
    pdf.cell(160, 4, letter.key)  # the outbox key, for tracking returns and responses


def render_letters(letters: Iterable[Letter], *, sender_lines: Iterable[str] = ()) -> bytes:
    """The batch PDF: one page per letter, in the order given."""
    pdf, lines = _pdf(), list(sender_lines)
    for letter in letters:
        _page(pdf, letter, lines)
    return bytes(pdf.output())


def render_batch(journal: Path, *, sender_lines: Iterable[str] = ()) -> Path:
    """Typeset a batch journal (one JSON letter a line) into ``<journal>.pdf`` next to it,
    written to a temporary name and renamed so a printer never picks up half a file."""
    letters = []
    with journal.open(encoding="utf-8") as lines:
        for line in lines:
            fields = json.loads(line)
            letters.append(Letter(**{**fields, "address": tuple(fields["address"])}))
    target = journal.with_suffix(".pdf")
    partial = target.with_suffix(".pdf.partial")
    partial.write_bytes(render_letters(letters, sender_lines=sender_lines))
    os.replace(partial, target)
    return target


class LetterSender:
    """A channel sender (base.Sender) collecting one batch of letters."""

    def __init__(
        self, directory: Path | None = None, *, sender_lines: Iterable[str] = (), today: dt.date | None = None,
    ):
        self.directory = directory or settings.DATA_DIR / "letters"
        self.sender_lines = list(sender_lines) or ["客户服务中心", settings.SMPP_SOURCE_ADDR]
        self.today = today or dt.date.today()
        _measure()  # checks the fonts before the first letter
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.journal = self.directory / f"letters-{stamp}.jsonl"
        self.pages = 0
        self.pdf_path: Path | None = None

    def send(self, message: OutgoingMessage) -> list[str]:
        """Add a letter to the batch; its id is the batch's name and page number."""
        address = tuple(line.strip() for line in message.to.splitlines() if line.strip())
        if len(address) < 2:
            raise PermanentError("a letter needs an address block of at least two lines (address, name)")
        if not message.body.strip():
            raise PermanentError("an empty letter")
        if not _fits(message.subject, message.body):
            raise PermanentError("the letter's title or text does not fit on one A4 page")
        letter = Letter(key=message.key, address=address, title=message.subject, body=message.body,
                        date=f"{self.today.year}年{self.today.month}月{self.today.day}日")
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(letter), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.pages += 1
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:8]
        return [f"{self.journal.stem}#p{self.pages}-{digest}"]

    def close(self) -> None:
        """Typeset the batch into ``pdf_path`` (left None for a batch with no letter)."""
        if self.pages and self.pdf_path is None:
            self.pdf_path = render_batch(self.journal, sender_lines=self.sender_lines)
