"""Django admin for superusers. Writes still go through actions where an event must be logged;
the admin is read-mostly for the register and editable for the organisation tree."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import (
    Account,
    AccountDecision,
    Authority,
    Membership,
    Organisation,
    PolicyVersion,
    Unit,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class InsynUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    fieldsets = UserAdmin.fieldsets + (("Insyn", {"fields": ("phone", "title")}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kansli_email", "crisis_mode")


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "diarium_prefix", "organisation")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "authority", "handles_confidential", "path")
    readonly_fields = ("path",)


class DecisionInline(admin.TabularInline):
    model = AccountDecision
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "platform", "handle", "authority", "unit", "status", "is_draft")
    list_filter = ("platform", "status", "authority")
    search_fields = ("name", "handle", "url")
    inlines = [DecisionInline]

    def has_change_permission(self, request, obj=None):
        # Changes to the register go through the register pages so they reach the event log.
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "is_current", "loaded_at")
    readonly_fields = ("version", "title", "sha256", "source", "loaded_at", "is_current")
