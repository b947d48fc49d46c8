"""``{% form_token %}``: the hidden one-time token of a create form (see msp.views.once).

A form shown again with its errors keeps the token it was posted with, so the corrected
form still creates once; a form shown afresh gets a new one, unless the visit is Back to a
form already submitted (js/form-token.js puts its token back)."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from msp.views.once import FIELD, form_token_new, form_token_valid

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context) -> str:
    request = context.get("request")
    posted = request.POST.get(FIELD, "") if request is not None and request.method == "POST" else ""
    token = posted if form_token_valid(posted) else form_token_new()
    # The script keeps the token across Back (see it); it runs once however many forms.
    return format_html(
        '<input type="hidden" name="{}" value="{}"><script src="{}" defer></script>',
        FIELD,
        token,
        static("js/form-token.js"),
    )
