"""Extension points of the asset page for apps downstream of assets/ (monitoring...).

assets/ never imports them: they register here from their AppConfig.ready().

* ``register_panel(fn)``: ``fn(request, asset)`` returns ``(template name, context dict)``,
  already rendered HTML (a str), or None (nothing to show to this member); the asset page
  shows each panel in registration order, below its details. A panel must keep the page's
  query count constant: a fixed number of queries, whatever the asset's history.
"""

from __future__ import annotations

from collections.abc import Callable

from msp.panels import render_panels

_panels: list[Callable] = []


def register_panel(fn: Callable) -> Callable:
    if fn not in _panels:
        _panels.append(fn)
    return fn


def extra_panels(request, asset) -> list[str]:
    """The registered panels of this asset, rendered (safe HTML), in registration order."""
    return render_panels(_panels, request, "asset", asset)
