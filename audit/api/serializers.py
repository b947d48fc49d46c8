from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from msp.actors import Channel


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("The field's name."))
    label = serializers.CharField(help_text=_("The field's label, in the reader's language."))
    before = serializers.JSONField(allow_null=True, help_text=_("The value before (null on a creation)."))
    after = serializers.JSONField(allow_null=True, help_text=_("The value after (null on a deletion)."))
    before_display = serializers.CharField(help_text=_("The value before, as the pages show it."))
    after_display = serializers.CharField(help_text=_("The value after, as the pages show it."))


class AuditEntrySerializer(serializers.Serializer):
    """One recorded change, built from an audit.display row."""

    id = serializers.IntegerField(source="entry.pk")
    at = serializers.DateTimeField(source="entry.at")
    action = serializers.ChoiceField(source="entry.action", choices=["create", "update", "delete"])
    object_type = serializers.CharField(
        source="entry.object_type", help_text=_('e.g. "timetracking.timeentry".')
    )
    object_id = serializers.IntegerField(source="entry.object_id")
    object = serializers.CharField(source="what", help_text=_('e.g. "Time entry #12".'))
    user = serializers.IntegerField(source="entry.user_id", allow_null=True)
    membership = serializers.IntegerField(source="entry.membership_id", allow_null=True)
    actor = serializers.CharField(
        source="who", help_text=_("The person's name as it was then, or the channel.")
    )
    channel = serializers.ChoiceField(source="entry.channel", choices=Channel.choices)
    via = serializers.CharField(
        source="entry.via", help_text=_("The task's or command's name, the token's prefix.")
    )
    ip = serializers.IPAddressField(source="entry.ip", allow_null=True)
    changes = serializers.SerializerMethodField()

    def get_changes(self, row) -> ChangeSerializer(many=True):
        raw = row.entry.changes
        return [
            {
                "field": change.field,
                "label": change.label,
                "before": raw[change.field][0],
                "after": raw[change.field][1],
                "before_display": change.before,
                "after_display": change.after,
            }
            for change in row.changes
        ]
