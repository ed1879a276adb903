"""The service desk's records: tickets, their notes, history, evidence and work orders,
escalations, refunds and return visits (回访), and the configuration they follow (category
tree, SLA policies, approval limits). domain.md section 5; the ticket's status values are
TM Forum TMF621's.

Deadlines are stored as columns (``response_due``, ``resolution_due``, ``sweep_due_at``),
so the SLA sweep finds every ticket needing attention with one indexed range query
instead of recomputing business time for each open ticket.
"""

from .aftercare import (
    ApprovalLevel,
    ApprovalLimit,
    RefundKind,
    RefundRequest,
    RefundStatus,
    ReturnVisit,
    ReturnVisitStatus,
)
from .desk import (
    OPEN_STATUSES,
    Category,
    Priority,
    Resolution,
    SlaPolicy,
    SlaStage,
    Team,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketStatus,
)
from .records import (
    Escalation,
    EscalationLevel,
    Evidence,
    EvidenceKind,
    NoteKind,
    StatusChange,
    TicketNote,
    WorkOrder,
    WorkOrderStatus,
    WorkOrderTeam,
)

__all__ = [
    "OPEN_STATUSES",
    "ApprovalLevel",
    "ApprovalLimit",
    "Category",
    "Escalation",
    "EscalationLevel",
    "Evidence",
    "EvidenceKind",
    "NoteKind",
    "Priority",
    "RefundKind",
    "RefundRequest",
    "RefundStatus",
    "Resolution",
    "ReturnVisit",
    "ReturnVisitStatus",
    "SlaPolicy",
    "SlaStage",
    "StatusChange",
    "Team",
    "Ticket",
    "TicketChannel",
    "TicketKind",
    "TicketNote",
    "TicketStatus",
    "WorkOrder",
    "WorkOrderStatus",
    "WorkOrderTeam",
]
