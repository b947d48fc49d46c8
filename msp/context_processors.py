from django.utils.functional import cached_property

from msp.navigation import nav_items
from msp.selectors import notification_unread_count


class UnreadNotifications:
    """The header's unread count: one query, run only if a page shows it (staff members)."""

    def __init__(self, membership):
        self.membership = membership

    @cached_property
    def count(self) -> int:
        return notification_unread_count(self.membership)


def tenancy(request):
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "nav_items": nav_items(request),
        "notification_inbox": (
            UnreadNotifications(membership)
            if membership is not None and membership.has_perm("notification.view")
            else None
        ),
    }
