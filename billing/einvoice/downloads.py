"""E-invoices as stored, downloaded: one invoice's current file, or a period's as one ZIP.

The bytes served are the stored ones, never built again. The ZIP is streamed: the rows are read
in one query before the response starts, then each file is read from storage, deflated and sent
before the next is read, so a month of a thousand files never sits in memory at once.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django import forms
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import EInvoice, EInvoiceFormat, Invoice
from billing.services.invoices import tenant_today

# The current file of a format an invoice has; FatturaPA first (an invoice has one or the other).
FORMAT_ORDER = (EInvoiceFormat.FATTURAPA, EInvoiceFormat.UBL, EInvoiceFormat.CII)
MAX_PERIOD_DAYS = 366


def einvoice_current(invoice: Invoice) -> EInvoice | None:
    """The invoice's current (not superseded) e-invoice file, or None."""
    rows = {row.format: row for row in invoice.einvoices.all() if not row.superseded}  # prefetched or not
    return next((rows[name] for name in FORMAT_ORDER if name in rows), None)


def einvoice_response(invoice: Invoice) -> FileResponse:
    """The current file as issued, as an attachment named as the SdI (or the buyer) knows it."""
    einvoice = einvoice_current(invoice)
    if einvoice is None:
        raise Http404(_("This document has no e-invoice."))
    return FileResponse(
        einvoice.xml.open("rb"),
        as_attachment=True,
        filename=einvoice.filename,
        content_type="application/xml",
    )


class PeriodForm(forms.Form):
    """The issue dates of a period's ZIP: this month so far by default."""

    # ISO dates only (what a date input sends, and what the API documents): "10/11/2026" means
    # two different days on two sides of the Atlantic.
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, data=None, *, tenant, strict: bool = False, **kwargs):
        # The query string says from/to (a form field cannot be named "from").
        self.given_empty = []
        if data is not None:
            # The API's caller leaves a date out for its default; an empty one is a mistake
            # there (the browser's form sends both fields, empty or not).
            self.given_empty = [key for key in ("from", "to") if strict and key in data and not data[key]]
            data = {"date_from": data.get("from", ""), "date_to": data.get("to", "")}
        super().__init__(data, **kwargs)
        self.tenant = tenant

    def clean(self):
        cleaned = super().clean()
        for key in self.given_empty:
            self.add_error(f"date_{key}", _("Give a date (YYYY-MM-DD), or leave the parameter out."))
        today = tenant_today(self.tenant)
        start = cleaned.get("date_from") or today.replace(day=1)
        end = cleaned.get("date_to") or today
        if self.errors:
            return cleaned
        if start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                _("A ZIP covers at most %(days)s days: download a long period in parts.")
                % {"days": MAX_PERIOD_DAYS}
            )
        cleaned["date_from"], cleaned["date_to"] = start, end
        return cleaned


@dataclass(frozen=True)
class StoredFile:
    name: str  # in the ZIP
    path: str  # in storage
    storage: object
    at: datetime.datetime


def einvoices_of_period(start: datetime.date, end: datetime.date) -> list[StoredFile]:
    """The current e-invoice files of the documents issued from `start` to `end`, in the
    order they were issued: one query."""
    rows = (
        EInvoice.objects.filter(
            superseded=False, invoice__issue_date__gte=start, invoice__issue_date__lte=end
        )
        .order_by("invoice__issue_date", "invoice__number", "pk")
        .only("filename", "xml", "created_at")
    )
    return [StoredFile(row.filename, row.xml.name, row.xml.storage, row.created_at) for row in rows]


class _Sink(io.RawIOBase):
    """Where the ZIP writes: what was written since the last `take`, handed out in pieces."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zip_chunks(files: Iterable[StoredFile]) -> Iterator[bytes]:
    """The ZIP of the files, a piece per file (the archive's directory last)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for stored in files:
            with stored.storage.open(stored.path, "rb") as handle:
                data = handle.read()
            info = zipfile.ZipInfo(stored.name, date_time=stored.at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            yield sink.take()
    yield sink.take()


def zip_name(start: datetime.date, end: datetime.date) -> str:
    return f"einvoices-{start.isoformat()}-{end.isoformat()}.zip"


def einvoices_zip_response(start: datetime.date, end: datetime.date) -> StreamingHttpResponse:
    files = einvoices_of_period(start, end)  # read now, in the request's scope
    response = StreamingHttpResponse(zip_chunks(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{zip_name(start, end)}"'
    return response
