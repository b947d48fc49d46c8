from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from msp.models import Client, Contact, Membership, Site, Tenant
from msp.progress import progress
from msp.roles import Role
from msp.scoping import scope_of
from msp.services import tenant_create
from msp.signals import demo_loaded

User = get_user_model()

DEMO_PASSWORD = "demo-pass-2026"
DEMO_SLUG = "demo"
SECOND_SLUG = "northwind"

CLIENTS = [
    ("Acme Dental", "EUR", ["Milano HQ", "Bergamo clinic"], ["Giulia Rossi", "Marco Bianchi", "Sara Conti"]),
    ("Bellini Architetti", "EUR", ["Studio"], ["Luca Bellini", "Elena Greco"]),
    ("Castello Logistics", "EUR", ["Warehouse", "Office"], ["Paolo Ferrari", "Anna Romano", "Davide Marino"]),
    ("Dolomiti Hotels", "EUR", ["Cortina", "Bolzano"], ["Francesca Ricci", "Matteo Gallo"]),
    ("Evergreen Law LLP", "GBP", ["London"], ["Oliver Smith", "Amelia Jones"]),
    ("Fjord Analytics", "USD", ["Remote"], ["Nora Berg"]),
    ("Kaiser Maschinenbau GmbH", "EUR", ["München"], ["Jonas Weber"]),
]

# What e-invoices need (issue 19): an Italian MSP, its Italian clients routed through the SdI
# (a Codice Destinatario, or a PEC with 0000000), a German client with its EU VAT number.
DEMO_MSP_IDENTITY = {
    "legal_name": "Demo MSP S.r.l.",
    "vat_number": "IT02839750995",
    "fiscal_code": "02839750995",
    "street": "Via Torino 15",
    "postcode": "20123",
    "city": "Milano",
    "province": "MI",
    "country": "IT",
    "pec": "amministrazione@pec.demo-msp.example",
    "iban": "IT60X0542811101000000123456",
    "bic": "BPMOIT22XXX",
    "address": "Via Torino 15\n20123 Milano (MI)",
}
CLIENT_IDENTITIES = {
    "Acme Dental": {
        "legal_name": "Acme Dental S.r.l.",
        "vat_number": "IT00743110157",
        "street": "Via Roma 1",
        "postcode": "20121",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
        "sdi_code": "M5UXCR1",
    },
    "Bellini Architetti": {
        "legal_name": "Studio Bellini Architetti Associati",
        "vat_number": "IT03264290929",
        "street": "Via XX Settembre 10",
        "postcode": "24121",
        "city": "Bergamo",
        "province": "BG",
        "country": "IT",
        "sdi_code": "0000000",
        "pec": "studio@pec.belliniarchitetti.example",
    },
    "Castello Logistics": {
        "legal_name": "Castello Logistics S.p.A.",
        "vat_number": "IT01533080675",
        "street": "Via dell'Industria 4",
        "postcode": "37135",
        "city": "Verona",
        "province": "VR",
        "country": "IT",
        "sdi_code": "KRRH6B9",
    },
    "Dolomiti Hotels": {
        "legal_name": "Dolomiti Hotels S.r.l.",
        "vat_number": "IT03562380968",
        "street": "Corso Italia 22",
        "postcode": "32043",
        "city": "Cortina d'Ampezzo",
        "province": "BL",
        "country": "IT",
        "sdi_code": "W7YVJK9",
    },
    "Evergreen Law LLP": {
        "street": "1 Fleet Street",
        "postcode": "EC4Y 1AA",
        "city": "London",
        "country": "GB",
    },
    "Kaiser Maschinenbau GmbH": {
        "vat_number": "DE136695976",
        "street": "Leopoldstraße 20",
        "postcode": "80802",
        "city": "München",
        "country": "DE",
    },
}

USERS = [
    ("owner", Role.OWNER),
    ("admin", Role.ADMIN),
    ("sales", Role.ACCOUNT_MANAGER),
    ("tech", Role.TECHNICIAN),
    ("client", Role.CLIENT),
]


class Command(BaseCommand):
    help = "Load a demo MSP with clients, sites, contacts and one user per role (safe to run twice)."

    @transaction.atomic
    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = self._build()
        else:
            self.stdout.write("Demo data is already loaded.")
        self._print_logins(tenant)

    def _build(self) -> Tenant:
        signup = tenant_create(
            name="Demo MSP",
            slug=DEMO_SLUG,
            owner_username="owner",
            owner_email="owner@demo-msp.example",
            owner_password=DEMO_PASSWORD,
        )
        tenant = signup.tenant
        _identify(tenant, {**DEMO_MSP_IDENTITY, "tax_rate": Decimal("22.00")})
        with scope_of(tenant.pk):  # each tenant's rows are written in its own scope
            clients = []
            for name, currency, sites, contacts in progress(CLIENTS, label="Demo clients"):
                client = _identify(
                    Client(
                        tenant=tenant, name=name, currency=currency, billing_email=f"billing@{_domain(name)}"
                    ),
                    CLIENT_IDENTITIES.get(name, {}),
                )
                site_objs = [Site.objects.create(tenant=tenant, client=client, name=s) for s in sites]
                for index, person in enumerate(contacts):
                    Contact.objects.create(
                        tenant=tenant,
                        client=client,
                        site=site_objs[index % len(site_objs)],
                        name=person,
                        email=f"{person.split()[0].lower()}@{_domain(name)}",
                        phone=f"+39 02 555 01{index:02d}",
                        portal_access=index == 0,
                    )
                clients.append(client)
            for username, role in USERS[1:]:
                user = User.objects.create_user(
                    username=username, email=f"{username}@demo-msp.example", password=DEMO_PASSWORD
                )
                Membership.objects.create(
                    tenant=tenant, user=user, role=role, client=clients[0] if role == Role.CLIENT else None
                )
                if role == Role.CLIENT:  # a portal login is one of its client's contacts
                    Contact.objects.create(
                        tenant=tenant,
                        client=clients[0],
                        name="Demo Client",
                        email=user.email,
                        portal_access=True,
                    )
        # A second MSP where the owner also works, to show the tenant switcher.
        second = tenant_create(
            name="Northwind IT",
            slug=SECOND_SLUG,
            owner_username="owner",
            owner_email="owner@demo-msp.example",
            owner_password=DEMO_PASSWORD,
            language="it",
        ).tenant
        with scope_of(second.pk):
            Client.objects.create(tenant=second, name="Trattoria da Mario", billing_email="mario@example.it")
        demo_loaded.send(sender=self.__class__, tenant=tenant)
        return tenant

    def _print_logins(self, tenant: Tenant) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"Demo MSP '{tenant.name}': log in with password {DEMO_PASSWORD}")
        )
        for username, role in USERS:
            self.stdout.write(f"  {username:<8} {role.label}")
        self.stdout.write("  (owner also belongs to 'Northwind IT': use the switcher)")


def _identify(party, identity: dict):
    """Give a tenant or client its fiscal identity, checked as a form would (the demo's numbers
    are real-shaped: their checksums pass), and save it."""
    for name, value in identity.items():
        setattr(party, name, value)
    party.clean()
    party.save()
    return party


def _domain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:20] + ".example"
