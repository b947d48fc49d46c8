"""PLACEHOLDER (branch report-pipeline): helper B writes the real module on branch
report-content; at merge theirs replaces this file whole. Signatures of the plan:
``report_html(figures, *, for_pdf=False) -> str`` and ``report_pdf(html) -> bytes``."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string


def report_html(figures, *, for_pdf: bool = False) -> str:
    return render_to_string("reports/monthly/placeholder.html", {"figures": figures, "for_pdf": for_pdf})


def report_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy: imported when a PDF is made

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
