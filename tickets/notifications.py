"""Who hears about what happens on a ticket, through msp's notify service.

* A client opens a ticket in the portal or by e-mail, or replies on one: the assignee is notified; when
  nobody is assigned, the tenant's technicians and its dispatch address (``Tenant.dispatch_email``).
  The client gets an acknowledgement with the ticket's number (for a new ticket only: its
  own reply needs none), the first e-mail of the ticket's thread (tickets.mail).
* A ticket is assigned to someone (by someone else): that person is notified.
* Monitoring opens an urgent ticket (P1 or P2): the same people as for a client's new ticket,
  before the client has noticed anything.

Called by the ticket services inside their transaction; in the ticket's tenant's whole scope
(a client contact's request widens to it: the work is the MSP's).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from msp.links import site_url
from msp.models import Membership, NotificationKind
from msp.notifications import display_name, notify
from msp.roles import Role
from msp.scoping import scope_of
from tickets.mail import ticket_email_queue, ticket_tag
from tickets.models import Ticket, TicketComment

EXCERPT = 500  # characters of a description or reply quoted in a notification


def _excerpt(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _staff_to_tell(ticket: Ticket) -> tuple[list[Membership], list[str]]:
    """The assignee's membership; unassigned: the technicians, and the dispatch address."""
    members = Membership.objects.select_related("user").filter(is_active=True, user__is_active=True)
    if ticket.assignee_id is not None:
        return list(members.filter(user_id=ticket.assignee_id)), []
    dispatch = [ticket.tenant.dispatch_email] if ticket.tenant.dispatch_email else []
    return list(members.filter(role=Role.TECHNICIAN).order_by("pk")), dispatch


def _tell_staff(ticket: Ticket, kind: str, content) -> None:
    """Tell the assignee, else the technicians and the dispatch address, about this ticket."""
    members, emails = _staff_to_tell(ticket)
    notify(
        tenant=ticket.tenant,
        memberships=members,
        kind=kind,
        content=content,
        url=ticket.get_absolute_url(),
        target=ticket,
        emails=emails,
    )


def ticket_opened_by_client(ticket: Ticket) -> None:
    """A new portal ticket: tell the MSP, and acknowledge it to the client."""
    with scope_of(ticket.tenant_id):
        client = ticket.client.name

        def content():
            title = _("New ticket from %(client)s: %(ticket)s") % {"client": client, "ticket": ticket}
            return title, _excerpt(ticket.description)

        _tell_staff(ticket, NotificationKind.TICKET_NEW, content)
        _acknowledge(ticket)


def ticket_opened_by_monitoring(ticket: Ticket) -> None:
    with scope_of(ticket.tenant_id):
        client = ticket.client.name

        def content():
            title = _("Monitoring at %(client)s: %(ticket)s") % {"client": client, "ticket": ticket}
            return title, _excerpt(ticket.description)

        _tell_staff(ticket, NotificationKind.ALERT, content)


def client_replied(ticket: Ticket, comment: TicketComment) -> None:
    with scope_of(ticket.tenant_id):
        author = display_name(comment.author) if comment.author_id else (comment.sender or ticket.client.name)

        def content():
            title = _("%(author)s replied on %(ticket)s") % {"author": author, "ticket": ticket}
            return title, _excerpt(comment.body)

        _tell_staff(ticket, NotificationKind.TICKET_REPLY, content)


def ticket_assigned(ticket: Ticket, *, by=None) -> None:
    """Tell the new assignee, unless they took the ticket themselves."""
    if ticket.assignee_id is None or (by is not None and by.pk == ticket.assignee_id):
        return
    with scope_of(ticket.tenant_id):
        members = Membership.objects.select_related("user").filter(user_id=ticket.assignee_id)
        who = display_name(by) if by is not None else ""

        def content():
            if who:
                title = _("%(who)s assigned %(ticket)s to you") % {"who": who, "ticket": ticket}
            else:
                title = _("%(ticket)s was assigned to you") % {"ticket": ticket}
            return title, _("Client: %(client)s. Priority: %(priority)s.") % {
                "client": ticket.client.name,
                "priority": ticket.get_priority_display(),
            }

        notify(
            tenant=ticket.tenant,
            memberships=members,
            kind=NotificationKind.TICKET_ASSIGNED,
            content=content,
            url=ticket.get_absolute_url(),
            target=ticket,
        )


def _client_address(ticket: Ticket) -> tuple[str, str]:
    """(address, name) the client's acknowledgement goes to: the ticket's contact, else who opened it."""
    if ticket.contact_id is not None and ticket.contact.email:
        return ticket.contact.email, ticket.contact.name
    user = ticket.created_by
    if user is not None and user.email:
        return user.email, display_name(user)
    return "", ""


def _acknowledge(ticket: Ticket) -> None:
    from tickets.tasks import contact_language

    address, name = _client_address(ticket)
    if not address:
        return
    with translation.override(contact_language(ticket, address)):
        subject = _("We received your ticket %(number)s: %(subject)s") % {
            "number": ticket_tag(ticket.pk),
            "subject": ticket.subject,
        }
        body = _(
            "Thank you: we received your request “%(subject)s”. Its number is %(number)s; "
            "quote it when you write to us. We will get back to you soon; you can follow it here:"
        ) % {"subject": ticket.subject, "number": f"#{ticket.pk}"}
        ticket_email_queue(
            ticket,
            to=address,
            name=name,
            subject=subject,
            body=body,
            link=site_url("portal:ticket", ticket.pk),
            automatic=True,
        )
