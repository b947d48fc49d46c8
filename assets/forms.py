from django import forms
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from assets.models import Asset
from assets.selectors import asset_serial_taken
from assets.services import IMPORT_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, asset_import_decode
from msp.forms.base import TenantModelForm
from msp.models import Contact, Site


class ClientLabelledChoiceField(forms.ModelChoiceField):
    """A site or contact, labelled with its client when several clients' rows are offered."""

    def label_from_instance(self, obj):
        return f"{obj.client} · {obj}"


class AssetForm(TenantModelForm):
    class Meta:
        model = Asset
        fields = [
            "client",
            "kind",
            "name",
            "hostname",
            "serial",
            "manufacturer",
            "model",
            "operating_system",
            "site",
            "assigned_contact",
            "purchase_date",
            "warranty_expires",
            "monitored",
            "patch_status",
            "missing_patches",
            "notes",
        ]
        field_classes = {"site": ClientLabelledChoiceField, "assigned_contact": ClientLabelledChoiceField}
        widgets = {
            "purchase_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "warranty_expires": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = self.fields["client"].queryset.order_by("name")
        # Offer the chosen client's sites and people; a bound form accepts any of the
        # tenant's, so that picking another client's is refused with a clear message.
        client_id = None if self.is_bound else (self.instance.client_id or self.initial.get("client"))
        sites = Site.objects.select_related("client").order_by("client__name", "name")
        contacts = Contact.objects.select_related("client").order_by("client__name", "name")
        if client_id:
            sites, contacts = sites.filter(client_id=client_id), contacts.filter(client_id=client_id)
        self.fields["site"].queryset = sites
        self.fields["assigned_contact"].queryset = contacts

    def clean_serial(self):
        serial = self.cleaned_data["serial"].strip()
        if asset_serial_taken(serial=serial, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Another asset already has this serial number."), code="duplicate")
        return serial


class AssetImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _g(
            "UTF-8, at most %(size)d MB and %(rows)s rows; the first line names the columns: %(columns)s."
        ) % {
            "size": MAX_IMPORT_BYTES // (1024 * 1024),
            "rows": f"{MAX_IMPORT_ROWS:,}",
            "columns": ", ".join(IMPORT_COLUMNS),
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return asset_import_decode(data=upload.read())
