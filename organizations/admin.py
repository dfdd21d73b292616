from django.contrib import admin

from organizations.models import Membership, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "primary_domain", "created_at"]
    search_fields = ["name", "slug", "primary_domain"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "kind", "joined_at"]
    list_filter = ["kind", "organization"]
    search_fields = ["user__email", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
