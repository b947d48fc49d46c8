"""Ingest keys (owner and admin): list, create (the key shown once), edit, revoke; and the
tenant's monitoring settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from monitoring.forms import IngestKeyForm, MonitoringSettingsForm
from monitoring.models import IngestKey
from monitoring.selectors import ingest_key_list, monitoring_settings
from monitoring.services.keys import ingest_key_create, ingest_key_revoke, ingest_key_update
from monitoring.services.settings import monitoring_settings_update
from monitoring.views.tabs import TabsMixin
from monitoring.views.unknown import form_errors_from
from msp.views.base import MemberRequiredMixin, TenantListView
from msp.views.once import OnceOnlyMixin

# The session entry that carries a new key's secret to the page that shows it, once.
SECRET_SESSION_KEY = "monitoring:new-key"


class IngestKeyListView(TabsMixin, TenantListView):
    model = IngestKey
    template_name = "monitoring/keys.html"
    tab = "keys"

    def get_queryset(self):
        return ingest_key_list()

    def get_context_data(self, **kwargs):
        settings = monitoring_settings(self.request.membership.tenant)
        return super().get_context_data(
            settings=settings, can_settings=self.has_perm("tenant.change"), **kwargs
        )


class IngestKeyFormMixin(MemberRequiredMixin):
    model = IngestKey
    form_class = IngestKeyForm
    template_name = "msp/form.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=reverse("monitoring:keys"), **kwargs)

    def refuse(self, form, error: ValidationError):
        form_errors_from(form, error)
        return self.form_invalid(form)


class IngestKeyCreateView(IngestKeyFormMixin, OnceOnlyMixin, FormView):
    permission_required = "ingestkey.add"

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("New ingest key"), **kwargs)

    def form_valid(self, form):
        try:
            key, secret = ingest_key_create(
                tenant=self.request.membership.tenant, created_by=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            return self.refuse(form, error)
        # The secret is not stored: the next page shows it, once, from the session.
        self.request.session[SECRET_SESSION_KEY] = {"key": key.pk, "secret": secret}
        self.request.once_created_url = reverse("monitoring:key-created", args=[key.pk])
        return redirect(self.request.once_created_url)


class IngestKeyCreatedView(MemberRequiredMixin, TemplateView):
    """The new key's secret, shown on the first visit only: it is taken out of the session."""

    model = IngestKey
    permission_required = "ingestkey.add"
    template_name = "monitoring/key_created.html"

    def get_context_data(self, **kwargs):
        key = get_object_or_404(IngestKey.objects.select_related("client"), pk=self.kwargs["pk"])
        pending = self.request.session.get(SECRET_SESSION_KEY) or {}
        secret = None
        if pending.get("key") == key.pk:
            secret = pending["secret"]
            del self.request.session[SECRET_SESSION_KEY]
        return super().get_context_data(
            key=key,
            secret=secret,
            ingest_url=self.request.build_absolute_uri(reverse("api:alert-list")),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # never kept by the browser's cache or history
        return response


class IngestKeyUpdateView(IngestKeyFormMixin, FormView):
    permission_required = "ingestkey.change"

    @cached_property
    def object(self) -> IngestKey:  # read once the permission was checked
        return get_object_or_404(IngestKey.objects.all(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Edit %(name)s") % {"name": self.object}, **kwargs)

    def form_valid(self, form):
        try:
            key = ingest_key_update(key=IngestKey.objects.get(pk=self.object.pk), **form.cleaned_data)
        except ValidationError as error:
            return self.refuse(form, error)
        messages.success(self.request, _("Your changes to %(name)s were saved.") % {"name": key})
        return redirect("monitoring:keys")


class IngestKeyRevokeView(MemberRequiredMixin, TemplateView):
    """Asks first (GET), revokes on POST: the tool's next request is refused (401)."""

    model = IngestKey
    permission_required = "ingestkey.delete"
    template_name = "monitoring/key_revoke.html"

    def get_key(self) -> IngestKey:
        return get_object_or_404(IngestKey.objects.select_related("client"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(key=self.get_key(), **kwargs)

    def post(self, request, pk):
        key = self.get_key()
        if key.revoked_at is None:
            ingest_key_revoke(key)
            messages.success(
                request, _("%(name)s was revoked: its tool can no longer send alerts.") % {"name": key.name}
            )
        return redirect("monitoring:keys")


class MonitoringSettingsView(MemberRequiredMixin, FormView):
    """When an asset counts as offline, and when missing patches raise an alert."""

    permission_required = "tenant.change"
    form_class = MonitoringSettingsForm
    template_name = "msp/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": monitoring_settings(self.request.membership.tenant)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Monitoring settings"), cancel_url=reverse("monitoring:keys"), **kwargs
        )

    def form_valid(self, form):
        monitoring_settings_update(tenant=self.request.membership.tenant, **form.cleaned_data)
        messages.success(self.request, _("Settings saved."))
        return redirect("monitoring:keys")
