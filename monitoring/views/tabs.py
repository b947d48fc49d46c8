"""The tabs every monitoring page shows (the ingest keys' only to those who manage them)."""


class TabsMixin:
    tab = ""

    def get_context_data(self, **kwargs):
        kwargs.setdefault("tab", self.tab)
        kwargs.setdefault("perms_keys", self.request.membership.has_perm("ingestkey.view"))
        return super().get_context_data(**kwargs)
