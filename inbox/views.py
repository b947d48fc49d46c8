"""The inbox's pages: the e-mails waiting for review (assign to a client, or discard), and the
log of every received e-mail with what became of it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from inbox.choices import InboundStatus
from inbox.forms import AssignForm
from inbox.models import InboundMessage
from inbox.selectors import message_list, review_pending, tickets_named
from inbox.services import REVIEWABLE, review_assign, review_discard
from msp.views.base import MemberRequiredMixin, TenantListView

REVIEW = ("inboundmessage.view", "inboundmessage.review")


class ReviewListView(TenantListView):
    """The e-mails nobody could file: unknown senders, contacts of several clients."""

    model = InboundMessage
    template_name = "inbox/review.html"
    context_object_name = "inbound"

    def get_queryset(self):
        return review_pending()

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_review=self.has_perm("inboundmessage.review"), **kwargs)


class MessageLogView(TenantListView):
    """Every received e-mail and what became of it, by status."""

    model = InboundMessage
    template_name = "inbox/log.html"
    context_object_name = "inbound"

    def status(self) -> str:
        status = self.request.GET.get("status", "")
        return status if status in InboundStatus.values else ""

    def get_queryset(self):
        return message_list(status=self.status())

    def get_context_data(self, **kwargs):
        return super().get_context_data(status=self.status(), statuses=InboundStatus.choices, **kwargs)


class MessageMixin(MemberRequiredMixin):
    model = InboundMessage

    def get_message(self) -> InboundMessage:
        return get_object_or_404(
            InboundMessage.objects.select_related("client", "mailbox", "reviewed_by"), pk=self.kwargs["pk"]
        )


class MessageView(MessageMixin, FormView):
    """One received e-mail: its text and what became of it; if it waits for review (or was
    dropped), the form that files it for a client."""

    template_name = "inbox/message.html"
    form_class = AssignForm

    def get_permission_required(self) -> tuple[str, ...]:
        return REVIEW if self.request.method == "POST" else ("inboundmessage.view",)

    def get(self, request, *args, **kwargs):
        self.message = self.get_message()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.message = self.get_message()
        return super().post(request, *args, **kwargs)

    def named(self) -> list:
        if not hasattr(self, "_named"):
            self._named = tickets_named(self.message) if self.message.status in REVIEWABLE else []
        return self._named

    def get_initial(self):
        named = self.named()
        return {"client": named[0].client_id} if named else {}

    def get_context_data(self, **kwargs):
        message = self.message
        assignable = (
            message.status in REVIEWABLE
            and message.from_address
            and message.reason not in ("too_large", "malformed")
            and self.has_perm("inboundmessage.review")
        )
        return super().get_context_data(
            inbound=message,
            named=self.named(),
            named_text=", ".join(f"#{ticket.pk} ({ticket.client.name})" for ticket in self.named()),
            can_assign=assignable,
            can_discard=message.status == InboundStatus.REVIEW and self.has_perm("inboundmessage.review"),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            filed = review_assign(
                message=self.message,
                client=form.cleaned_data["client"],
                create_contact=form.cleaned_data["create_contact"],
                by=self.request.user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    for item in errors:
                        form.add_error(field if field in form.fields else None, item.messages)
            else:
                form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(self.request, filed.note)
        return redirect("inbox:review")


class MessageDiscardView(MessageMixin, View):
    permission_required = REVIEW
    http_method_names = ["post"]

    def post(self, request, pk):
        message = self.get_message()
        try:
            review_discard(message=message, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("inbox:message", pk=message.pk)
        messages.success(request, _("“%(subject)s” was discarded.") % {"subject": message})
        return redirect("inbox:review")


class MessageRawView(MessageMixin, View):
    """The e-mail as received (.eml), as a download: never shown inline."""

    permission_required = "inboundmessage.view"

    def get(self, request, pk):
        message = self.get_message()
        if not message.raw:
            raise Http404(_("This e-mail was not kept."))
        try:
            handle = message.raw.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The file is missing from the storage.")) from exc
        response = FileResponse(
            handle, as_attachment=True, filename=f"message-{message.pk}.eml", content_type="message/rfc822"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
