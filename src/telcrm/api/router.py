"""The REST API root, in the shape of TM Forum Open APIs, served under ``/tmf-api/``.

Each TM Forum API keeps its standard base path (``customerManagement/v5`` for TMF629), so
a client written against the standard finds the resources where it expects them. The
OpenAPI document is at ``/tmf-api/openapi.json``, the interactive docs at ``/tmf-api/docs``
(served with the app's own static files, no CDN).
"""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from telcrm.api.auth import API_AUTH
from telcrm.api.errors import error_response, install_handlers
from telcrm.churn.api import router as churn_router
from telcrm.customers.api import router as customer_router
from telcrm.tickets.api import router as ticket_router
from telcrm.value.api import router as value_router

DESCRIPTION = """
The telcrm API, shaped after TM Forum Open APIs.

**Authentication.** Send a personal API token, `Authorization: Bearer tc_...` (issued on
the *API tokens* page of the web app), or call from a signed-in browser session (unsafe
methods then need the CSRF token). The API acts with your own role and scope: an agent
sees the customers of its region, an account manager its own enterprises. A customer
outside your scope answers 404.

**Personal data.** Phone numbers, ID numbers and addresses are always masked; the API
has no reveal.

**Errors.** Every 4xx answer is a TMF error object
`{"code", "reason", "message", "status", "@type": "Error"}`; `reason` names the field and
the rule that failed.

**Scores.** `valueManagement/v1/enterpriseValue` (grades, stars, value per month),
`churnManagement/v1/lineScore` (each line's value and churn risk with reasons) and
`churnManagement/v1/churnWarning` (the caller's warnings inbox), read only, from the
nightly analytics.

**Trouble tickets.** `troubleTicket/v5/troubleTicket` (TMF621): complaints, faults,
inquiries and service requests of the customers in your scope, with notes, attachments
(the records a complaint was verified against) and the status history. Status values and
transitions are TMF621's (`acknowledged`, `inProgress`, `pending`, `held`, `resolved`,
`closed`, `rejected`, `cancelled`); an illegal transition is a 422 naming the allowed ones.
PATCH with `If-Match` answers 409 when someone changed the ticket since you read it. An
SMS gateway lands a customer's two-way SMS reply on the ticket as a `note` with `noteType`
`customer` (a pending ticket then goes back to work).
`troubleTicket/v5/hub` registers a listener (TMF630): `TroubleTicketCreateEvent`,
`TroubleTicketStatusChangeEvent` and `TroubleTicketResolvedEvent` are posted to its
`callback` after the change is saved, and retried with growing delays until taken.

**Busy.** A 503 with `Retry-After` means the database was too busy to take the write in
time; nothing was saved, and the same request may be sent again.

**Paging.** `offset` and `limit` (at most 1000); `X-Total-Count` and `X-Result-Count`
headers. `fields=name,status` returns only those attributes (plus `id`, `href`, `@type`).
"""

api = NinjaAPI(
    title="telcrm API", version="5.0.0", urls_namespace="tmf-api", description=DESCRIPTION,
    auth=API_AUTH,
)
install_handlers(api)

#: Seconds a client is asked to wait when the database is busy.
RETRY_AFTER = 1


def _database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """SQLite has one writer: past its lock timeout a write gives up, before anything of the
    request was kept (the transaction rolled back). That is "try again", 503 with
    ``Retry-After``, not a server fault. Other operational errors stay 500s."""
    if "locked" not in str(exc) and "busy" not in str(exc):
        raise exc
    response = error_response(api, request, status=503, code="database_busy",
                              reason="the database is busy; nothing was saved, try again")
    response["Retry-After"] = str(RETRY_AFTER)
    return response


api.add_exception_handler(OperationalError, _database_busy)  # type: ignore[arg-type]  # ninja's stub wants a handler of classes too
api.add_router("customerManagement/v5", customer_router)
# No TM Forum API covers value or churn scores: these follow the same conventions.
api.add_router("valueManagement/v1", value_router)
api.add_router("churnManagement/v1", churn_router)
api.add_router("troubleTicket/v5", ticket_router)
