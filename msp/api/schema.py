"""The OpenAPI schema's error answers, declared once for every operation.

drf-spectacular documents the success answer a view declares; the errors come from DRF and
from msp.api.errors, the same for every view, so they are added here from what the view is
(authenticated or not, which permission, a path id, a paginated list, a write) rather than
repeated in each view's `extend_schema`. A status a view declares itself (an offer's 409) is
kept as it declares it; a 400 it declares (the asset import's report) may also be DRF's.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions

from msp.api.base import TenantAPIMixin

# msp.api.errors: every refusal is {"detail": "<message>"}.
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, for a person."}},
    "required": ["detail"],
}
# DRF's validation errors: each field that was refused (or `detail` / `non_field_errors` for
# the request as a whole) with its messages; a nested field's errors nest the same way.
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "The fields that were refused, each with its messages (a list of strings; an object "
        "or a list of objects for a nested field); `detail` or `non_field_errors` for the "
        "request as a whole."
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {}},
            {"type": "object", "additionalProperties": {}},
            {"type": "string"},
        ]
    },
}
COMPONENTS = {"Error": ERROR, "ValidationError": VALIDATION_ERROR}
BODY = frozenset({"POST", "PUT", "PATCH"})
UNSAFE = BODY | {"DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, (description, name) in self._errors().items():
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=COMPONENTS[name]
            )
            self.registry.register_on_missing(component)
            declared = responses.get(str(code))
            if declared is None:
                responses[str(code)] = {
                    "description": str(description),
                    "content": {"application/json": {"schema": component.ref}},
                }
            elif code == 400:
                # A view's own 400 (the asset import's report) is one answer; a body or a
                # parameter refused before the view runs is still DRF's validation error.
                for content in declared.get("content", {}).values():
                    if content.get("schema") not in (None, component.ref):
                        content["schema"] = {"oneOf": [content["schema"], component.ref]}
        return responses

    def _errors(self) -> dict[int, tuple[str, str]]:
        view, method = self.view, self.method
        errors = {
            # Malformed or refused input: the body, the query parameters, a filter's value.
            400: (_("The request was refused: its errors, by field."), "ValidationError"),
        }
        permission_classes = [p.__class__ for p in view.get_permissions()]
        if view.get_authenticators() and permissions.AllowAny not in permission_classes:
            errors[401] = (_("No credentials, or invalid or revoked ones."), "Error")
            errors[403] = (_("These credentials may not do this."), "Error")
        if "{" in self.path or (method == "GET" and self._is_list_view() and self._get_paginator()):
            # An object of another tenant answers exactly as one that does not exist; a
            # list's page past the last one is not found either.
            errors[404] = (_("Not found."), "Error")
        if method in UNSAFE and isinstance(view, TenantAPIMixin):
            # A delete that other records forbid (msp.api.errors), or an Idempotency-Key
            # already used for another request or still being processed (msp.idempotency).
            errors[409] = (_("In conflict with the current state, or with another request."), "Error")
        if method in BODY:
            errors[415] = (_("A body in a media type this operation does not read."), "Error")
        if view.get_throttles() or 429 in getattr(view, "error_statuses", ()):
            # DRF's throttles, or a view's own (the token's failed-login cool-down).
            errors[429] = (_("Too many requests: wait and try again."), "Error")
        return errors
