from msp.navigation import nav_items


def tenancy(request):
    return {
        "current_membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
        "nav_items": nav_items(request),
    }
