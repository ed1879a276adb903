"""Care and marketing (domain.md section 4, issue 4): who may be contacted (contacts.py),
saved audiences, campaigns with their control groups and care products (campaigns.py),
triggers, the outbox and call tasks (delivery.py).

The vocabulary lives in care/choices.py, re-exported here, so the pure contact policy
speaks the same words without importing a table.
"""

from telcrm.care.choices import (
    CallOutcome,
    CallStatus,
    CampaignStatus,
    Channel,
    ConsentSource,
    Group,
    Language,
    OutboxStatus,
    ProductKind,
    Purpose,
    ResponseKind,
    SuppressionReason,
    TriggerKind,
)
from telcrm.care.models.campaigns import (
    Audience,
    Campaign,
    CampaignMember,
    CampaignResponse,
    CampaignStep,
    CareProduct,
    ProgrammeFeedback,
    Template,
    VoucherCode,
)
from telcrm.care.models.contacts import Consent, ContactProfile, DoNotContact, HoldoutMember, OptOut
from telcrm.care.models.delivery import (
    CallTask,
    OutboxMessage,
    ProviderPart,
    Suppression,
    Trigger,
    TriggerFiring,
)

__all__ = [
    "Audience", "CallOutcome", "CallStatus", "CallTask", "Campaign", "CampaignMember",
    "CampaignResponse", "CampaignStatus", "CampaignStep", "CareProduct", "Channel", "Consent",
    "ConsentSource", "ContactProfile", "DoNotContact", "Group", "HoldoutMember", "Language",
    "OptOut", "OutboxMessage", "OutboxStatus", "ProductKind", "ProgrammeFeedback",
    "ProviderPart", "Purpose", "ResponseKind", "Suppression", "SuppressionReason", "Template",
    "Trigger", "TriggerFiring", "TriggerKind", "VoucherCode",
]
