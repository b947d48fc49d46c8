"""Template filters for contract terms: durations in minutes, shown as hours and minutes."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def minutes(value) -> str:
    """120 -> "2 h", 90 -> "1 h 30 min", 45 -> "45 min"; empty for None."""
    if value in (None, ""):
        return ""
    total = int(value)
    hours, rest = divmod(total, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


@register.filter
def hm(value) -> str:
    """Integer minutes as h:mm (95 -> "1:35", -30 -> "-0:30"); empty for None."""
    if value in (None, ""):
        return ""
    total = int(value)
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 60)
    return f"{sign}{hours}:{rest:02d}"


@register.filter
def rounding_rule(contract) -> str:
    """The contract's rounding rule, as a sentence: how an entry's minutes become billed ones."""
    steps, minimum = contract.rounding_minutes, contract.minimum_minutes
    values = {"steps": steps, "minimum": minimum}
    if steps > 1 and minimum:
        rule = (
            _("Time is rounded up to %(steps)d-minute steps, at least %(minimum)d minutes per entry.")
            % values
        )
    elif steps > 1:
        rule = _("Time is rounded up to %(steps)d-minute steps.") % values
    elif minimum:
        rule = _("Time is rounded up to the minute, at least %(minimum)d minutes per entry.") % values
    else:
        rule = _("Time is rounded up to the minute.")
    return f"{rule} {_('A timer counts seconds and first makes whole minutes of them (36 seconds are 1 minute).')}"
