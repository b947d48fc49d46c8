"""The e-invoice's life at the SdI: marked sent, moved by its receipts, sent again.

State machine of a FatturaPA file (EInvoice.state), each receipt kind moving it from the
states listed to its own:

    READY --mark sent--> SENT
    READY/SENT --RC--> DELIVERED --NE EC01--> ACCEPTED     (public administrations)
                                  --NE EC02--> REFUSED
                                  --DT-------> DEADLINE    (no outcome within 15 days)
    READY/SENT --MC/AT--> NOT_DELIVERED   (in the client's area: fiscally delivered all the same)
    READY/SENT --NS--> REJECTED   --correct and send again--> a new file, new progressive

A receipt may arrive after a later one (an RC uploaded after the NE): it is recorded and the
state stays where it is. A receipt that contradicts the state (an RC for a rejected file) is
refused, as is one for a file of another tenant or none at all, and the same receipt twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from billing.einvoice.receipts import ParsedReceipt, receipt_parse
from billing.models import EInvoice, EInvoiceFormat, EInvoiceState, Invoice, SdiReceipt
from msp.scoping import scoped_by

S = EInvoiceState
WAITING = {S.READY, S.SENT}
# kind -> (states it moves from, states it finds already past it: recorded, no move)
TRANSITIONS: dict[str, tuple[set, set]] = {
    "RC": (WAITING, {S.ACCEPTED, S.REFUSED, S.DEADLINE}),
    "MC": (WAITING, set()),
    "AT": (WAITING, set()),
    "NS": (WAITING, set()),
    # A public administration answers (or lets the 15 days pass) once the file is delivered,
    # or once the SdI attested it could not deliver it (AT).
    "NE": (WAITING | {S.DELIVERED, S.NOT_DELIVERED}, set()),
    "DT": (WAITING | {S.DELIVERED, S.NOT_DELIVERED}, set()),
}
# Files that can be corrected and sent again with a new progressive.
RESENDABLE = {S.REJECTED, S.REFUSED}


def _target(parsed: ParsedReceipt) -> str:
    if parsed.kind == "NE":
        return S.ACCEPTED if parsed.outcome == "EC01" else S.REFUSED
    return {
        "RC": S.DELIVERED,
        "MC": S.NOT_DELIVERED,
        "AT": S.NOT_DELIVERED,
        "NS": S.REJECTED,
        "DT": S.DEADLINE,
    }[parsed.kind]


class DuplicateReceipt(ValidationError):
    """The same file was imported before: nothing changes. `receipt` is the first import."""

    def __init__(self, receipt: SdiReceipt):
        self.receipt = receipt
        super().__init__(
            _("This receipt was already imported on %(when)s (for %(file)s): nothing changed.")
            % {
                "when": formats.date_format(timezone.localtime(receipt.created_at), "DATETIME_FORMAT"),
                "file": receipt.einvoice.filename,
            },
            code="duplicate",
        )


@dataclass(frozen=True)
class MarkSentResult:
    sent: list[EInvoice]
    refused: list[tuple[str, str]]  # (file name or id, why)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _stored_name(filename: str, parsed: ParsedReceipt, digest: str) -> str:
    name = get_valid_filename(filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:150] if filename else ""
    return name or f"{parsed.filename.rsplit('.', 1)[0]}_{parsed.kind}_{digest[:8]}.xml"


@scoped_by("tenant")
def sdi_receipt_import(
    *, tenant, content: bytes, filename: str = "", source: str, einvoice: EInvoice | None = None
) -> SdiReceipt:
    """Read, match and record one receipt, and move its e-invoice's state.

    `einvoice`, when given (the upload on an invoice's page), is the file the receipt must be
    for. Raises ValidationError (DuplicateReceipt for the same file twice) and changes nothing
    when the receipt cannot be read, names no file of this tenant, or contradicts its state."""
    parsed = receipt_parse(content)
    digest = _sha256(content)
    earlier = SdiReceipt.objects.select_related("einvoice").filter(sha256=digest).first()
    if earlier is not None:
        raise DuplicateReceipt(earlier)
    try:
        with transaction.atomic():
            return _record(parsed, content, digest, filename, source, einvoice)
    except IntegrityError:  # the same file imported at the same moment by another request
        earlier = SdiReceipt.objects.select_related("einvoice").filter(sha256=digest).first()
        if earlier is None:
            raise
        raise DuplicateReceipt(earlier) from None


def _record(parsed, content, digest, filename, source, expected) -> SdiReceipt:
    target = (
        EInvoice.objects.select_for_update()
        .filter(filename=parsed.filename, format=EInvoiceFormat.FATTURAPA)
        .order_by("-pk")
        .first()
    )
    if target is None:
        # Another tenant's file reads the same as none at all.
        raise ValidationError(
            _("No e-invoice of yours is named %(file)s: the receipt was not imported.")
            % {"file": parsed.filename},
            code="unknown_file",
        )
    if expected is not None and target.pk != expected.pk:
        raise ValidationError(
            _("This receipt is for %(file)s, not for this invoice's file %(expected)s.")
            % {"file": target.filename, "expected": expected.filename},
            code="other_file",
        )
    if target.sdi_id and target.sdi_id != parsed.sdi_id:
        raise ValidationError(
            _("This receipt is for SdI file %(id)s, but %(file)s is SdI file %(known)s.")
            % {"id": parsed.sdi_id, "file": target.filename, "known": target.sdi_id},
            code="other_sdi_id",
        )
    moves_from, already_past = TRANSITIONS[parsed.kind]
    before = target.state
    if before in moves_from:
        after = _target(parsed)
    elif before in already_past:
        after = before
    else:
        raise ValidationError(
            _("A %(kind)s receipt does not fit %(file)s, which is %(state)s: the receipt was not imported.")
            % {"kind": parsed.kind, "file": target.filename, "state": target.get_state_display().lower()},
            code="contradicts",
        )
    receipt = SdiReceipt(
        tenant_id=target.tenant_id,
        einvoice=target,
        kind=parsed.kind,
        sdi_id=parsed.sdi_id,
        notified_at=parsed.notified_at,
        outcome=parsed.outcome,
        errors=parsed.errors,
        description=parsed.description[:500],
        filename=_stored_name(filename, parsed, digest)[:200],
        sha256=digest,
        source=source,
        state_before=before,
        state_after=after,
    )
    receipt.file.save(receipt.filename, ContentFile(content), save=False)
    receipt.save()
    fields = []
    if not target.sdi_id:
        target.sdi_id = parsed.sdi_id
        fields.append("sdi_id")
    if after != before:
        target.state, target.state_at = after, timezone.now()
        target.errors = parsed.errors if after in (S.REJECTED, S.REFUSED) else []
        fields += ["state", "state_at", "errors"]
    if fields:
        target.save(update_fields=fields)
    return receipt


@scoped_by("tenant")
def einvoices_mark_sent(*, tenant, ids: list[int]) -> MarkSentResult:
    """READY -> SENT for each current FatturaPA file named (the intermediary has it now);
    every other one is listed with the reason, and nothing else changes."""
    sent, refused = [], []
    with transaction.atomic():
        rows = {row.pk: row for row in EInvoice.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        now = timezone.now()
        for pk in dict.fromkeys(ids):
            row = rows.get(pk)
            if row is None:
                refused.append((str(pk), _("No such e-invoice.")))
            elif row.format != EInvoiceFormat.FATTURAPA:
                refused.append((row.filename, _("Only FatturaPA files go through the SdI.")))
            elif row.superseded:
                refused.append((row.filename, _("A newer file replaced it.")))
            elif row.state != S.READY:
                refused.append(
                    (row.filename, _("It is %(state)s already.") % {"state": row.get_state_display().lower()})
                )
            else:
                row.state, row.state_at = S.SENT, now
                row.save(update_fields=["state", "state_at"])
                sent.append(row)
    return MarkSentResult(sent=sent, refused=refused)


def einvoice_current(invoice) -> EInvoice | None:
    return (
        EInvoice.objects.filter(invoice=invoice, format=EInvoiceFormat.FATTURAPA, superseded=False)
        .order_by("-pk")
        .first()
    )


@scoped_by("invoice")
def einvoice_resend(*, invoice) -> EInvoice:
    """A rejected (NS) or refused (NE EC02) file, corrected and sent again: a new FatturaPA
    file with a new progressive, built from the data as it is now, for the same invoice and
    number; the old file is kept, superseded. Refused (ValidationError) for any other file."""
    with transaction.atomic():
        current = (
            EInvoice.objects.select_for_update()
            .filter(invoice=invoice, format=EInvoiceFormat.FATTURAPA, superseded=False)
            .first()
        )
        if current is None:
            raise ValidationError(_("This invoice has no FatturaPA file to send again."), code="no_file")
        if current.state not in RESENDABLE:
            raise ValidationError(
                _("%(file)s is %(state)s: only a rejected or refused file is sent again.")
                % {"file": current.filename, "state": current.get_state_display().lower()},
                code="not_rejected",
            )
        from billing.einvoice.fatturapa import fatturapa_einvoice

        # Built from the data as corrected now: the invoice, its client and the MSP read afresh.
        fresh = Invoice.objects.select_related("client__tenant", "corrects").get(pk=invoice.pk)
        return fatturapa_einvoice(fresh)
