from django import template

from contracts.templatetags.contract_terms import hm

register = template.Library()


register.filter("hm", hm)


@register.simple_tag(takes_context=True)
def running_timer_ticket(context):
    return running_timer_ticket_id(context.get("request"))


def running_timer_ticket_id(request):
    """The ticket id of the current member's running timer (one query per request, cached)."""
    membership = getattr(request, "membership", None)
    if membership is None or membership.is_client:
        return None
    if not hasattr(request, "_timer_ticket_id"):
        from timetracking.models import Timer

        request._timer_ticket_id = (
            Timer.objects.filter(technician=request.user).values_list("ticket_id", flat=True).first()
        )
    return request._timer_ticket_id
