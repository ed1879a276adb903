"""A logging filter that masks phone and ID numbers in every record, so logs carry no PII."""

from __future__ import annotations

import logging

from telcrm.core.masking import mask_text


class MaskPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True
