"""Short-message text: data coding, segments and the concatenation header (pure functions).

GSM 03.38 and SMPP 3.4 section 5.2.19: a message in the GSM 7-bit default alphabet goes
with data_coding 0 (one septet per octet on the SMPP link, as SMSCs expect), anything
else (Chinese above all) as UCS2, data_coding 8, UTF-16 big-endian. One short message
carries 160 septets or 70 UCS2 characters; a longer one is cut into parts of 153 septets
or 67 UCS2 characters, each behind a 6-octet user data header (IEI 0x00: concatenated
message, 8-bit reference) and sent with esm_class 0x40 (UDHI), so the handset joins them
(3GPP TS 23.040 9.2.3.24.1). A cut never splits a GSM escape pair or a UTF-16 surrogate
pair, and the reference is derived from the outbox key, so a retried message reuses it
and a handset that already holds a part drops the duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from smpplib.gsm import GSM_CHARACTER_TABLE, gsm_encode

GSM7 = 0x00
UCS2 = 0x08
LATIN1 = 0x03
UDHI = 0x40

_SINGLE = {GSM7: 160, UCS2: 140}  # octets of one short message on the link
_PART = {GSM7: 153, UCS2: 134}  # octets of text in one part behind the 6-octet header
_ESCAPE = 0x1B


@dataclass(frozen=True)
class Encoded:
    """A message ready for submit_sm: its data_coding, esm_class and one short_message
    per part (the header included when there is more than one)."""

    data_coding: int
    esm_class: int
    parts: list[bytes]


def reference(key: str) -> int:
    """The 8-bit concatenation reference of a message: stable for the same outbox key."""
    return hashlib.sha256(key.encode()).digest()[0]


def _is_gsm(text: str) -> bytes | None:
    if "`" in text:  # the library's table uses it as a filler for unassigned septets
        return None
    try:
        return gsm_encode(text)
    except UnicodeError:
        return None


def _cut(data: bytes, size: int, coding: int) -> list[bytes]:
    chunks, start = [], 0
    while start < len(data):
        end = min(start + size, len(data))
        if end < len(data):
            if coding == GSM7 and data[end - 1] == _ESCAPE:
                end -= 1  # keep an escape with the character it introduces
            elif coding == UCS2 and 0xD8 <= data[end - 2] <= 0xDB:
                end -= 2  # keep a high surrogate with its low one
        chunks.append(data[start:end])
        start = end
    return chunks


def encode(text: str, *, key: str) -> Encoded:
    """Encode ``text`` for SMPP: GSM 7-bit where every character has a septet, else UCS2;
    split into concatenated parts when it does not fit one message. Raises ValueError for
    an empty text or one needing more than 255 parts."""
    if not text:
        raise ValueError("an empty short message")
    gsm = _is_gsm(text)
    coding, data = (GSM7, gsm) if gsm is not None else (UCS2, text.encode("utf-16-be"))
    if len(data) <= _SINGLE[coding]:
        return Encoded(coding, 0, [data])
    chunks = _cut(data, _PART[coding], coding)
    if len(chunks) > 255:
        raise ValueError("a short message longer than 255 parts")
    ref = reference(key)
    parts = [bytes([0x05, 0x00, 0x03, ref, len(chunks), i]) + chunk for i, chunk in enumerate(chunks, start=1)]
    return Encoded(coding, UDHI, parts)


def concatenation(data: bytes, esm_class: int) -> tuple[int, int, int] | None:
    """(reference, parts, this part's number) from a received message's user data header
    (IEI 0x00, 8-bit reference, or 0x08, 16-bit); None for a message in one piece."""
    if not esm_class & UDHI or not data:
        return None
    header, pos = data[1:1 + data[0]], 0
    while pos + 2 <= len(header):
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2:pos + 2 + length]
        if iei == 0x00 and length == 3:
            return value[0], value[1], value[2]
        if iei == 0x08 and length == 4:
            return int.from_bytes(value[:2], "big"), value[2], value[3]
        pos += 2 + length
    return None


def _gsm_decode(data: bytes) -> str:
    out, escaped = [], False
    for octet in data:
        if octet == _ESCAPE and not escaped:
            escaped = True
            continue
        index = octet + 0x80 if escaped else octet
        out.append(GSM_CHARACTER_TABLE[index] if index < len(GSM_CHARACTER_TABLE) else "?")
        escaped = False
    return "".join(out)


def decode(data: bytes, data_coding: int, esm_class: int = 0) -> str:
    """The text of a received short message (a mobile-originated reply): the user data
    header dropped when esm_class has UDHI, then UCS2, Latin-1 or GSM 7-bit by its coding
    (the low nibble's 0 taken as the GSM default, as the SMSC sends it)."""
    if esm_class & UDHI and data:
        data = data[1 + data[0]:]
    if data_coding == UCS2:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == LATIN1:
        return data.decode("latin-1")
    if data_coding == GSM7:
        return _gsm_decode(data)
    return data.decode("utf-8", errors="replace")
