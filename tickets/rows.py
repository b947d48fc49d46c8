"""The queue's rows: read as plain values, rendered once, cached by every value they show.

A technician reloads the queue all day and most of its fifty rows have not changed since the
last look. So the queue reads only the values a row shows (named tuples, no model instances),
builds each row's cache key from them, fetches the whole page's rows from the fragment cache
in one call, and renders through ``tickets/_row.html`` only the rows that are missing, from
full tickets read in one more query. A key holds every shown value, so a cached row is never
stale: a changed ticket gets a new key and the old entry expires unread.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.template import RequestContext
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from tickets import hooks
from tickets.models import Ticket

# Every value tickets/_row.html shows, in one row of the queue query.
ROW_FIELDS = (
    "pk",
    "subject",
    "priority",
    "status",
    "sla_state",
    "sla_breach_at",
    "client__name",
    "asset__name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",  # shown by name (msp.people.display_name)
    "assignee__last_name",
)
ROW_SECONDS = 600


def queue_rows(queryset) -> list:
    """The rows of a ticket queryset as named tuples of ``ROW_FIELDS`` (``row.pk`` ...)."""
    return list(queryset.values_list(*ROW_FIELDS, named=True))


def row_context(request, rows) -> dict:
    """What tickets/_row.html needs besides the ticket (the row actions and their context)."""
    return {
        "row_actions": hooks.row_actions(),
        "can_reply": request.membership.has_perm("ticket.reply"),
        **hooks.queue_context(request, rows),
    }


def _key(row, shared: str) -> str:
    digest = hashlib.md5(f"{tuple(row)!r}{shared}".encode(), usedforsecurity=False).hexdigest()
    return f"queue-row:{digest}"


def render_rows(request, rows) -> list[SafeString]:
    """The HTML of each row, in order: from the cache, or rendered and cached."""
    context = row_context(request, rows)
    # What every row also depends on: the member, the row actions, the language and zone.
    shared = repr(
        (
            request.user.pk,
            context["can_reply"],
            context["row_vary"],
            translation.get_language(),
            timezone.get_current_timezone_name(),
        )
    )
    keys = [_key(row, shared) for row in rows]
    cache = caches["fragments"]
    html = cache.get_many(keys)
    missing = [row.pk for row, key in zip(rows, keys, strict=True) if key not in html]
    if missing:
        tickets = Ticket.objects.select_related("client", "asset", "assignee").in_bulk(missing)
        template = get_template("tickets/_row.html").template
        fresh = {}
        page = RequestContext(request, context)
        with page.bind_template(template):  # the context processors run once, not per row
            for row, key in zip(rows, keys, strict=True):
                if key not in html:
                    with page.push(ticket=tickets[row.pk]):
                        fresh[key] = template.render(page)
        cache.set_many(fresh, ROW_SECONDS)
        html.update(fresh)
    return [mark_safe(html[key]) for key in keys]  # noqa: S308 - rendered by the template
