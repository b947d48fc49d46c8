"""Support mailboxes (owners and admins): the list with each one's polling state, a mailbox's
page, its settings form, the connection test (inline, htmx or not), a poll on demand, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from inbox.api.authentication import HEADER as WEBHOOK_HEADER
from inbox.mailbox_forms import MailboxForm
from inbox.models import Mailbox
from inbox.selectors import mailbox_list
from inbox.services import (
    mailbox_create,
    mailbox_delete,
    mailbox_poll_now,
    mailbox_test_connection,
    mailbox_update,
    mailbox_webhook_token_revoke,
    mailbox_webhook_token_rotate,
)
from msp.views.base import MemberRequiredMixin, TenantListView
from msp.views.once import OnceOnlyMixin


def form_errors_from(form, error: ValidationError) -> None:
    """A service's refusal shown beside the fields it names (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item.messages)
    else:
        form.add_error(None, error.messages)


class MailboxListView(TenantListView):
    model = Mailbox
    template_name = "inbox/mailboxes.html"
    context_object_name = "mailboxes"

    def get_queryset(self):
        return mailbox_list()


class MailboxMixin(MemberRequiredMixin):
    model = Mailbox

    @cached_property
    def object(self) -> Mailbox:  # read once the permission was checked
        return get_object_or_404(mailbox_list(), pk=self.kwargs["pk"])


class MailboxDetailView(MailboxMixin, TemplateView):
    permission_required = "mailbox.view"
    template_name = "inbox/mailbox.html"

    def get_context_data(self, **kwargs):
        membership = self.request.membership
        return super().get_context_data(
            mailbox=self.object,
            can_change=membership.has_perm("mailbox.change"),
            can_delete=membership.has_perm("mailbox.delete"),
            **kwargs,
        )


class MailboxFormMixin(MemberRequiredMixin):
    model = Mailbox
    form_class = MailboxForm
    template_name = "inbox/mailbox_form.html"

    def refuse(self, form, error: ValidationError):
        form_errors_from(form, error)
        return self.form_invalid(form)


class MailboxCreateView(MailboxFormMixin, OnceOnlyMixin, FormView):
    permission_required = "mailbox.add"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("New support mailbox"),
            cancel_url=reverse("inbox:mailboxes"),
            test_url=reverse("inbox:mailbox-test-settings"),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            mailbox = mailbox_create(tenant=self.request.membership.tenant, **form.settings())
        except ValidationError as error:
            return self.refuse(form, error)
        messages.success(self.request, _("%(name)s was created.") % {"name": mailbox})
        self.request.once_created_url = reverse("inbox:mailbox", args=[mailbox.pk])
        return redirect(self.request.once_created_url)


class MailboxUpdateView(MailboxMixin, MailboxFormMixin, FormView):
    permission_required = "mailbox.change"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Edit %(name)s") % {"name": self.object},
            mailbox=self.object,
            cancel_url=reverse("inbox:mailbox", args=[self.object.pk]),
            test_url=reverse("inbox:mailbox-test", args=[self.object.pk]),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.settings()
        try:
            mailbox = mailbox_update(mailbox=self.object, **data)
        except ValidationError as error:
            return self.refuse(form, error)
        messages.success(self.request, _("Your changes to %(name)s were saved.") % {"name": mailbox})
        return redirect("inbox:mailbox", mailbox.pk)


class MailboxDeleteView(MailboxMixin, TemplateView):
    """Asks first (GET), deletes on POST; the e-mails it received stay, with their tickets."""

    permission_required = "mailbox.delete"
    template_name = "msp/confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.object, cancel_url=reverse("inbox:mailbox", args=[self.object.pk]), **kwargs
        )

    def post(self, request, pk):
        name = str(self.object)
        mailbox_delete(mailbox=self.object)
        messages.success(request, _("%(name)s was deleted.") % {"name": name})
        return redirect("inbox:mailboxes")


class MailboxTestView(MemberRequiredMixin, View):
    """POST: sign in, open the folder, count; the server's answer shown where the button is.

    With the settings form's fields (the form's own button), what was typed is tried, before it
    is saved (an empty password: the stored one); without them, the mailbox as saved. htmx gets
    the answer alone; a plain post gets the mailbox's page (or the form) with the answer."""

    model = Mailbox
    http_method_names = ["post"]
    permission_required = "mailbox.change"

    def get_mailbox(self) -> Mailbox | None:
        return get_object_or_404(mailbox_list(), pk=self.kwargs["pk"]) if "pk" in self.kwargs else None

    def post(self, request, pk=None):
        mailbox = self.get_mailbox()
        form = None
        if "imap_host" in request.POST or mailbox is None:
            form = MailboxForm(request.POST, instance=mailbox)
            form.is_valid()  # what is usable of it: the service checks the rest on save
            settings = form.imap_settings() if hasattr(form, "cleaned_data") else None
            if settings is None:
                ok, answer = False, _("Give the IMAP server first.")
            else:
                ok, answer = mailbox_test_connection(imap=settings)
        elif not mailbox.imap_host:
            ok, answer = False, _("This mailbox has no IMAP server: it is fed by its webhook only.")
        else:
            ok, answer = mailbox_test_connection(mailbox=mailbox)
        result = {"ok": ok, "answer": answer}
        if request.htmx:
            return render(request, "inbox/_connection_answer.html", {"result": result})
        if form is not None:  # the form again, as typed (the password is never shown back)
            return render(
                request,
                "inbox/mailbox_form.html",
                {
                    "form": MailboxForm(request.POST, instance=mailbox),
                    "result": result,
                    "mailbox": mailbox,
                    "title": _("Edit %(name)s") % {"name": mailbox} if mailbox else _("New support mailbox"),
                    "cancel_url": reverse("inbox:mailbox", args=[mailbox.pk])
                    if mailbox
                    else reverse("inbox:mailboxes"),
                    "test_url": request.path,
                },
            )
        return render(
            request,
            "inbox/mailbox.html",
            {
                "mailbox": mailbox,
                "result": result,
                "can_change": True,
                "can_delete": self.has_perm("mailbox.delete"),
            },
        )


class MailboxPollView(MailboxMixin, View):
    """POST: poll now, on the worker (back-off or not)."""

    http_method_names = ["post"]
    permission_required = "mailbox.change"

    def post(self, request, pk):
        try:
            mailbox_poll_now(mailbox=self.object)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(name)s is being polled: reload this page in a moment.") % {"name": self.object}
            )
        return redirect("inbox:mailbox", pk)


# The session entry that carries a new webhook token to the page that shows it, once.
TOKEN_SESSION_KEY = "inbox:new-webhook-token"


class MailboxWebhookTokenView(MailboxMixin, TemplateView):
    """GET: the token just made, shown once (taken out of the session), with how the provider
    sends; POST: a new token (the previous one stops working), then that page."""

    permission_required = "mailbox.change"
    template_name = "inbox/webhook_token.html"

    def get_context_data(self, **kwargs):
        pending = self.request.session.get(TOKEN_SESSION_KEY) or {}
        token = None
        if pending.get("mailbox") == self.object.pk:
            token = pending["token"]
            del self.request.session[TOKEN_SESSION_KEY]
        return super().get_context_data(
            mailbox=self.object,
            token=token,
            header=WEBHOOK_HEADER,
            webhook_url=self.request.build_absolute_uri(reverse("api:inbox-webhook")),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # never kept by the browser's cache or history
        return response

    def post(self, request, pk):
        token = mailbox_webhook_token_rotate(mailbox=self.object)
        request.session[TOKEN_SESSION_KEY] = {"mailbox": self.object.pk, "token": token}
        return redirect("inbox:mailbox-webhook", pk)


class MailboxWebhookRevokeView(MailboxMixin, View):
    """POST: the provider's next push is refused (401); the mailbox keeps its IMAP polling."""

    http_method_names = ["post"]
    permission_required = "mailbox.change"

    def post(self, request, pk):
        if self.object.webhook_digest:
            mailbox_webhook_token_revoke(mailbox=self.object)
            messages.success(request, _("The webhook token of %(name)s was revoked.") % {"name": self.object})
        return redirect("inbox:mailbox", pk)
