"""Base classes of every API view: they resolve the membership and activate its scope."""

import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.views import APIView

from msp import scoping
from msp.idempotency import HEADER, Replay, fingerprint, idempotency_claim, idempotency_store
from msp.models import ApiToken


class TenantAPIMixin:
    """Resolve the membership: from the token, else from the browser session (middleware).

    The scope activated here is restored by TenantMiddleware when the request ends.
    """

    def perform_authentication(self, request):
        super().perform_authentication(request)
        if isinstance(request.auth, ApiToken):
            membership = request.auth.membership
        else:
            membership = getattr(request._request, "membership", None)
        request.membership = membership
        request._request.membership = membership
        scoping.activate(scoping.Scope.for_membership(membership) if membership else None)

    # Idempotency-Key (msp.idempotency): a write sent again with the same key is answered
    # from the first time; the claim is made once the member is known, before the handler.
    _idempotency = None

    def initial(self, request, *args, **kwargs):
        key = None if request.method in SAFE_METHODS else request.headers.get(HEADER)
        if key is not None:  # read the raw body now, before a parser consumes it
            sent = fingerprint(request.method, request.get_full_path(), request._request.body)
        super().initial(request, *args, **kwargs)
        if key is not None and request.membership is not None:
            self._idempotency = idempotency_claim(membership=request.membership, key=key, request_fingerprint=sent)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response()
        return super().handle_exception(exc)

    def raise_uncaught_exception(self, exc):
        if self._idempotency is not None:  # a crash: the retry must be able to run
            self._idempotency.delete()
            self._idempotency = None
        super().raise_uncaught_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency is not None:
            record, self._idempotency = self._idempotency, None
            idempotency_store(record, response)
        return response


class TenantAPIView(TenantAPIMixin, APIView):
    pass


class TenantModelViewSet(TenantAPIMixin, viewsets.ModelViewSet):
    """CRUD over one tenant-owned model. Set `model`, `permission_resource`, `serializer_class`."""

    model = None
    permission_resource: str | None = None

    def get_queryset(self):
        return self.model.objects.all()

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.membership.tenant)


class StrictSerializerMixin:
    """Refuse fields the resource does not have, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


_FIELD_PROTOTYPES: dict[type, dict] = {}


class TenantModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    def get_fields(self):
        """DRF's fields, introspected from the model once per class, then copied.

        ModelSerializer reads the model's metadata and builds every field anew for each
        serializer instance (~1.2 ms for 18 fields, on every API request); a deep copy of the
        first build is what DRF itself does with declared fields (~0.4 ms). Fields depend on
        the class and its Meta only; a subclass whose fields depend on the request must
        override this.
        """
        prototypes = _FIELD_PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _FIELD_PROTOTYPES[type(self)] = super().get_fields()
        return copy.deepcopy(prototypes)
