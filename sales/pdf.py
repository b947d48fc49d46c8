"""The offer as a PDF a client would sign (WeasyPrint), in the client's document language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from msp import scoping
from msp.identity import logo_data_uri
from msp.selectors import document_language
from sales.columns import columns_from_offer, comparison_rows, feature_rows, with_tax
from sales.selectors import offer_parties


def render_offer_html(offer) -> str:
    """The PDF's HTML. Reads the offer's options in the narrowest scope that holds them (its
    client's), so it works alike in a request, a task or a shell."""
    tenant = offer.tenant
    scope = scoping.Scope(tenant_id=offer.tenant_id, client_id=offer.client_id)
    token = scoping.activate(scope)
    try:
        options = list(offer.options.select_related("tier"))
        parties = offer_parties(offer)
    finally:
        scoping.restore(token)
    zone = ZoneInfo(tenant.timezone)
    created = timezone.localtime(offer.created_at, zone).date()
    language = document_language(offer.client)  # the client's document language, else the MSP's
    with translation.override(language), timezone.override(zone):
        columns = with_tax(columns_from_offer(offer, options), tenant.tax_rate)
        context = {
            "offer": offer,
            "tenant": tenant,
            "logo": logo_data_uri(tenant),
            "parties": parties,
            "has_sla": any(column.has_sla for column in columns),
            "client": offer.client,
            "date": created,
            "columns": columns,
            "rows": comparison_rows(columns),
            "features": feature_rows(columns),
            "has_discount": any(column.discount.amount for column in columns),
            "hour_block_hours": offer.hour_block_minutes // 60,
            "language": language,
        }
        return render_to_string("sales/pdf/offer.html", context)


def render_offer_pdf(offer) -> bytes:
    from weasyprint import HTML  # heavy: imported when a PDF is made

    return HTML(string=render_offer_html(offer), base_url=str(settings.BASE_DIR)).write_pdf()


def offer_pdf_filename(offer) -> str:
    """e.g. offer-12-acme-dental.pdf, in the active language."""
    return f"{slugify(_('offer')) or 'offer'}-{offer.pk}-{slugify(offer.client.name) or 'client'}.pdf"


def offer_pdf_response(offer, *, attachment: bool = True):
    """The offer's PDF, rendered now (nothing is cached), as a download or inline."""
    from django.http import HttpResponse

    response = HttpResponse(render_offer_pdf(offer), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{offer_pdf_filename(offer)}"'
    return response
