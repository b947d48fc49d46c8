"""factory_boy factories, and the registry the isolation harness uses to build any model."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.utils import timezone
from djmoney.money import Money

from assets.choices import AssetKind
from assets.models import Asset
from billing.models import EInvoice, EInvoiceState, ExportBatch, Invoice, LineKind, SdiReceipt, TaxRate
from contracts.choices import ContractKind
from contracts.models import BusinessCalendar, Contract, RecurringService, ServiceTier, SlaPolicy, TierPrice
from inbox.choices import InboundSource, InboundStatus
from inbox.models import InboundMessage, Mailbox
from monitoring.messages import Message
from monitoring.models import Alert, IngestKey, UnknownSource
from monitoring.services.ingest import ingest
from monitoring.services.keys import ingest_key_create
from msp.models import (
    Client,
    Contact,
    Invitation,
    Membership,
    Notification,
    NotificationKind,
    OutboundEmail,
    OutboundEmailStatus,
    Site,
    Tenant,
)
from msp.models.invitations import INVITATION_LIFETIME
from msp.roles import Role
from reports.models import MonthlyReport, ReportShare
from sales.models import Offer
from tickets.models import Attachment, Ticket, TicketComment
from timetracking.models import TimeEntry, WorkType

PASSWORD = "correct-horse-battery-9"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"MSP {n}")
    slug = factory.Sequence(lambda n: f"msp-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates through the unscoped manager: tests build rows of any tenant."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.unscoped


class ClientFactory(TenantOwnedFactory):
    class Meta:
        model = Client

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    billing_email = factory.LazyAttribute(lambda c: f"billing{c.name.split()[-1]}@example.com")


class SiteFactory(TenantOwnedFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    name = factory.Sequence(lambda n: f"Site {n}")


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TECHNICIAN
    client = None


class AssetFactory(TenantOwnedFactory):
    class Meta:
        model = Asset

    client = factory.SubFactory(ClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    kind = AssetKind.DESKTOP
    name = factory.Sequence(lambda n: f"Asset {n}")
    hostname = factory.Sequence(lambda n: f"host-{n}")
    serial = factory.Sequence(lambda n: f"SN{n:06d}")


class OfferFactory(factory.Factory):
    """An offer built as an account manager builds one: offer_create prices every active tier
    in the client's currency (seeding Silver/Gold/Platinum when the tenant has none) and
    freezes the options. `status` "sent", "accepted" (the `accept` tier name, else the first
    option) or "declined" goes through the services too."""

    class Meta:
        model = Offer

    tenant = factory.SubFactory(TenantFactory)
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    title = factory.Sequence(lambda n: f"Offer {n}")
    quantities = factory.LazyFunction(lambda: {"server": 2, "network": 1, "desktop": 15})
    status = "draft"
    accept = ""

    @classmethod
    def _create(cls, model_class, *, tenant, client, status, accept, **kwargs):
        from contracts.models import ServiceTier
        from contracts.services import tiers_seed
        from msp.scoping import tenant_scope
        from sales.services import offer_accept, offer_create, offer_decline, offer_send

        with tenant_scope(tenant):
            if not ServiceTier.objects.filter(currency=client.currency, is_active=True).exists():
                tiers_seed(tenant=tenant)
            offer = offer_create(by=None, client=client, **kwargs)
            if status != "draft":
                offer = offer_send(offer=offer, by=None, contacts=[]).offer
            if status == "accepted":
                options = offer.options.order_by("position")
                option = options.filter(name=accept).first() if accept else options.first()
                offer_accept(offer=offer, option=option, by=None)
            elif status == "declined":
                offer_decline(offer=offer, by=None)
        return model_class.unscoped.get(pk=offer.pk)


class ServiceTierFactory(TenantOwnedFactory):
    """A tier; `prices={"server": "350", ...}` gives it per-kind prices in its currency."""

    class Meta:
        model = ServiceTier
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Tier {n}")
    currency = factory.LazyAttribute(lambda t: t.tenant.default_currency)
    features = factory.LazyFunction(lambda: ["asset_management", "monitoring"])

    @factory.post_generation
    def prices(obj, create, extracted, **kwargs):
        if create and extracted:
            TierPrice.unscoped.bulk_create(
                TierPrice(
                    tenant=obj.tenant, tier=obj, kind=kind, price=Money(Decimal(str(amount)), obj.currency)
                )
                for kind, amount in extracted.items()
            )


class RecurringServiceFactory(TenantOwnedFactory):
    class Meta:
        model = RecurringService

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    kinds = factory.LazyFunction(lambda: ["server", "desktop"])
    price = factory.LazyAttribute(lambda s: Money(Decimal("15.00"), s.tenant.default_currency))


class ContractFactory(TenantOwnedFactory):
    """A managed contract on a new tier by default; pass `kind=` (and no tier) for others."""

    class Meta:
        model = Contract

    client = factory.SubFactory(ClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    kind = ContractKind.MANAGED
    currency = factory.SelfAttribute("client.currency")
    tier = factory.Maybe(
        factory.LazyAttribute(lambda c: c.kind == ContractKind.MANAGED),
        yes_declaration=factory.SubFactory(
            ServiceTierFactory,
            tenant=factory.SelfAttribute("..tenant"),
            currency=factory.SelfAttribute("..currency"),
        ),
        no_declaration=None,
    )
    start_date = date(2026, 1, 1)


class TicketFactory(TenantOwnedFactory):
    """A ticket as the browser opens one: through tickets.services.ticket_create (SLA set)."""

    class Meta:
        model = Ticket

    tenant = factory.SubFactory(TenantFactory)
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    subject = factory.Sequence(lambda n: f"Ticket {n}")
    priority = "P3"

    @classmethod
    def _create(cls, model_class, *, tenant, client, **kwargs):
        from tickets.services import ticket_create

        kwargs.setdefault("use_default_contract", False)
        return ticket_create(tenant=client.tenant, client=client, **kwargs)  # the client's tenant wins


class TicketCommentFactory(TenantOwnedFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(TicketFactory)
    tenant = factory.SelfAttribute("ticket.tenant")
    body = factory.Sequence(lambda n: f"Comment {n}")
    public = True


def attachment_create(ticket, *, name="notes.txt", content=b"some notes\n", comment=None, uploaded_by=None):
    """A stored file on a ticket (or one of its replies), as if uploaded; the content is not
    judged (tests of the checks go through tickets.attachments)."""
    attachment = Attachment(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        comment=comment,
        original_name=name,
        size=len(content),
        content_type="text/plain",
        uploaded_by=uploaded_by,
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


def _attachments_on_last_ticket(tenant, client, marker):
    """Files on the ticket ISOLATION_FACTORIES built just before for this tenant and client
    (Ticket comes right before Attachment), so URLs naming a ticket and one of its files pair
    them: one on its public reply (returned) and one on its internal note, each named and
    filled with the marker."""
    ticket = Ticket.unscoped.filter(tenant=tenant, client=client).latest("pk")
    comments = TicketComment.unscoped.filter(ticket=ticket)
    attachment_create(
        ticket,
        name=f"Internal {marker} note file.txt",
        content=f"Internal {marker} note file".encode(),
        comment=comments.filter(public=False).first(),
    )
    return attachment_create(
        ticket,
        name=f"{marker} file.txt",
        content=f"{marker} file".encode(),
        comment=comments.filter(public=True).first(),
    )


class OutboundEmailFactory(TenantOwnedFactory):
    """A queued e-mail as msp.mail.email_queue records it (without enqueuing a task)."""

    class Meta:
        model = OutboundEmail

    tenant = factory.SubFactory(TenantFactory)
    subject = factory.Sequence(lambda n: f"Mail {n}")
    to = factory.Sequence(lambda n: [f"contact{n}@client.example"])
    recipients = factory.LazyAttribute(lambda m: list(m.to))
    from_email = "MSP PSA <noreply@localhost>"
    mime = factory.LazyAttribute(
        lambda m: EmailMessage(m.subject, "Hello", m.from_email, m.to).message().as_bytes()
    )

    class Params:
        failed = factory.Trait(
            status=OutboundEmailStatus.FAILED,
            attempts=9,
            last_error="SMTPRecipientsRefused: 550 no such user",
        )


class InvitationFactory(TenantOwnedFactory):
    """A pending invitation, as msp.invitations.invitation_create records it (without its e-mail:
    the link's key is not kept, only its digest)."""

    class Meta:
        model = Invitation

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.TECHNICIAN
    digest = factory.LazyFunction(lambda: Invitation.new_key()[1])
    expires_at = factory.LazyFunction(lambda: timezone.now() + INVITATION_LIFETIME)


class WorkTypeFactory(TenantOwnedFactory):
    class Meta:
        model = WorkType

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Work type {n}")
    rate_factor = Decimal("1.00")


class TimeEntryFactory(factory.Factory):
    """A time entry made through timetracking.services.time_entry_create, so it draws hours."""

    class Meta:
        model = TimeEntry

    ticket = factory.SubFactory(TicketFactory)
    technician = factory.SubFactory(UserFactory)
    minutes = 15
    billable = True
    note = ""
    work_type = None

    @classmethod
    def _create(cls, model_class, *, ticket, technician, **kwargs):
        from msp.scoping import unscoped
        from timetracking.services import time_entry_create

        with unscoped():
            return time_entry_create(ticket=ticket, technician=technician, **kwargs)


class MailboxFactory(TenantOwnedFactory):
    """A support mailbox fed by its provider's webhook (no IMAP server)."""

    class Meta:
        model = Mailbox

    tenant = factory.SubFactory(TenantFactory)
    name = "Support"
    address = factory.LazyAttribute(lambda m: f"support@{m.tenant.slug}.example")


class InboundMessageFactory(TenantOwnedFactory):
    """A received e-mail left for review (an unknown sender), as inbox.services leaves it."""

    class Meta:
        model = InboundMessage

    tenant = factory.SubFactory(TenantFactory)
    mailbox = factory.LazyAttribute(
        lambda m: Mailbox.unscoped.filter(tenant=m.tenant).first() or MailboxFactory(tenant=m.tenant)
    )
    source = InboundSource.WEBHOOK
    key = factory.Sequence(lambda n: f"{n:064x}")
    message_id = factory.Sequence(lambda n: f"message{n}@sender.example")
    from_address = factory.Sequence(lambda n: f"stranger{n}@unknown.example")
    from_name = "A Stranger"
    subject = factory.Sequence(lambda n: f"Question {n}")
    body = "Hello, can you help?"
    status = InboundStatus.REVIEW
    note = "Left for review."
    raw = factory.django.FileField(
        filename="message.eml",
        data=b"From: stranger@unknown.example\r\nSubject: Question\r\n\r\nHello, can you help?\r\n",
    )


class NotificationFactory(TenantOwnedFactory):
    """An unread notification of one member (a technician of a new membership by default)."""

    class Meta:
        model = Notification

    tenant = factory.SubFactory(TenantFactory)
    membership = factory.SubFactory(MembershipFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = NotificationKind.TICKET_NEW
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Something happened."
    url = "/tickets/"


# The isolation harness builds "an object of model M in tenant T under client C, whose
# text shows MARKER" through this registry (see tests/test_isolation.py). A tenant-owned
# model reachable from a URL must be registered here, or the harness fails and says so.
# Client is absent on purpose: the harness's clients are themselves the objects.
def _alert(tenant, client, marker):
    """An open alert (and its ticket) on a marker-named asset, filed as an agent would."""
    asset = AssetFactory(tenant=tenant, client=client, name=f"{marker} machine", hostname=marker.lower())
    outcome = ingest(
        tenant=tenant,
        messages=[Message(type="alert", asset_id=asset.pk, check=marker, severity="warning", message=marker)],
    )[0]
    return Alert.unscoped.get(pk=outcome.alert)


def _ingest_key(tenant, client, marker):
    return ingest_key_create(tenant=tenant, name=marker)[0]


def _unknown_source(tenant, client, marker):
    """A machine waiting for review, whose hostname and last message carry the marker."""
    hostname = f"{marker.lower()}-host"
    ingest(
        tenant=tenant,
        messages=[Message(type="alert", hostname=hostname, check="cpu", severity="warning", message=marker)],
    )
    return UnknownSource.unscoped.get(tenant=tenant, hostname=hostname)


def tenant_today(tenant):
    """Today in the tenant's time zone: its pages and services judge dates by it (after 23:00
    UTC it is already tomorrow in Rome)."""
    from django.utils import timezone

    from msp.selectors import time_zone_for

    return timezone.localdate(timezone=time_zone_for(tenant=tenant))


ISOLATION_FACTORIES = {
    Site: lambda tenant, client, marker: SiteFactory(tenant=tenant, client=client, name=marker),
    Contact: lambda tenant, client, marker: ContactFactory(
        tenant=tenant, client=client, name=marker, email=f"{marker.lower()}@leak.example"
    ),
    Membership: lambda tenant, client, marker: MembershipFactory(
        tenant=tenant, user=UserFactory(username=marker.lower()), role=Role.TECHNICIAN
    ),
    Asset: lambda tenant, client, marker: AssetFactory(tenant=tenant, client=client, name=marker),
    # Sent, so that a client contact can open its own company's offer in the portal.
    Offer: lambda tenant, client, marker: OfferFactory(
        tenant=tenant, client=client, title=marker, status="sent"
    ),
    # After Offer: tiers are tenant-wide, so a marker-named tier must not be priced into
    # the offers the harness builds (a client contact would see its name in the portal).
    ServiceTier: lambda tenant, client, marker: ServiceTierFactory(tenant=tenant, name=marker),
    RecurringService: lambda tenant, client, marker: RecurringServiceFactory(tenant=tenant, name=marker),
    Contract: lambda tenant, client, marker: ContractFactory(tenant=tenant, client=client, name=marker),
    Ticket: lambda tenant, client, marker: _ticket_with_note(tenant, client, marker),
    Attachment: _attachments_on_last_ticket,  # right after Ticket: on its ticket
    WorkType: lambda tenant, client, marker: WorkTypeFactory(tenant=tenant, name=marker),
    TaxRate: lambda tenant, client, marker: TaxRate.unscoped.create(
        tenant=tenant,
        name=marker,
        code=marker[:20],
        rate=Decimal("0"),
        nature="N4",
        legal_reference=marker[:100],
    ),
    BusinessCalendar: lambda tenant, client, marker: BusinessCalendar.unscoped.create(
        tenant=tenant, name=marker, hours={"0": [["09:00", "18:00"]]}
    ),
    SlaPolicy: lambda tenant, client, marker: SlaPolicy.unscoped.create(
        tenant=tenant,
        name=marker,
        calendar=BusinessCalendar.unscoped.create(tenant=tenant, name=f"{marker} hours", always_open=True),
        targets={"P1": {"response": 60}},
    ),
    Invitation: lambda tenant, client, marker: InvitationFactory(
        tenant=tenant, email=f"{marker.lower()}@leak.example"
    ),
    OutboundEmail: lambda tenant, client, marker: OutboundEmailFactory(
        tenant=tenant, subject=marker, failed=True
    ),
    Invoice: lambda tenant, client, marker: issued_invoice(client, marker),
    # Right after Invoice: an export whose problem names that invoice (owners and admins only).
    ExportBatch: lambda tenant, client, marker: export_batch(tenant, marker),
    # A colleague's (a member of its tenant, not the one signed in): nobody else reads it.
    Notification: lambda tenant, client, marker: NotificationFactory(
        tenant=tenant, title=marker, body=f"{marker} body"
    ),
    TimeEntry: lambda tenant, client, marker: TimeEntryFactory(
        ticket=TicketFactory(tenant=tenant, client=client, subject=marker),
        technician=UserFactory(),
        note=marker,
    ),
    Alert: _alert,
    IngestKey: _ingest_key,
    UnknownSource: _unknown_source,
    MonthlyReport: lambda tenant, client, marker: sent_report(client),
    # Right after MonthlyReport: a link to the report it made for this client.
    ReportShare: lambda tenant, client, marker: report_link(
        MonthlyReport.unscoped.filter(tenant=tenant, client=client).latest("pk")
    ),
    # An unknown sender's e-mail waiting for review: staff only (client contacts never see it).
    InboundMessage: lambda tenant, client, marker: InboundMessageFactory(
        tenant=tenant, subject=marker, from_name=marker, body=f"{marker} body"
    ),
    # An SdI rejection of a file of an invoice of the client, its error text the marker.
    SdiReceipt: lambda tenant, client, marker: _sdi_receipt(tenant, client, marker),
    # A mailbox polled over IMAP, its last poll failed (its page shows the settings and the error).
    Mailbox: lambda tenant, client, marker: MailboxFactory(
        tenant=tenant,
        name=marker,
        address=f"{marker.lower()}@leak.example",
        imap_host=f"imap.{marker.lower()}.example",
        imap_username=marker,
        last_error=f"{marker} refused the sign-in",
    ),
}


def _sdi_receipt(tenant, client, marker):
    from billing.einvoice.sdi import sdi_receipt_import
    from tests.billing.sdi_files import einvoice_for, receipt_xml

    progressive = f"M{EInvoice.unscoped.filter(tenant=tenant).count()}"
    file = einvoice_for(issued_invoice(client, f"{marker} services"), progressive, EInvoiceState.SENT)
    return sdi_receipt_import(
        tenant=tenant,
        content=receipt_xml("NS", file.filename, str(abs(hash(marker)) % 10**9), errors=[("00311", f"{marker} error")]),
        filename=f"{marker}_NS_001.xml",
        source="api",
    )


def _ticket_with_note(tenant, client, marker):
    """A ticket whose subject carries the marker, with an internal note that carries it too
    (a client contact must never see internal notes, even of its own company's tickets)."""
    ticket = TicketFactory(tenant=tenant, client=client, subject=marker)
    TicketCommentFactory(ticket=ticket, body=f"{marker} public reply", public=True)
    TicketCommentFactory(ticket=ticket, body=f"Internal {marker} note", public=False)
    return ticket


def issued_invoice(client, marker: str = "Work done", amount: str = "100.00"):
    """An issued invoice of the client, its one line described by `marker`."""
    from billing.services import LineDraft, invoice_draft_create, invoice_issue

    line = LineDraft(
        kind=LineKind.ADJUSTMENT, description=marker, unit_price=Money(Decimal(amount), client.currency)
    )
    return invoice_issue(invoice=invoice_draft_create(client=client, lines=[line]))


def export_batch(tenant, marker: str):
    """An accounting export of the tenant's last invoice, its file and its one problem carrying the
    marker, as billing.services.exports.export_batch_create records them."""
    from django.core.files.base import ContentFile

    invoice = Invoice.unscoped.filter(tenant=tenant).latest("pk")
    batch = ExportBatch(
        tenant=tenant,
        format="journal",
        period_start=invoice.issue_date,
        period_end=invoice.issue_date,
        filename=f"{marker}.csv",
        invoice_count=1,
        problem_count=1,
        problems=[
            {
                "code": "mapping",
                "kind": "invoice",
                "id": invoice.pk,
                "invoice": invoice.pk,
                "document": invoice.number,
                "line": 1,
                "reason": f"No account code for {marker}.",
            }
        ],
    )
    batch.file.save(batch.filename, ContentFile(f"entry,document\n1,{marker}\n".encode()), save=False)
    batch.save()
    return batch


def sent_report(client, period=None, **sent):
    """The client's monthly report of last month (or `period`), generated (no PDF) and marked
    sent as reports.services.send_report leaves it, without its e-mail; its snapshot names
    the client."""
    from billing.periods import Period
    from reports.services import generate_report

    period = period or Period.of(tenant_today(client.tenant)).previous()
    report = generate_report(client, period, pdf=False)
    values = {"status": "sent", "sent_at": timezone.now(), "sent_to": ["boss@client.example"], **sent}
    MonthlyReport.unscoped.filter(pk=report.pk).update(**values)
    report.refresh_from_db()
    return report


def report_link(report, days: int = 30):
    """A link to the report as reports.shares.report_share_create makes it (its key dropped)."""
    from reports.shares import report_share_create

    return report_share_create(report=report, days=days)[0]
