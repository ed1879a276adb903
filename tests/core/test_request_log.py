import io
import logging

from telcrm.core.logging import MaskPiiFilter


def test_development_server_request_lines_are_masked():
    """runserver logs each request with its query string (a searched phone number)."""
    logger = logging.getLogger("django.server")
    handler = next(h for h in logger.handlers if any(isinstance(f, MaskPiiFilter) for f in h.filters))
    stream = io.StringIO()
    original, handler.stream = handler.stream, stream
    try:
        logger.info('"GET /customers/?q=13812345678 HTTP/1.1" 200 5120')
    finally:
        handler.stream = original
    assert "138****5678" in stream.getvalue()
    assert "13812345678" not in stream.getvalue()
