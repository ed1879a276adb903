"""The administrator edits the desk's configuration in the admin; an agent may not."""

from __future__ import annotations

import pytest
from django.test import Client

from telcrm.core.roles import Role
from telcrm.tickets.models import Category

from .desk import agent

pytestmark = pytest.mark.django_db


def test_the_administrator_adds_a_category_under_another() -> None:
    admin = agent(Role.ADMINISTRATOR)
    admin.is_staff = True
    admin.save()
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/tickets/category/").status_code == 200
    parent = Category.objects.get(code="roaming")
    response = client.post("/admin/tickets/category/add/", {
        "code": "roaming.data", "name_zh": "漫游上网", "name_en": "Roaming data", "parent": parent.pk,
        "active": "on", "position": 99})
    assert response.status_code == 302
    assert Category.objects.get(code="roaming.data").parent == parent
    assert client.get("/admin/tickets/slapolicy/").status_code == 200


def test_an_agent_cannot_edit_the_configuration() -> None:
    worker = agent()
    worker.is_staff = True
    worker.save()
    client = Client()
    client.force_login(worker)
    assert client.post("/admin/tickets/category/add/", {"code": "x", "name_zh": "x", "name_en": "x",
                                                         "position": 1}).status_code == 403
    assert not Category.objects.filter(code="x").exists()
