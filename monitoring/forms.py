"""Forms of monitoring's pages: unknown machines, ingest keys, the tenant's settings."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetKind
from assets.models import Asset
from assets.selectors import asset_choices
from monitoring.adapters.webhook import field_map_problems
from monitoring.models import IngestKey, MonitoringSettings
from msp.forms.base import TenantFormMixin, TenantModelForm
from msp.models import Client


def _clients():
    return Client.objects.order_by("name").only("pk", "name")


class UnknownAssetForm(TenantFormMixin, forms.Form):
    """The unknown machine becomes a new asset of a client."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    kind = forms.ChoiceField(choices=AssetKind.choices, label=_("Kind"))
    name = forms.CharField(max_length=200, label=_("Name"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients()


class UnknownLinkForm(TenantFormMixin, forms.Form):
    """The unknown machine is an asset the MSP already has: pick the client, then the asset.

    The asset list is the chosen client's (at most assets.selectors.ASSET_CHOICES of them,
    narrowed by a search), never the whole inventory."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    # Checked against the client in clean(): the list shown may be a search's narrowing.
    asset = forms.IntegerField(label=_("Asset"), widget=forms.Select)

    def __init__(self, *args, client_id=None, search="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = _clients()
        self.fields["client"].widget = forms.HiddenInput()  # chosen above the form (GET)
        self.fields["asset"].widget.choices = [("", "—"), *asset_choices(client_id=client_id, search=search)]

    def clean(self):
        data = super().clean()
        client, asset_id = data.get("client"), data.get("asset")
        if client is not None and asset_id:
            asset = Asset.objects.filter(client=client, pk=asset_id).first()
            if asset is None:
                self.add_error("asset", _("Pick one of this client's assets."))
            data["asset"] = asset
        return data


class FieldMapField(forms.JSONField):
    """The generic webhook's field mapping, typed as JSON; empty means none."""

    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"})

    def to_python(self, value):
        if isinstance(value, str) and not value.strip():
            return {}
        return super().to_python(value)

    def prepare_value(self, value):
        if value in (None, "", {}):
            return ""
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)

    def validate(self, value):
        super().validate(value)
        if errors := field_map_problems(value):
            raise forms.ValidationError(errors)


class IngestKeyForm(TenantModelForm):
    field_map = FieldMapField(
        label=_("Field mapping"),
        required=False,
        help_text=_(
            "Generic webhook: where each field is in the tool's JSON, as dotted paths, e.g. "
            '{"hostname": "agent.hostname", "check": "alert.name", "severity": "alert.severity"}.'
        ),
    )

    class Meta:
        model = IngestKey
        fields = ["name", "format", "client", "create_assets", "asset_label", "field_map"]


class MonitoringSettingsForm(forms.ModelForm):
    offline_after_minutes = forms.IntegerField(
        label=MonitoringSettings._meta.get_field("offline_after_minutes").verbose_name,
        help_text=MonitoringSettings._meta.get_field("offline_after_minutes").help_text,
        min_value=1,
        max_value=60 * 24 * 30,
    )
    patch_age_days = forms.IntegerField(
        label=MonitoringSettings._meta.get_field("patch_age_days").verbose_name,
        help_text=MonitoringSettings._meta.get_field("patch_age_days").help_text,
        min_value=1,
        max_value=365,
    )

    class Meta:
        model = MonitoringSettings
        fields = ["offline_after_minutes", "patch_age_days"]
