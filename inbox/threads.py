"""What the apps upstream of inbox/ ask of it, registered from InboxConfig.ready():

* msp.mail's support address (``register_support_address``): the tenant's first active
  mailbox, the Reply-To of its ticket e-mails and the domain of its Message-IDs;
* tickets' e-mail thread (``register_email_thread``): the messages received on a ticket, which
  its e-mails answer (In-Reply-To/References) and its "E-mails" panel lists beside those sent.
"""

from __future__ import annotations

from django.db.models import OuterRef

from inbox.models import InboundMessage, Mailbox
from tickets.hooks import IncomingEmail


def support_addresses():
    """The active mailboxes' addresses of the tenant OuterRef("pk"), oldest first."""
    return Mailbox.objects.filter(tenant=OuterRef("pk"), is_active=True).order_by("pk").values("address")


def ticket_incoming(ticket) -> list[IncomingEmail]:
    rows = (
        InboundMessage.objects.filter(ticket_id=ticket.pk)
        .order_by("received_at", "pk")
        .only("received_at", "message_id", "from_address", "from_name", "subject", "status")
    )
    return [
        IncomingEmail(
            at=row.received_at,
            message_id=row.message_id.strip().strip("<>").strip(),
            sender=f"{row.from_name} <{row.from_address}>" if row.from_name else row.from_address,
            subject=row.subject,
            state=row.get_status_display(),
        )
        for row in rows
    ]
