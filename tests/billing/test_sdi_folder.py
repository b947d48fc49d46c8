"""The watched folder: files dropped into SDI_RECEIPTS_DIR/<slug>/ are imported by the
command (with a progress bar) or the beat task, then moved to done/ or failed/."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.models import EInvoiceState, SdiReceipt
from billing.tasks import sdi_receipts_dispatch_task
from msp.scoping import scope_of, unscoped
from tests.billing.sdi_files import einvoice_for, receipt_xml
from tests.factories import ClientFactory, issued_invoice

pytestmark = pytest.mark.django_db
S = EInvoiceState


def _drop(tenant, name, content) -> Path:
    folder = Path(settings.SDI_RECEIPTS_DIR) / tenant.slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return folder


def test_the_command_imports_the_folder_and_files_each_by_its_fate(
    tenant, other_tenant, capsys, owner_client
):
    invoice = issued_invoice(ClientFactory(tenant=tenant))
    files = [einvoice_for(issued_invoice(invoice.client), f"{i:05d}", S.SENT) for i in range(1, 31)]
    theirs = einvoice_for(issued_invoice(ClientFactory(tenant=other_tenant)), "00099", S.SENT)
    for i, file in enumerate(files, start=1):
        folder = _drop(tenant, f"IT01234567890_{i:05d}_RC_001.xml", receipt_xml("RC", file.filename, str(i)))
    _drop(tenant, f"IT01234567890_{1:05d}_NE_001.xml", receipt_xml("NE", files[0].filename, "1"))
    _drop(tenant, "copy-of-rc.xml", receipt_xml("RC", files[1].filename, "2"))  # the same file again
    _drop(tenant, "broken.xml", b"<NotificaScarto><ListaErrori>")
    _drop(tenant, "theirs.xml", receipt_xml("RC", theirs.filename, "99"))

    call_command("sdi_receipts_import", tenant="alpha")

    out, err = capsys.readouterr()
    assert "alpha: 31 imported, 1 already imported, 2 refused" in out
    assert "broken.xml: The file is not well-formed XML" in out
    assert f"theirs.xml: No e-invoice of yours is named {theirs.filename}" in out
    assert "alpha [" in err and err.rstrip().endswith("] 34/34")
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == []
    assert len(list((folder / "done").iterdir())) == 32
    assert sorted(p.name for p in (folder / "failed").iterdir()) == [
        "broken.xml", "broken.xml.error.txt", "theirs.xml", "theirs.xml.error.txt",
    ]  # fmt: skip
    assert "not well-formed" in (folder / "failed" / "broken.xml.error.txt").read_text()
    files[0].refresh_from_db()
    assert files[0].state == S.ACCEPTED  # its RC first, then its NE
    with unscoped():
        assert SdiReceipt.unscoped.filter(tenant=tenant).count() == 31
        assert type(theirs).unscoped.get(pk=theirs.pk).state == S.SENT
    page = owner_client.get(reverse("billing:sdi-receipts")).content.decode()
    assert "Refused files in the watched folder" in page and "failed/theirs.xml" in page

    call_command("sdi_receipts_import")  # nothing waiting: nothing happens
    assert "0 receipt(s) imported, 0 refused." in capsys.readouterr().out


def test_the_beat_task_imports_each_tenants_folder_in_its_scope(tenant, other_tenant):
    mine = einvoice_for(issued_invoice(ClientFactory(tenant=tenant)), "00001", S.SENT)
    theirs = einvoice_for(issued_invoice(ClientFactory(tenant=other_tenant)), "00001", S.SENT)
    _drop(tenant, "rc.xml", receipt_xml("RC", mine.filename, "1"))
    _drop(other_tenant, "ns.xml", receipt_xml("NS", theirs.filename, "2"))
    _drop(tenant, "ignored-when-empty.part", b"")  # still being written

    assert sdi_receipts_dispatch_task.delay().get() == 2

    with unscoped():
        assert type(mine).unscoped.get(pk=mine.pk).state == S.DELIVERED
        assert type(theirs).unscoped.get(pk=theirs.pk).state == S.REJECTED
    with scope_of(tenant.pk):
        assert SdiReceipt.objects.get().source == "folder"


def test_an_unknown_tenant_is_refused(tenant):
    with pytest.raises(CommandError, match="No tenant with the slug 'nope'"):
        call_command("sdi_receipts_import", tenant="nope")
