"""What issuing a document does for e-invoicing, inside the issue's transaction.

Between two Italian parties the document is a FatturaPA file (billing.einvoice.fatturapa),
built and checked against the official schema before the issue commits: if the data is
incomplete or the schema refuses the file, `invoice_issue` raises that ValidationError and the
invoice stays a draft, its number not taken. For every other client it is an EN 16931 UBL file
when the parties have what the standard needs (billing.einvoice.ubl; none otherwise, and the
invoice is still issued). Either way the PDF as issued is archived once the issue commits
(billing.einvoice.archive).
"""

from __future__ import annotations

# Modules, not names: billing.services imports this module, and these import billing.services.
from billing.einvoice import archive, fatturapa, ubl
from billing.models import EInvoice, Invoice


def einvoices_on_issue(invoice: Invoice) -> EInvoice | None:
    """The issued document's e-invoice (None when it gets none); raises ValidationError."""
    if fatturapa.fatturapa_applies(invoice):
        einvoice = fatturapa.fatturapa_einvoice(invoice)
    else:
        einvoice = ubl.ubl_einvoice(invoice)
    archive.archive_on_commit(invoice)
    return einvoice
