"""The tenant's outgoing mail: what was sent, what waits for a retry, what failed (owners, admins)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from msp.mail import email_retry
from msp.models import OutboundEmail, OutboundEmailStatus
from msp.views.base import ResourceMixin, TenantListView


class OutboundEmailListView(TenantListView):
    model = OutboundEmail
    template_name = "msp/mail/list.html"
    context_object_name = "emails"

    def status(self) -> str:
        status = self.request.GET.get("status", "")
        return status if status in OutboundEmailStatus.values else ""

    def get_queryset(self):
        queryset = OutboundEmail.objects.defer("mime").order_by("-created_at", "-pk")
        return queryset.filter(status=self.status()) if self.status() else queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            status=self.status(),
            statuses=OutboundEmailStatus.choices,
            can_retry=self.has_perm("outboundemail.retry"),
            **kwargs,
        )


class OutboundEmailRetryView(ResourceMixin, View):
    model = OutboundEmail
    action = "retry"
    http_method_names = ["post"]

    def post(self, request, pk):
        email = get_object_or_404(OutboundEmail.objects.defer("mime"), pk=pk)
        if email_retry(email=email):
            messages.success(request, _("“%(subject)s” will be sent again.") % {"subject": email.subject})
        else:
            messages.info(
                request, _("“%(subject)s” has not failed: nothing to retry.") % {"subject": email.subject}
            )
        target = request.POST.get("next", "")  # the ticket page it was sent again from
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("mail:list")
