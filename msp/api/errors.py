"""API errors are JSON with a clear message, whatever raised them."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from msp.views.base import protected_summary


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(
                {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
            )
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A refusal not about one field is a bare list in DRF: `detail`, as above, so every
        # 400 is an object (the schema's ValidationError, msp.api.schema).
        exc = exceptions.ValidationError({"detail": exc.detail})
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(
            _("This cannot be deleted while other records depend on it (%(what)s).")
            % {"what": protected_summary(exc)}
        )
    return drf_exception_handler(exc, context)
