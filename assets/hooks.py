"""Extension points of the asset page for apps downstream of assets/ (monitoring...).

assets/ never imports them: they register here from their AppConfig.ready().

* ``register_panel(fn)``: ``fn(request, asset)`` returns ``(template name, context dict)``,
  already rendered HTML (a str), or None (nothing to show to this member); the asset page
  shows each panel in registration order, below its details. A panel must keep the page's
  query count constant: a fixed number of queries, whatever the asset's history.
"""

from __future__ import annotations

from collections.abc import Callable

_panels: list[Callable] = []


def register_panel(fn: Callable) -> Callable:
    if fn not in _panels:
        _panels.append(fn)
    return fn


def extra_panels(request, asset) -> list[str]:
    """The registered panels of this asset, rendered (safe HTML), in registration order."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    panels = []
    for fn in _panels:
        panel = fn(request, asset)
        if not panel:
            continue
        if isinstance(panel, str):
            panels.append(mark_safe(panel))  # noqa: S308 - rendered by a template
        else:
            template_name, context = panel
            panels.append(render_to_string(template_name, {"asset": asset, **context}, request=request))
    return panels
