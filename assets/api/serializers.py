from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from assets.models import Asset
from assets.selectors import asset_serial_taken
from msp.api.base import TenantModelSerializer


class AssetSerializer(TenantModelSerializer):
    class Meta:
        model = Asset
        fields = [
            "id",
            "client",
            "kind",
            "name",
            "hostname",
            "serial",
            "warranty_expires",
            "monitored",
            "last_seen",
            "site",
            "manufacturer",
            "model",
            "operating_system",
            "purchase_date",
            "patch_status",
            "missing_patches",
            "last_patched",
            "assigned_contact",
            "notes",
        ]
        read_only_fields = ["last_seen", "last_patched"]

    def validate_serial(self, serial):
        serial = serial.strip()
        if asset_serial_taken(serial=serial, exclude_pk=getattr(self.instance, "pk", None)):
            raise serializers.ValidationError(_("Another asset already has this serial number."))
        return serial

    def validate(self, attrs):
        """The model's cross-field rules (site and contact of the client, dates in order)."""
        probe = Asset()
        for field in ("client", "site", "assigned_contact", "purchase_date", "warranty_expires"):
            value = attrs[field] if field in attrs else getattr(self.instance, field, None)
            setattr(probe, field, value)
        try:
            probe.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs


class AssetImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("The row's line in the file (the header is line 1)."))
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    name = serializers.CharField()
    asset = serializers.IntegerField(allow_null=True)
    changes = serializers.ListField(child=serializers.CharField())
    errors = serializers.ListField(child=serializers.CharField())


class AssetImportReportSerializer(serializers.Serializer):
    """The answer of an import: counts by outcome and each row's fate."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rows = AssetImportRowSerializer(many=True)


class AssetImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A UTF-8 CSV file whose first line names the columns."))
