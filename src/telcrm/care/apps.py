from django.apps import AppConfig

#: Reading campaigns and their results: audiences, campaigns, sends, suppressions, effects.
_READ = ["care.view_audience", "care.view_campaign", "care.view_campaignstep", "care.view_campaignmember",
         "care.view_campaignresponse", "care.view_programmefeedback", "care.view_template",
         "care.view_careproduct", "care.view_vouchercode", "care.view_outboxmessage", "care.view_suppression",
         "care.view_trigger", "care.view_triggerfiring", "care.view_calltask"]
#: A customer's contact preferences on the 360 page.
_PREFERENCES = ["care.view_consent", "care.view_optout", "care.view_donotcontact"]
_RECORD_CONSENT = ["care.add_consent", "care.add_donotcontact"]
#: Building audiences and campaigns, their content, care products and vouchers.
_BUILD = ["care.add_audience", "care.change_audience", "care.add_campaign", "care.change_campaign",
          "care.add_template", "care.change_template", "care.add_careproduct", "care.change_careproduct",
          "care.add_vouchercode", "care.change_vouchercode", "care.add_trigger", "care.change_trigger",
          "care.run_campaign", "care.add_holdoutmember", "care.view_holdoutmember"]
_CALLS = ["care.view_calltask", "care.work_calltask"]


class CareConfig(AppConfig):
    name = "telcrm.care"
    label = "care"
    #: Who works the care screens, on top of core.roles (see core.roles.role_permissions):
    #: care & marketing builds and runs campaigns; a manager approves marketing before any
    #: send (issue 4) and compares programmes; agents work call tasks and redeem vouchers at
    #: the counter; analysts read the effects.
    role_permissions: dict[str, list[str]] = {
        role: list(dict.fromkeys(perms)) for role, perms in {
            "administrator": [*_READ, *_PREFERENCES, *_RECORD_CONSENT, *_BUILD, *_CALLS, "care.approve_campaign"],
            "manager": [*_READ, *_PREFERENCES, *_RECORD_CONSENT, "care.approve_campaign", "care.run_campaign"],
            "care_marketing": [*_READ, *_PREFERENCES, *_RECORD_CONSENT, *_BUILD, *_CALLS],
            "service_agent": [*_PREFERENCES, *_RECORD_CONSENT, *_CALLS, "care.view_vouchercode",
                              "care.change_vouchercode", "care.view_careproduct"],
            "account_manager": [*_PREFERENCES, *_CALLS],
            "analyst": _READ,
        }.items()
    }

    def ready(self) -> None:
        # "After a ticket is resolved" care (issue 4, "Triggers"): the tickets app sends the
        # event in its transaction, so the care message is kept or rolled back with it.
        from telcrm.care.triggers import on_ticket_resolved
        from telcrm.core.events import ticket_resolved

        ticket_resolved.connect(on_ticket_resolved, dispatch_uid="care-ticket-resolved")
