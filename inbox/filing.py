"""Where a received e-mail goes: who sent it, which ticket it answers, and the filing itself.

Run in the mailbox's tenant's scope (``inbox.services``): every lookup here reads that tenant's
rows only, so a ticket number or a Message-ID of another tenant finds nothing.

* The sender is known by a contact of the tenant with that address (any case), else by its
  domain when exactly one client's contacts (or billing address) use it; free-mail domains
  (gmail.com, libero.it...) and the MSP's own never name a client.
* The ticket answered is the one its In-Reply-To/References name (an e-mail we sent about it,
  ``OutboundEmail.thread``, or an earlier received e-mail filed on it), else a "[#123]" in the
  subject; a sender may only answer a ticket of its own client.
* A reply is a public ``TicketComment`` by the contact's portal login (none: by nobody, with
  the sender named), a new ticket has source ``email``; attachments the tenant's rules refuse
  (too large, a kind not accepted) are left out with an internal note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formataddr

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from inbox.freemail import is_free_mail
from inbox.models import InboundMessage
from inbox.parsing import ParsedMessage, id_key
from msp.models import Client, Contact, Membership, OutboundEmail
from msp.roles import Role
from tickets.attachments import MAX_FILES, attachments_add
from tickets.choices import Source
from tickets.files import check_file
from tickets.models import Ticket, TicketComment
from tickets.services import comment_add, ticket_create

THREAD_PREFIX = "tickets.ticket:"
MAX_ATTACHMENTS = 30  # per message; more are left out (and said so)
MAX_TICKET_SUBJECT = 255


@dataclass
class Sender:
    """Who wrote, as the tenant knows them."""

    address: str
    name: str = ""
    contacts: list[Contact] = field(default_factory=list)  # the tenant's contacts with that address
    domain_client: Client | None = None  # the one client whose people use the domain

    @property
    def client_ids(self) -> set[int]:
        if self.contacts:
            return {contact.client_id for contact in self.contacts}
        return {self.domain_client.pk} if self.domain_client is not None else set()

    @property
    def client(self) -> Client | None:
        """The one client the sender is known by; None when unknown or several."""
        clients = {contact.client_id: contact.client for contact in self.contacts}
        if len(clients) == 1:
            return next(iter(clients.values()))
        if not self.contacts:
            return self.domain_client
        return None

    def contact_at(self, client_id: int) -> Contact | None:
        return next((contact for contact in self.contacts if contact.client_id == client_id), None)

    def may_answer(self, ticket: Ticket) -> bool:
        return ticket.client_id in self.client_ids

    @property
    def shown(self) -> str:
        """The sender as a reply shows it: "Anna Rossi <anna@acme.example>"."""
        return formataddr((self.name, self.address)) if self.name else self.address


def sender_identify(*, address: str, name: str = "", own_domains: set[str] = frozenset()) -> Sender:
    sender = Sender(address=address, name=name)
    if not address:
        return sender
    sender.contacts = list(
        Contact.objects.filter(email__iexact=address).select_related("client").order_by("client_id", "pk")
    )
    if sender.contacts:
        return sender
    domain = address.rsplit("@", 1)[-1]
    if not domain or is_free_mail(domain) or domain in own_domains:
        return sender
    suffix = f"@{domain}"
    client_ids = set(
        Contact.objects.filter(email__iendswith=suffix)
        .order_by()
        .values_list("client_id", flat=True)
        .distinct()[:2]
    )
    client_ids |= set(Client.objects.filter(billing_email__iendswith=suffix).values_list("pk", flat=True)[:2])
    if len(client_ids) == 1:
        sender.domain_client = Client.objects.filter(pk=next(iter(client_ids))).first()
    return sender


def tickets_referred(parsed: ParsedMessage) -> list[Ticket]:
    """The tickets of this tenant the message names, most trusted first: by its headers (an
    e-mail we sent on the ticket, or a received one filed on it), then by "[#id]" tags."""
    ids = parsed.thread_ids
    order: list[int] = []
    if ids:
        by_id: dict[str, int] = {}
        for message_id, thread in OutboundEmail.objects.filter(
            message_id__in=ids, thread__startswith=THREAD_PREFIX
        ).values_list("message_id", "thread"):
            number = thread.removeprefix(THREAD_PREFIX)
            if number.isdigit():
                by_id.setdefault(message_id, int(number))
        keys = {id_key(message_id): message_id for message_id in ids}
        for key, ticket_id in InboundMessage.objects.filter(
            key__in=list(keys), ticket__isnull=False
        ).values_list("key", "ticket_id"):
            by_id.setdefault(keys[key], ticket_id)
        order += [by_id[message_id] for message_id in ids if message_id in by_id]
    order += parsed.ticket_tags
    unique = list(dict.fromkeys(order))[:20]
    if not unique:
        return []
    found = Ticket.objects.select_related("client").in_bulk(unique)
    return [found[pk] for pk in unique if pk in found]


def portal_user(contact: Contact | None, address: str):
    """The portal login of this contact (an active client login of its client with this
    address), or None."""
    if contact is None or not address:
        return None
    membership = (
        Membership.objects.filter(
            client_id=contact.client_id,
            role=Role.CLIENT,
            is_active=True,
            user__is_active=True,
            user__email__iexact=address,
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership is not None else None


def _checked_files(parsed: ParsedMessage, *, max_bytes: int) -> tuple[list[ContentFile], list[str]]:
    """The attachments the tenant accepts (as files to store), and a line for each left out."""
    kept, left_out = [], []
    for index, attachment in enumerate(parsed.attachments):
        if index >= MAX_ATTACHMENTS:
            left_out.append(
                _("%(count)d more attachments: at most %(max)d are kept from one e-mail.")
                % {"count": len(parsed.attachments) - MAX_ATTACHMENTS, "max": MAX_ATTACHMENTS}
            )
            break
        upload = ContentFile(attachment.content, name=attachment.filename)
        try:
            check_file(upload, max_bytes=max_bytes)
        except ValidationError as exc:
            left_out.append(" ".join(exc.messages))
            continue
        kept.append(upload)
    return kept, left_out


def _store_files(ticket: Ticket, parsed: ParsedMessage, *, uploaded_by, comment=None) -> list[str]:
    """Store the accepted attachments on the ticket (or the reply); an internal note lists
    the others (they stay in the e-mail as received). Returns the lines of that note."""
    kept, left_out = _checked_files(parsed, max_bytes=ticket.tenant.attachment_max_bytes)
    for start in range(0, len(kept), MAX_FILES):
        attachments_add(
            ticket=ticket, files=kept[start : start + MAX_FILES], uploaded_by=uploaded_by, comment=comment
        )
    if left_out:
        body = "\n".join(
            [
                _("Attachments of the e-mail from %(sender)s that were not kept:")
                % {"sender": parsed.from_address}
            ]
            + [f"- {line}" for line in left_out]
            + [_("The e-mail as received, with every attachment, is on the received e-mails page.")]
        )
        comment_add(ticket, author=None, body=body, public=False, by_staff=True)
    return left_out


@dataclass
class Filed:
    ticket: Ticket
    comment: TicketComment | None
    left_out: list[str]


def file_reply(*, ticket: Ticket, parsed: ParsedMessage, sender: Sender) -> Filed:
    """A public reply by the client on ``ticket``, with the e-mail's text above its quoted
    history; tickets.services decides what the reply does to the ticket's status."""
    contact = sender.contact_at(ticket.client_id)
    author = portal_user(contact, sender.address)
    body = parsed.reply_text.strip() or _("(The e-mail had no text.)")
    comment = comment_add(
        ticket, author=author, body=body, public=True, by_staff=False, sender="" if author else sender.shown
    )
    left_out = _store_files(ticket, parsed, uploaded_by=author, comment=comment)
    return Filed(ticket=ticket, comment=comment, left_out=left_out)


def file_new_ticket(
    *, tenant, client: Client, contact: Contact | None, parsed: ParsedMessage, sender: Sender
) -> Filed:
    author = portal_user(contact, sender.address)
    subject = " ".join(parsed.subject.split()) or _("(no subject)")
    if len(subject) > MAX_TICKET_SUBJECT:
        subject = subject[: MAX_TICKET_SUBJECT - 1] + "…"
    ticket = ticket_create(
        tenant=tenant,
        client=client,
        subject=subject,
        description=parsed.text,
        source=Source.EMAIL,
        contact=contact,
        created_by=author,
    )
    left_out = _store_files(ticket, parsed, uploaded_by=author)
    return Filed(ticket=ticket, comment=None, left_out=left_out)


def contact_for_sender(*, client: Client, sender: Sender) -> tuple[Contact, bool]:
    """The client's contact with the sender's address, created when it has none."""
    contact = sender.contact_at(client.pk) or (
        Contact.objects.filter(client_id=client.pk, email__iexact=sender.address).order_by("pk").first()
    )
    if contact is not None:
        return contact, False
    contact = Contact.objects.create(
        tenant_id=client.tenant_id,
        client=client,
        name=(sender.name or sender.address.split("@", 1)[0])[:200],
        email=sender.address[:254],
    )
    sender.contacts.append(contact)
    return contact, True
