"""The closed sets of care and marketing (architecture.md, convention 10: typed vocabulary).

Kept apart from models.py so the pure contact policy (care/policy.py) can speak the same
words without importing any table.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """The channels the outbox sends on (domain.md section 4: outbound calls, SMS, email,
    letters, i.e. direct mail 直邮)."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")
    CALL = "call", _("outbound call")
    LETTER = "letter", _("letter")


class Purpose(models.TextChoices):
    """Care serves the customer's own account (a suspension notice, 停机关怀) and follows
    its own rules; marketing needs consent and obeys quiet hours, caps and the holdout."""

    CARE = "care", _("care")
    MARKETING = "marketing", _("marketing")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")


class ConsentSource(models.TextChoices):
    CONTRACT = "contract", _("service contract")
    BUSINESS_HALL = "business_hall", _("business hall")
    CALL_CENTRE = "call_centre", _("call centre")
    WEB = "web", _("web")
    SMS = "sms", _("SMS reply")
    EMAIL = "email", _("email link")
    IMPORT = "import", _("import")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    APPROVED = "approved", _("approved")
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    FINISHED = "finished", _("finished")


class Group(models.TextChoices):
    """A campaign member is drawn at random into treatment or control before any send."""

    TREATMENT = "treatment", _("treatment")
    CONTROL = "control", _("control")


class ResponseKind(models.TextChoices):
    REDEMPTION = "redemption", _("redemption")
    PLAN_CHANGE = "plan_change", _("plan change")
    TOP_UP = "top_up", _("top-up")
    REPLY = "reply", _("reply")


class ProductKind(models.TextChoices):
    """Care by product (domain.md section 4): service items (suspension care, airport VIP
    service, handset club), vouchers, QR-code e-coupons, gifts and event tickets."""

    SERVICE_ITEM = "service_item", _("service item")
    VOUCHER = "voucher", _("voucher")
    E_COUPON = "e_coupon", _("e-coupon")
    GIFT = "gift", _("gift")
    TICKET = "ticket", _("event ticket")


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    SUPPRESSED = "suppressed", _("suppressed")
    #: The worker died between handing the message to the channel and recording it: it
    #: may or may not have gone out, so it is not sent again (a duplicate is the worse
    #: error); the receipts or a person settle it.
    UNCERTAIN = "uncertain", _("interrupted while sending")


class SuppressionReason(models.TextChoices):
    """Why a contact was not made; every suppressed contact is recorded with one."""

    NO_CONSENT = "no_consent", _("no marketing consent")
    OPTED_OUT = "opted_out", _("opted out of the channel")
    DO_NOT_CONTACT = "do_not_contact", _("on the do-not-contact list")
    QUIET_HOURS = "quiet_hours", _("outside the contact hours")
    FREQUENCY_CAP = "frequency_cap", _("frequency cap reached")
    HOLDOUT = "holdout", _("in the global holdout")
    LOWER_PRIORITY = "lower_priority", _("a higher-priority campaign has the customer")
    NO_ADDRESS = "no_address", _("no address for the channel")
    CARE_CONTENT = "care_content", _("care message carries marketing content")
    INVALID_ADDRESS = "invalid_address", _("the channel refused the address")
    CAMPAIGN_ENDED = "campaign_ended", _("the campaign ended before the send")
    CONTENT_MISSING = "content_missing", _("the message needs a value this customer lacks")


class TriggerKind(models.TextChoices):
    SUSPENSION_CARE = "suspension_care", _("suspension care (VIP in arrears)")
    BIRTHDAY = "birthday", _("birthday")
    TENURE = "tenure", _("tenure anniversary")
    BILL_SHOCK = "bill_shock", _("bill shock")
    CHURN_WARNING = "churn_warning", _("high churn risk")
    TICKET_RESOLVED = "ticket_resolved", _("after a ticket is resolved")
    CONTRACT_END = "contract_end", _("contract end approaching")
    DATE = "date", _("date campaign")


class CallStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class CallOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("reached, accepted the offer")
    DECLINED = "declined", _("reached, declined")
    INFORMED = "informed", _("reached, informed")
    CALL_BACK = "call_back", _("asked to call back")
    NO_ANSWER = "no_answer", _("no answer")
    WRONG_NUMBER = "wrong_number", _("wrong number")
    DO_NOT_CALL = "do_not_call", _("asked not to be called")
