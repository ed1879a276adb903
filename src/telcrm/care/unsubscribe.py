"""The one-click unsubscribe link of marketing email (RFC 8058), for the customer, no login.

The link carries a signed token (care/channels/email.py) naming the customer and the
channel. Opening it shows a button and changes nothing, because mail scanners open links
on their own; a POST opts the customer out of marketing on that channel at once (the
worker asks the contact policy again before every send). A mail client's unsubscribe
button POSTs ``List-Unsubscribe=One-Click`` to the same URL without a CSRF token, so the
view is exempt: the signed token is what proves the request. The page names no personal
data, so a forwarded link reveals nothing.
"""

from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from telcrm.care import contacts
from telcrm.care.channels.email import read_unsubscribe_token
from telcrm.care.choices import Channel, ConsentSource
from telcrm.customers.models import Customer


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer_id, channel = read_unsubscribe_token(token)
    except signing.BadSignature as exc:
        raise Http404("not an unsubscribe link") from exc
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or channel not in Channel.values:
        raise Http404("not an unsubscribe link")
    done = False
    if request.method == "POST":
        source = ConsentSource.EMAIL if channel == Channel.EMAIL else ConsentSource.WEB
        with transaction.atomic():
            contacts.record_opt_out(customer, channel=channel, source=source)
        done = True
    return render(request, "care/unsubscribe.html", {"done": done, "channel": Channel(channel).label})
