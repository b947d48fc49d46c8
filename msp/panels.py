"""Panels that apps downstream add to an upstream page (the ticket page, the asset page).

A panel function ``fn(request, obj)`` returns ``(template name, context dict)``, already
rendered HTML (a str), or None; the page shows each in registration order.
"""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


def render_panels(panels, request, name: str, obj) -> list[str]:
    """Each registered panel of `obj` rendered (safe HTML); `name` is what templates call it."""
    rendered = []
    for fn in panels:
        panel = fn(request, obj)
        if not panel:
            continue
        if isinstance(panel, str):
            rendered.append(mark_safe(panel))  # noqa: S308 - rendered by a template
        else:
            template_name, context = panel
            rendered.append(render_to_string(template_name, {name: obj, **context}, request=request))
    return rendered
