from django.apps import AppConfig

#: Working tickets: open, note, verify, hand work to the back office, ask for a refund and
#: call back. Approving a refund also needs the approver's level (services check it).
_WORK_TICKETS = ["tickets.view_ticket", "tickets.add_ticket", "tickets.change_ticket",
                 "tickets.view_ticketnote", "tickets.add_ticketnote", "tickets.view_statuschange",
                 "tickets.view_evidence", "tickets.add_evidence", "tickets.view_workorder",
                 "tickets.add_workorder", "tickets.change_workorder", "tickets.view_escalation",
                 "tickets.view_refundrequest", "tickets.add_refundrequest",
                 "tickets.change_refundrequest", "tickets.view_returnvisit",
                 "tickets.change_returnvisit", "tickets.view_category", "tickets.view_slapolicy",
                 "tickets.view_team"]
#: The desk's configuration: category tree, SLA table, approval limits, teams.
_CONFIGURE = ["tickets.add_category", "tickets.change_category", "tickets.change_slapolicy",
              "tickets.add_slapolicy", "tickets.view_approvallimit", "tickets.change_approvallimit",
              "tickets.add_team", "tickets.change_team"]


class TicketsConfig(AppConfig):
    name = "telcrm.tickets"
    label = "tickets"
    #: Who works the service desk, on top of core.roles (see core.roles.role_permissions).
    role_permissions: dict[str, list[str]] = {
        "administrator": [*_WORK_TICKETS, *_CONFIGURE],
        "manager": [*_WORK_TICKETS, "tickets.view_approvallimit"],
        "account_manager": _WORK_TICKETS,
        "service_agent": _WORK_TICKETS,
        "analyst": ["tickets.view_ticket", "tickets.view_escalation", "tickets.view_returnvisit",
                    "tickets.view_category", "tickets.view_team"],
    }
