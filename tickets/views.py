"""The technician's ticket pages: the queue, a ticket, opening and editing one, quick actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from assets.selectors import ASSET_CHOICES, asset_choices
from msp.models import Client
from msp.people import display_name
from msp.views.base import HtmxPartialMixin, MemberRequiredMixin
from msp.views.once import OnceOnlyMixin
from tickets import hooks
from tickets.attachments import attachment_response, comment_add_with_files, with_attachments
from tickets.choices import Priority, SlaState, TicketStatus
from tickets.forms import ReplyForm, StatusForm, TicketForm, staff_users
from tickets.models import Attachment, Ticket
from tickets.rows import queue_rows, render_rows
from tickets.selectors import ticket_emails, ticket_queue
from tickets.services import ticket_create, ticket_has_invoiced_time, ticket_update


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class StaffTicketMixin(MemberRequiredMixin):
    """Staff who work tickets (ticket.change, which client contacts lack: they use the
    portal); a view for one action needs that action's permission too."""

    model = Ticket
    permission_required = "ticket.change"

    def get_queryset(self):
        return Ticket.objects.select_related("client", "contact", "asset", "contract", "assignee")

    def get_ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._ticket = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return self._ticket


class TicketListView(HtmxPartialMixin, StaffTicketMixin, ListView):
    template_name = "tickets/list.html"
    paginate_by = 50

    def get_queryset(self):
        return ticket_queue(user=self.request.user, params=self.request.GET)

    partial_template_name = "tickets/_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The paginator counts tickets alone; the page reads only what its rows show.
        page = queue_rows(context["object_list"])
        context["page_obj"].object_list = context["object_list"] = page
        context.update(
            tickets=page,  # the rows' values (tickets.rows.ROW_FIELDS)
            rows=render_rows(self.request, page),
            clients=Client.objects.order_by("name").values_list("pk", "name"),
            statuses=TicketStatus.choices,
            priorities=Priority.choices,
            params=self.request.GET,
            can_add=self.has_perm("ticket.add"),
        )
        return context


class TicketDetailView(StaffTicketMixin, DetailView):
    template_name = "tickets/detail.html"

    def get_context_data(self, **kwargs):
        ticket = self.object
        tenant = self.request.membership.tenant
        files, comments = with_attachments(ticket, ticket.comments.select_related("author"))
        return super().get_context_data(
            ticket=ticket,
            comments=comments,
            ticket_files=files,
            reply_form=kwargs.pop("reply_form", None)
            or ReplyForm(can_note=self.has_perm("ticket.note"), tenant=tenant),
            staff=[
                (user.pk, display_name(user))
                for user in staff_users(self.request.membership.tenant).only(
                    "pk", "username", "first_name", "last_name"
                )
            ],
            priorities=Priority.choices,
            panels=hooks.extra_panels(self.request, ticket),
            can_edit=self.has_perm("ticket.change"),
            emails=ticket_emails(ticket),
            can_retry_email=self.has_perm("outboundemail.retry"),
            **kwargs,
        )


class TicketFormMixin(StaffTicketMixin):
    form_class = TicketForm
    template_name = "tickets/form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["tenant"] = self.request.membership.tenant
        if getattr(self, "object", None) is not None:
            kwargs["can_change_contract"] = not ticket_has_invoiced_time(self.object)
        return kwargs


class TicketCreateView(TicketFormMixin, OnceOnlyMixin, CreateView):
    permission_required = ("ticket.change", "ticket.add")

    def get_initial(self):
        initial = {"assignee": self.request.user.pk}
        client = self.request.GET.get("client", "")
        if client.isdigit():
            initial["client"] = int(client)
        return initial

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("New ticket"))
        kwargs.setdefault("cancel_url", reverse("tickets:list"))
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = ticket_create(
                tenant=self.request.membership.tenant,
                created_by=self.request.user,
                **{k: data.get(k) for k in TicketForm.Meta.fields},
            )
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Ticket %(ticket)s was opened.") % {"ticket": self.object})
        return redirect(self.object.get_absolute_url())


class TicketClientFieldsView(StaffTicketMixin, View):
    """New ticket's contact, asset and "bills to" fields for the chosen client (htmx reloads
    them when the client changes)."""

    permission_required = ("ticket.change", "ticket.add")

    def get(self, request):
        client = request.GET.get("client", "")
        initial = {"client": int(client)} if client.isdigit() else {}
        form = TicketForm(initial=initial, tenant=request.membership.tenant)
        return TemplateResponse(request, "tickets/_client_fields.html", {"form": form})


class TicketAssetOptionsView(StaffTicketMixin, View):
    """The asset search of the ticket form: the chosen client's assets matching what was typed,
    as ``<option>`` tags (capped, whatever the number of assets), the chosen one kept."""

    permission_required = "ticket.change"

    def get(self, request):
        client, asset = request.GET.get("client", ""), request.GET.get("asset", "")
        options = asset_choices(
            client_id=int(client) if client.isdigit() else None,
            search=request.GET.get("asset_search", "")[:100],
            keep_pk=int(asset) if asset.isdigit() else None,
        )
        return TemplateResponse(
            request,
            "tickets/_asset_options.html",
            {
                "options": options,
                "chosen": int(asset) if asset.isdigit() else None,
                "capped": len(options) >= ASSET_CHOICES,
            },
        )


class TicketUpdateView(TicketFormMixin, UpdateView):
    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit %(name)s") % {"name": self.object})
        kwargs.setdefault("cancel_url", self.object.get_absolute_url())
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        ticket = Ticket.objects.get(pk=self.object.pk)  # the unsaved form changed self.object
        changes = {k: form.cleaned_data.get(k) for k in TicketForm.Meta.fields if k != "client"}
        try:
            self.object = ticket_update(ticket, by=self.request.user, **changes)
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your changes to %(name)s were saved.") % {"name": self.object})
        return redirect(self.object.get_absolute_url())


class TicketActionView(StaffTicketMixin, View):
    """A quick action: from the queue (htmx: answers the row) or the ticket page (redirect)."""

    def post(self, request, pk):
        ticket = self.get_ticket()
        try:
            self.act(ticket)
        except ValidationError as exc:
            message = " ".join(exc.messages)
            if request.htmx:
                return HttpResponse(message, status=400)
            messages.error(request, message)
            return redirect(ticket.get_absolute_url())
        if request.htmx and request.POST.get("row"):
            (row,) = render_rows(request, queue_rows(Ticket.objects.filter(pk=ticket.pk)))
            return HttpResponse(row)
        return redirect(ticket.get_absolute_url())

    def act(self, ticket: Ticket) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class TicketAssignView(TicketActionView):
    permission_required = ("ticket.change", "ticket.assign")

    def act(self, ticket):
        user_id = self.request.POST.get("assignee", "me")
        if user_id == "me":
            assignee = self.request.user
        elif user_id == "":
            assignee = None
        else:
            assignee = (
                staff_users(self.request.membership.tenant)
                .filter(pk=user_id if user_id.isdigit() else 0)
                .first()
            )
            if assignee is None:
                raise ValidationError(_("Choose a member of your team."))
        ticket_update(ticket, by=self.request.user, assignee=assignee)
        if not self.request.htmx:
            messages.success(self.request, _("Assigned."))


class TicketStatusView(TicketActionView):
    def act(self, ticket):
        form = StatusForm(self.request.POST, current=ticket.status)
        if not form.is_valid():
            if self.request.POST.get("status") in TicketStatus.values:
                raise ValidationError(" ".join(form.errors["status"]))  # the map's reason
            raise ValidationError(_("Choose a valid status."))
        status = form.cleaned_data["status"]
        if status == ticket.status:
            return  # no move: nothing to say
        ticket_update(ticket, by=self.request.user, status=status)
        if not self.request.htmx:
            messages.success(self.request, _("Status changed."))


class TicketPriorityView(TicketActionView):
    def act(self, ticket):
        priority = self.request.POST.get("priority", "")
        if priority not in Priority.values:
            raise ValidationError(_("Choose a valid priority."))
        ticket_update(ticket, by=self.request.user, priority=priority)


class AttachmentDownloadView(MemberRequiredMixin, View):
    """One file, to whoever may see it: staff of the tenant, or a client contact of the
    ticket's company when it is not an internal note's (the scope decides: anything else is
    a 404, as for a file that does not exist)."""

    model = Attachment
    permission_required = "ticket.view"

    def get(self, request, pk):
        return attachment_response(get_object_or_404(Attachment.objects.all(), pk=pk))


class TicketReplyView(TicketActionView):
    permission_required = ("ticket.change", "ticket.reply")

    def get(self, request, pk):
        """The queue row's reply form, fetched when the technician opens it."""
        ticket = self.get_ticket()
        if not request.htmx:
            return redirect(f"{ticket.get_absolute_url()}#reply")
        return TemplateResponse(request, "tickets/_row_reply.html", {"ticket": ticket})

    def post(self, request, pk):
        ticket = self.get_ticket()
        form = ReplyForm(
            request.POST,
            request.FILES,
            can_note=self.has_perm("ticket.note"),
            tenant=request.membership.tenant,
        )
        if not request.htmx and not form.is_valid():
            # The ticket page again, with what was typed and each error beside its field.
            detail = TicketDetailView()
            detail.setup(request, pk=pk)
            detail.object = ticket
            context = detail.get_context_data(object=ticket, reply_form=form)
            return TemplateResponse(request, detail.template_name, context, status=400)
        self.form = form
        return super().post(request, pk)

    def act(self, ticket):
        form = self.form
        if not form.is_valid():
            raise ValidationError(" ".join(e for errors in form.errors.values() for e in errors))
        public = form.cleaned_data.get("public", True)
        comment_add_with_files(
            ticket,
            author=self.request.user,
            body=form.cleaned_data["body"],
            public=public,
            files=form.cleaned_data.get("files") or [],
        )
        if not self.request.htmx:
            messages.success(self.request, _("Reply sent.") if public else _("Note added."))


__all__ = [
    "AttachmentDownloadView",
    "SlaState",
    "TicketAssetOptionsView",
    "TicketAssignView",
    "TicketClientFieldsView",
    "TicketCreateView",
    "TicketDetailView",
    "TicketListView",
    "TicketPriorityView",
    "TicketReplyView",
    "TicketStatusView",
    "TicketUpdateView",
]
