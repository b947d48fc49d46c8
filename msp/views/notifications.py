"""A member's notifications: the list, marking them read, and which reach them by e-mail.

Every query goes through the member's own rows (``notification_list``): a colleague's
notification answers 404, as another tenant's does.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from msp.models import Notification, NotificationKind
from msp.notifications import notification_email_kinds, notification_mark_read, notification_preferences_set
from msp.selectors import notification_list, notification_unread_count
from msp.views.base import MemberRequiredMixin, TenantListView

FILTERS = {"unread": True, "read": False}


class NotificationListView(TenantListView):
    model = Notification
    template_name = "msp/notifications/list.html"
    context_object_name = "notifications"

    def status(self) -> str:
        status = self.request.GET.get("status", "")
        return status if status in FILTERS else ""

    def get_queryset(self):
        return notification_list(self.request.membership, unread=FILTERS.get(self.status()))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            status=self.status(),
            filters=[("unread", _("Unread")), ("read", _("Read"))],
            **kwargs,
        )


class NotificationReadView(MemberRequiredMixin, View):
    """Mark one of the member's notifications read; with ``open`` go on to what it is about."""

    model = Notification
    permission_required = "notification.change"
    http_method_names = ["post"]

    def post(self, request, pk):
        notification = get_object_or_404(notification_list(request.membership), pk=pk)
        notification_mark_read(membership=request.membership, ids=[notification.pk])
        target = notification.url
        if (
            request.POST.get("open")
            and target
            and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        ):
            return redirect(target)
        return redirect("notifications:list")


class NotificationReadAllView(MemberRequiredMixin, View):
    permission_required = "notification.change"
    http_method_names = ["post"]

    def post(self, request):
        count = notification_mark_read(membership=request.membership)
        messages.success(request, _("%(count)d notification(s) marked read.") % {"count": count})
        return redirect("notifications:list")


class NotificationBadgeView(MemberRequiredMixin, TemplateView):
    """The header's unread count, refreshed by htmx."""

    permission_required = "notification.view"
    template_name = "msp/notifications/badge.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            unread_notifications=notification_unread_count(self.request.membership)
        )


class NotificationPreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Send me an e-mail when"),
        choices=NotificationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Every notification also shows in the app."),
    )


class NotificationSettingsView(MemberRequiredMixin, FormView):
    permission_required = "notification.change"
    form_class = NotificationPreferencesForm
    template_name = "msp/form.html"

    def get_initial(self):
        return {"email_kinds": sorted(notification_email_kinds(self.request.membership))}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Notification settings"), cancel_url=reverse("notifications:list"), **kwargs
        )

    def form_valid(self, form):
        notification_preferences_set(
            membership=self.request.membership, email_kinds=form.cleaned_data["email_kinds"]
        )
        messages.success(self.request, _("Your notification settings were saved."))
        return redirect("notifications:list")
