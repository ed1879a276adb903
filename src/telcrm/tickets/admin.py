"""The service desk's configuration in the admin: the category tree, the SLA table, the
refund approval limits and the desk teams (issue 5: "a category tree editable by an
administrator"; "SLA policies are configuration")."""

from __future__ import annotations

from django.contrib import admin

from .models import ApprovalLimit, Category, SlaPolicy, Team


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "parent", "active", "position")
    list_filter = ("active", "parent")
    list_editable = ("active", "position")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("stars", "kind", "channel", "priority", "response_minutes", "resolution_minutes", "warn_share",
                    "manager_share", "round_the_clock", "regulatory_days")
    list_filter = ("stars", "kind", "channel")
    list_editable = ("response_minutes", "resolution_minutes", "warn_share", "manager_share")


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(admin.ModelAdmin):
    list_display = ("level", "max_amount")
    list_editable = ("max_amount",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "supervisor", "manager")
    filter_horizontal = ("members",)
