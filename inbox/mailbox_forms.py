"""The support mailbox's settings form (owners and admins)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.imap import ImapSettings
from inbox.models import Mailbox
from msp.forms.base import TenantModelForm
from msp.secrets import reveal


class MailboxForm(TenantModelForm):
    """The IMAP password is write-only: never shown back; left empty on edit, the stored one
    is kept."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "password",
            "imap_folder",
            "imap_mark_seen",
        ]
        help_texts = {
            "imap_host": _("Leave empty for a mailbox fed only by its provider's webhook."),
            "imap_folder": _("The folder to read, usually INBOX. Nothing is deleted from it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.imap_password:
            self.fields["password"].help_text = _("A password is stored. Leave empty to keep it.")
        self.fields["imap_port"].widget.attrs.update(min=1, max=65535)

    def _post_clean(self):
        """The service validates (inbox.services.mailbox_create / mailbox_update), with the
        password it is given: not the model's own full_clean here."""

    def settings(self) -> dict:
        """The cleaned fields as the services take them."""
        data = dict(self.cleaned_data)
        data["password"] = data.get("password") or ""
        return data

    def imap_settings(self) -> ImapSettings | None:
        """What was typed, to try before saving: None when the form is not usable yet. An empty
        password on an edit means the stored one."""
        data = self.cleaned_data
        if not data.get("imap_host"):
            return None
        password = data.get("password") or (
            reveal(self.instance.imap_password) or "" if self.instance.pk else ""
        )
        return ImapSettings(
            host=data["imap_host"],
            port=data.get("imap_port") or 993,
            security=data.get("imap_security") or "ssl",
            username=data.get("imap_username") or "",
            password=password,
            folder=data.get("imap_folder") or "INBOX",
        )
