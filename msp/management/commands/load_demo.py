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
]

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
        with scope_of(tenant.pk):  # each tenant's rows are written in its own scope
            clients = []
            for name, currency, sites, contacts in progress(CLIENTS, label="Demo clients"):
                client = Client.objects.create(
                    tenant=tenant, name=name, currency=currency, billing_email=f"billing@{_domain(name)}"
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


def _domain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:20] + ".example"
