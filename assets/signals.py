from datetime import date, timedelta

from django.dispatch import receiver
from django.utils import timezone

from msp.models import Client, Site
from msp.signals import demo_loaded

# (client name, kind, count, name prefix, manufacturer, model, os)
DEMO_INVENTORY = [
    ("Acme Dental", "server", 2, "ACME-SRV", "Dell", "PowerEdge R350", "Windows Server 2022"),
    ("Acme Dental", "network", 1, "ACME-FW", "Ubiquiti", "UDM Pro", ""),
    ("Acme Dental", "desktop", 15, "ACME-PC", "HP", "EliteDesk 800 G9", "Windows 11 Pro"),
    ("Bellini Architetti", "server", 1, "BEL-NAS", "Synology", "RS1221+", "DSM 7.2"),
    ("Bellini Architetti", "laptop", 6, "BEL-NB", "Apple", "MacBook Pro 14", "macOS 15"),
    ("Bellini Architetti", "printer", 1, "BEL-PLOT", "HP", "DesignJet T650", ""),
    ("Castello Logistics", "server", 3, "CAS-SRV", "Lenovo", "ThinkSystem SR630", "Ubuntu 24.04"),
    ("Castello Logistics", "network", 2, "CAS-SW", "Cisco", "CBS350", ""),
    ("Castello Logistics", "desktop", 24, "CAS-PC", "Lenovo", "ThinkCentre M70q", "Windows 11 Pro"),
]


@receiver(demo_loaded)
def add_demo_inventory(sender, tenant, **kwargs):
    from assets.models import Asset

    clients = {c.name: c for c in Client.objects.all()}
    sites = {}
    for site in Site.objects.order_by("pk"):
        sites.setdefault(site.client_id, site)
    today = timezone.localdate()
    rows = []
    for client_name, kind, count, prefix, manufacturer, model, os in DEMO_INVENTORY:
        client = clients.get(client_name)
        if client is None:
            continue
        for n in range(1, count + 1):
            purchased = date(2023, 1, 15) + timedelta(days=37 * n)
            rows.append(
                Asset(
                    tenant=tenant,
                    client=client,
                    site=sites.get(client.pk),
                    kind=kind,
                    name=f"{prefix}-{n:02d}",
                    hostname=f"{prefix.lower()}-{n:02d}",
                    serial=f"{prefix}-{n:04d}-SN",
                    manufacturer=manufacturer,
                    model=model,
                    operating_system=os,
                    purchase_date=purchased,
                    # Some warranties run out soon, so the proactive side has something to show.
                    warranty_expires=today + timedelta(days=20 * n - 40),
                    monitored=kind in ("server", "network"),
                )
            )
    Asset.objects.bulk_create(rows)
