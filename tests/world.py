"""A populated tenant at a chosen size, for the query-count harness (tests/test_query_counts.py).

``build_world(n)`` builds one tenant in which every detail page the harness opens has ``n``
rows hanging off it, and every list has about ``n`` to ``2n`` rows:

* ``n`` clients; the first (``world.client``, the one every detail page opens and the client
  contact belongs to) has ``n`` sites, contacts, assets, tickets, offers and contracts; the
  others one site, contact, asset, ticket and contract each (lists grow with ``n``);
* ``n`` service tiers priced for every asset kind, ``n`` à-la-carte services, ``n`` extra
  work types, ``n`` extra technicians (each with a running timer on the opened ticket);
* the opened ticket has ``n`` files, ``n`` public replies and ``n`` internal notes (a file
  on each), and ``n`` time entries,
  drawn from the opened prepaid contract, which so has ``n`` hour blocks and ``2n`` ledger
  rows; the opened site, contact and asset are linked to ``n`` of the client's rows;
* offers: ``n`` sent ones on the opened client (``n`` options each, one per tier, with ``n``
  service lines), a draft and a declined one; the other clients accepted one each (their
  managed contract);
* ``n`` outgoing e-mails, every other one failed; ``n`` support mailboxes polled over IMAP
  (every other one failing), besides the webhook's;
* ``n`` notifications of the owner (every other one read), and one of the technician;
* monthly reports: the opened client's last ``n`` months (last month's sent, with its PDF
  and ``n`` links to it), and last month's draft of every other client.

Two worlds of different sizes live side by side in one database: each is its own tenant,
so the scope keeps them apart and the same pages can be measured in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from assets.choices import AssetKind
from assets.models import Asset
from billing.models import BillingSettings, ExportBatch, Invoice, SdiReceipt, TaxRate
from billing.periods import Period
from billing.services import invoice_pay
from billing.services.exports import account_mappings_save, export_batch_create, mapping_rows
from billing.services.run import billing_run
from contracts.choices import ContractKind
from contracts.models import BusinessCalendar, Contract, RecurringService, ServiceTier, SlaPolicy
from contracts.services import sla_seed
from contracts.services.hours import block_purchase
from inbox.choices import InboundSource, InboundStatus
from inbox.models import InboundMessage, Mailbox
from monitoring.choices import Severity
from monitoring.messages import ALERT, HEARTBEAT, Message
from monitoring.models import Alert, IngestKey, UnknownSource
from monitoring.services.ingest import ingest
from monitoring.services.keys import ingest_key_create
from msp.models import ApiToken, Client, Contact, Invitation, Membership, Notification, OutboundEmail, Site
from msp.roles import Role
from msp.scoping import unscoped
from msp.secrets import conceal
from reports.models import MonthlyReport, ReportShare
from reports.services import generate_report
from sales.models import Offer
from tests.billing.italy import italian_buyer, italian_seller
from tests.billing.sdi_files import sdi_world
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContactFactory,
    ContractFactory,
    InboundMessageFactory,
    InvitationFactory,
    MailboxFactory,
    MembershipFactory,
    NotificationFactory,
    OfferFactory,
    OutboundEmailFactory,
    RecurringServiceFactory,
    ServiceTierFactory,
    SiteFactory,
    TenantFactory,
    TicketCommentFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
    WorkTypeFactory,
    attachment_create,
    report_link,
    sent_report,
)
from tickets.choices import Priority, TicketStatus
from tickets.models import Attachment, Ticket
from timetracking.models import TimeEntry, Timer, WorkType
from timetracking.services import work_types_seed

KINDS = list(AssetKind.values)
# The models whose object World.opened holds: the harness can open any URL naming one.
OPENED_MODELS = (
    Client,
    Site,
    Contact,
    Membership,
    Asset,
    ServiceTier,
    RecurringService,
    Offer,
    Contract,
    Ticket,
    WorkType,
    TaxRate,
    TimeEntry,
    OutboundEmail,
    Invitation,
    Invoice,
    Notification,
    Attachment,
    BusinessCalendar,
    SlaPolicy,
    Alert,
    IngestKey,
    UnknownSource,
    MonthlyReport,
    ReportShare,
    InboundMessage,
    Mailbox,
    SdiReceipt,
    ExportBatch,
)
PRIORITIES = [Priority.P2, Priority.P3, Priority.P1, Priority.P4]
STATUSES = [TicketStatus.OPEN, TicketStatus.NEW, TicketStatus.WAITING]


@dataclass
class World:
    n: int
    tenant: object
    owner: Membership
    technician: Membership
    contact_member: Membership  # a client contact of `client`
    client: Client
    token: str  # the owner's API key
    # The object each detail page opens, by model (what a URL's `pk`/`<model>_pk` names).
    opened: dict = field(default_factory=dict)
    # Other objects some pages are also opened on (another contract kind, offer status).
    alternates: dict = field(default_factory=dict)

    def placeholders(self) -> dict:
        """Values a query-string variant may use: "?client={client}"."""
        return {
            "n": self.n,
            "half": max(1, self.n // 2),
            "client": self.client.pk,
            "technician_user": self.technician.user_id,
            "prepaid": self.opened[Contract].pk,
            "asset": self.opened[Asset].pk,
        }


def build_world(n: int, *, slug: str) -> World:
    with unscoped():
        return _build(n, slug)


def _build(n: int, slug: str) -> World:
    tenant = TenantFactory(
        name=f"World {slug}",
        slug=slug,
        # Its identity on documents and its break/fix rate: offers and time panels show them.
        legal_name=f"World {slug} S.r.l.",
        address="Via Roma 1, Milano",
        vat_number="IT01234567890",
        default_hourly_rate=Money(Decimal("80"), "EUR"),
    )
    default_policy = sla_seed(tenant=tenant)  # a default SLA policy and calendar: tickets run SLA clocks
    # n more calendars and n more policies on the seeded calendar (the SLA settings list them).
    calendars = [
        BusinessCalendar.unscoped.create(
            tenant=tenant, name=f"Calendar {i}", hours={"0": [["09:00", "18:00"]]}, holidays=["2026-12-08"]
        )
        for i in range(n)
    ]
    policies = [
        SlaPolicy.unscoped.create(
            tenant=tenant,
            name=f"Policy {i}",
            calendar=default_policy.calendar,
            targets={"P1": {"response": 60, "resolution": 240}},
            kind_overrides={"server": {"P1": {"response": 30}}},
        )
        for i in range(n)
    ]
    work_types_seed(tenant=tenant)
    work_types = [WorkTypeFactory(tenant=tenant, name=f"Work {i}") for i in range(n)]
    tax_rates = [
        TaxRate.unscoped.create(tenant=tenant, name=f"Rate {i}", code=f"R{i}", rate=Decimal(i % 30 + 1))
        for i in range(n)
    ]
    tiers = [
        ServiceTierFactory(
            tenant=tenant,
            name=f"Tier {i}",
            position=i,
            prices={kind: 10 + i for kind in KINDS},
        )
        for i in range(n)
    ]
    services = [RecurringServiceFactory(tenant=tenant, name=f"Service {i}") for i in range(n)]

    clients = [ClientFactory(tenant=tenant, name=f"Acme {i}") for i in range(n)]
    client = clients[0]
    # The MSP and the opened client are Italian: the opened invoice is issued as a FatturaPA file.
    italian_seller(tenant, legal_name=tenant.legal_name, iban="")
    italian_buyer(client, legal_name="")

    def member(role, **kwargs):
        return MembershipFactory(tenant=tenant, role=role, **kwargs)

    owner = member(Role.OWNER, user=UserFactory(username=f"{slug}-owner"))
    technician = member(Role.TECHNICIAN, user=UserFactory(username=f"{slug}-tech"))
    technicians = [member(Role.TECHNICIAN, user=UserFactory(username=f"{slug}-tech{i}")) for i in range(n)]
    contact_user = UserFactory(username=f"{slug}-contact", email=f"portal@{slug}.example")
    contact_member = member(Role.CLIENT, client=client, user=contact_user)

    # The opened client's sites, contacts and assets; one of each for the other clients.
    sites = [SiteFactory(tenant=tenant, client=client, name=f"Site {i}") for i in range(n)]
    site = sites[0]
    contacts = [
        ContactFactory(
            tenant=tenant,
            client=client,
            site=site,
            name=f"Contact {i}",
            email=contact_user.email if i == 0 else f"c{i}@{slug}.example",
            portal_access=i == 0,
        )
        for i in range(n)
    ]
    contact = contacts[0]
    assets = [
        AssetFactory(
            tenant=tenant,
            client=client,
            site=site,
            assigned_contact=contact,
            kind=KINDS[i % len(KINDS)],
            name=f"Asset {i}",
            hostname=f"{slug}-host-{i}",
            serial=f"{slug}-SN{i}",
            warranty_expires=timezone.localdate() + timedelta(days=10 + i),
        )
        for i in range(n)
    ]
    for other in clients[1:]:
        other_site = SiteFactory(tenant=tenant, client=other, name="Head office")
        ContactFactory(tenant=tenant, client=other, site=other_site, name=f"Contact of {other.name}")
        AssetFactory(
            tenant=tenant,
            client=other,
            site=other_site,
            name=f"Asset of {other.name}",
            serial=f"{slug}-SN-{other.pk}",
        )

    # Offers: n sent ones for the opened client (n options each, n service lines), a draft,
    # a declined one; each other client accepted one (that is its managed contract).
    service_quantities = {service.pk: 1 for service in services}
    offers = [
        OfferFactory(
            tenant=tenant,
            client=client,
            title=f"Offer {i}",
            status="sent",
            service_quantities=service_quantities,
            recommended_tier=tiers[0],
        )
        for i in range(n)
    ]
    draft = OfferFactory(
        tenant=tenant,
        client=client,
        title="Draft offer",
        status="draft",
        service_quantities=service_quantities,
    )
    OfferFactory(tenant=tenant, client=client, title="Declined offer", status="declined")
    accepted = [
        OfferFactory(
            tenant=tenant,
            client=other,
            title=f"Accepted by {other.name}",
            status="accepted",
            service_quantities=service_quantities,
        )
        for other in clients[1:]
    ]

    # Contracts of the opened client: managed, prepaid hours (n blocks) and break/fix, plus
    # more break/fix ones up to n; a break/fix one for every other client.
    managed = ContractFactory(
        tenant=tenant, client=client, kind=ContractKind.MANAGED, tier=tiers[0], name="Managed"
    )
    prepaid = ContractFactory(
        tenant=tenant,
        client=client,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        name="Prepaid",
        hourly_rate=Money(Decimal("90"), client.currency),
        overage_rate=Money(Decimal("110"), client.currency),
        renew_block_price=Money(Decimal("900"), client.currency),
    )
    for i in range(n):
        block_purchase(
            contract=prepaid,
            minutes=600,
            price=Money(Decimal("900"), client.currency),
            expires_at=timezone.now() + timedelta(days=365 + i),
        )
    break_fix = ContractFactory(
        tenant=tenant,
        client=client,
        kind=ContractKind.BREAK_FIX,
        tier=None,
        name="Break/fix",
        hourly_rate=Money(Decimal("95"), client.currency),
    )
    for i in range(n - 1):
        ContractFactory(
            tenant=tenant,
            client=client,
            kind=ContractKind.BREAK_FIX,
            tier=None,
            name=f"Break/fix {i}",
            hourly_rate=Money(Decimal("95"), client.currency),
        )
    for other in clients[1:]:
        ContractFactory(
            tenant=tenant,
            client=other,
            kind=ContractKind.BREAK_FIX,
            tier=None,
            name=f"Break/fix of {other.name}",
            hourly_rate=Money(Decimal("95"), other.currency),
        )

    # Tickets: n for the opened client (on its contact, asset and prepaid contract), one
    # for every other client.
    tickets = [
        TicketFactory(
            tenant=tenant,
            client=client,
            subject=f"Ticket {i}",
            contact=contact,
            asset=assets[0],
            contract=prepaid,
            priority=PRIORITIES[i % len(PRIORITIES)],
            assignee=technicians[i].user,
            created_by=owner.user,
        )
        for i in range(n)
    ]
    for i, ticket in enumerate(tickets):
        status = STATUSES[i % len(STATUSES)]
        if status != TicketStatus.NEW:
            Ticket.unscoped.filter(pk=ticket.pk).update(status=status)
    for other in clients[1:]:
        other_ticket = TicketFactory(
            tenant=tenant,
            client=other,
            subject=f"Ticket of {other.name}",
            priority=Priority.P2,
            assignee=technician.user,
        )
        TimeEntryFactory(ticket=other_ticket, technician=technician.user, minutes=20)
    ticket = tickets[0]
    # n files on the opened ticket itself, and one on each of its n replies and n notes.
    files = [
        attachment_create(
            ticket, name=f"file {i}.txt", content=f"File {i}\n".encode(), uploaded_by=contact_user
        )
        for i in range(n)
    ]
    for i in range(n):
        author = technicians[i].user if i % 2 else contact_user
        reply = TicketCommentFactory(
            ticket=ticket, tenant=tenant, author=author, body=f"Reply {i}", public=True
        )
        note = TicketCommentFactory(
            ticket=ticket, tenant=tenant, author=technicians[i].user, body=f"Note {i}", public=False
        )
        attachment_create(ticket, name=f"reply file {i}.txt", comment=reply, uploaded_by=author)
        attachment_create(ticket, name=f"note file {i}.log", comment=note, uploaded_by=technicians[i].user)
    # n time entries on the opened ticket (the owner's: they are on the owner's timesheet),
    # drawn from the prepaid contract; one on each other ticket of the opened client.
    entries = [
        TimeEntryFactory(
            ticket=ticket, technician=owner.user, minutes=30 + i, work_type=work_types[i], note=f"Work {i}"
        )
        for i in range(n)
    ]
    for i, other_ticket in enumerate(tickets[1:], start=1):
        TimeEntryFactory(ticket=other_ticket, technician=technicians[i].user, minutes=15)
    # A running timer per technician, all on the opened ticket; the owner's too.
    now = timezone.now()
    Timer.unscoped.bulk_create(
        Timer(tenant=tenant, technician=m.user, ticket=ticket, started_at=now - timedelta(minutes=5))
        for m in [owner, *technicians]
    )

    # n e-mails, all about the opened ticket: its page lists them with their delivery state.
    emails = [
        OutboundEmailFactory(
            tenant=tenant,
            subject=f"Mail {i}",
            failed=i % 2 == 1,
            message_id=f"mail-{i}.{slug}@psa.example",
            thread=f"tickets.ticket:{ticket.pk}",
        )
        for i in range(n)
    ]
    # Received e-mails: n from strangers waiting for review, and n the opened client sent, filed
    # as new tickets on its tickets (the log shows their client and ticket).
    mailbox = MailboxFactory(tenant=tenant, address=f"support@{slug}.example")
    # n more mailboxes, polled over IMAP (no server listens on port 9 of loopback: a connection
    # test or a poll fails at once), every other one with its last poll failed.
    mailboxes = [
        MailboxFactory(
            tenant=tenant,
            name=f"Mailbox {i}",
            address=f"mailbox{i}@{slug}.example",
            imap_host="127.0.0.1",
            imap_port=9,
            imap_security="none",
            imap_username=f"mailbox{i}",
            imap_password=conceal("not-a-password"),
            webhook_prefix="mbx_abcdefgh" if i % 2 else "",
            last_error="Cannot reach 127.0.0.1:9: Connection refused" if i % 2 else "",
            failures=i % 2,
            last_polled_at=now,
            next_poll_at=now + timedelta(minutes=2),
        )
        for i in range(n)
    ]
    inbound = [
        InboundMessageFactory(
            tenant=tenant, mailbox=mailbox, subject=f"E-mail {i}", from_name=f"Stranger {i}", body=f"Text {i}"
        )
        for i in range(n)
    ]
    for i in range(n):
        InboundMessageFactory(
            tenant=tenant,
            mailbox=mailbox,
            subject=f"Filed e-mail {i}",
            status="ticket",
            client=client,
            ticket=tickets[i],
            note=f"Opened ticket #{tickets[i].pk}.",
        )
    # ...and n received on it (inbox/ adds them to the same list, through tickets.hooks).
    InboundMessage.unscoped.bulk_create(
        InboundMessage(
            tenant=tenant,
            source=InboundSource.IMAP,
            key=f"{slug}-{i}",
            message_id=f"inbound-{i}.{slug}@client.example",
            subject=f"Inbound {i}",
            status=InboundStatus.REPLY,
            ticket=ticket,
        )
        for i in range(n)
    )
    # n open invitations on the members page (one of them expired), each by the owner.
    invitations = [
        InvitationFactory(tenant=tenant, email=f"invitee{i}.{slug}@example.com", invited_by=owner.user)
        for i in range(n)
    ]
    Invitation.unscoped.filter(pk=invitations[-1].pk).update(expires_at=now - timedelta(days=1))

    # The month's run, issued: an invoice per client; the opened client's carries its managed
    # fee (one line per kind), its n blocks and its overage, and a part payment.
    BillingSettings.objects.create(tenant=tenant, auto_issue=True)
    billing_run(tenant=tenant, period=Period.of(timezone.localdate()))
    invoice = Invoice.objects.get(client=client)
    invoice_pay(
        invoice=invoice,
        amount=Money(Decimal("10"), client.currency),
        paid_at=timezone.localdate(),
        method="card",
    )
    # E-invoices at the SdI (issue 19): the invoice's file sent n times, each earlier one
    # rejected by an NS receipt and replaced, the current one delivered; a file ready to send
    # for each other invoice of the run.
    others = Invoice.objects.filter(tenant=tenant).exclude(pk=invoice.pk).order_by("pk")[:n]
    delivered = sdi_world(invoice, list(others), n)
    # Accounting exports of the month: n - 1 before any account was mapped (each lists every
    # invoice as a problem), then one with everything mapped but the bank (it exports the
    # invoices, and lists the payment).
    this_month = Period.of(timezone.localdate())
    period = {"period_start": this_month.start, "period_end": this_month.end}
    for _i in range(n - 1):
        export_batch_create(tenant=tenant, format="journal", **period)
    account_mappings_save(
        tenant=tenant,
        rows=[
            {
                "kind": row.kind,
                "key": row.key,
                "account": f"{row.kind}-{row.key}",
                "xero_tax_type": "VAT",
                "qbo_name": "Q",
            }
            for row in mapping_rows(tenant=tenant)
            if row.kind != "bank"
        ],
    )
    export = export_batch_create(tenant=tenant, format="journal", **period)
    notifications = [
        NotificationFactory(
            tenant=tenant,
            membership=owner,
            title=f"Notification {i}",
            read_at=now if i % 2 else None,
        )
        for i in range(n)
    ]
    NotificationFactory(tenant=tenant, membership=technician, title="The technician's")

    # Monitoring: n ingest keys; through the first, each asset sends a heartbeat a day for n
    # days, and n unknown machines wait for review. Each asset has an alert on the opened
    # client's ticket of the same rank (as if monitoring had opened them: no more tickets).
    keys = [ingest_key_create(tenant=tenant, name=f"Key {i}")[0] for i in range(n)]
    messages = [
        Message(type=HEARTBEAT, asset_id=asset.pk, occurred_at=now - timedelta(days=day), missing_patches=i)
        for i, asset in enumerate(assets)
        for day in range(n)
    ]
    messages += [
        Message(type=ALERT, hostname=f"unknown-{i}.{slug}", check="cpu", severity="warning") for i in range(n)
    ]
    ingest(tenant=tenant, key=keys[0], messages=messages)
    Alert.unscoped.bulk_create(
        Alert(
            tenant=tenant,
            client=client,
            asset=asset,
            ticket=tickets[i],
            key=keys[0],
            check_name=f"check_{i}",
            severity=Severity.values[i % 3],
            message=f"Alert {i}",
            count=i + 1,
            first_seen_at=now - timedelta(hours=i + 1),
            last_seen_at=now - timedelta(minutes=i),
        )
        for i, asset in enumerate(assets)
    )
    alerts = list(Alert.unscoped.filter(tenant=tenant).order_by("pk"))
    unknowns = list(UnknownSource.unscoped.filter(tenant=tenant).order_by("pk"))

    # Monthly reports: the opened client's last n months (the last one sent, with its PDF,
    # and n links to it), and last month's draft of every other client.
    last_month = Period.of(timezone.localdate()).previous()
    months = [last_month]
    for _i in range(n - 1):
        months.append(months[-1].previous())
    report = sent_report(client, last_month)
    generate_report(client, last_month, pdf=True)  # the stored PDF (the download reads it)
    for month in months[1:]:
        generate_report(client, month, pdf=False)
    for other in clients[1:]:
        generate_report(other, last_month, pdf=False)
    links = [report_link(report) for _i in range(n)]

    _token, key = ApiToken.issue(owner)
    opened = {
        Alert: alerts[0],
        IngestKey: keys[0],
        UnknownSource: unknowns[0],
        Invoice: invoice,
        OutboundEmail: emails[0],
        Invitation: invitations[0],
        Notification: notifications[0],
        Client: client,
        Site: site,
        Contact: contact,
        Membership: technician,
        ServiceTier: tiers[0],
        RecurringService: services[0],
        Offer: offers[0],
        Contract: prepaid,
        Ticket: ticket,
        WorkType: work_types[0],
        TaxRate: tax_rates[0],
        TimeEntry: entries[0],
        Attachment: files[0],  # on the ticket itself: the client contact may download it too
        InboundMessage: inbound[0],
        Mailbox: mailboxes[0],
        ExportBatch: export,
    }
    opened[Asset] = assets[0]
    opened[BusinessCalendar] = calendars[0]
    opened[SlaPolicy] = policies[0]
    opened[MonthlyReport] = report
    opened[SdiReceipt] = delivered
    opened[ReportShare] = links[0]
    assert set(opened) == set(OPENED_MODELS)
    alternates = {
        "managed contract": {**opened, Contract: managed},
        "break/fix contract": {**opened, Contract: break_fix},
        "draft offer": {**opened, Offer: draft},
        "accepted offer": {**opened, Offer: accepted[0] if accepted else offers[0]},
    }
    return World(
        n=n,
        tenant=tenant,
        owner=owner,
        technician=technician,
        contact_member=contact_member,
        client=client,
        token=key,
        opened=opened,
        alternates=alternates,
    )
