"""Delivery channels of the care app: SMS over SMPP 3.4, email over SMTP, letters as
print-ready PDF. Each sender takes an ``OutgoingMessage`` from the outbox worker and either
returns the provider's message ids or raises ``TransientError`` (retry with backoff) or
``PermanentError`` (give up, record why)."""
