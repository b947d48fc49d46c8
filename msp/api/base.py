"""Base classes of every API view: they resolve the membership and activate its scope."""

import copy
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, fields, serializers, viewsets
from rest_framework.fields import SkipField
from rest_framework.permissions import SAFE_METHODS
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from msp import actors, scoping
from msp.idempotency import HEADER, Replay, idempotency_claim, idempotency_store, request_fingerprint
from msp.models import ApiToken
from msp.selectors import time_zone_for

# The largest primary key (settings.DEFAULT_AUTO_FIELD is a BigAutoField): an id sent past it
# is refused as invalid rather than handed to the database, which cannot compare it.
MAX_ID = 2**63 - 1


class TenantAPIMixin:
    """Resolve the membership: from the token, else from the browser session (middleware).

    The scope activated here is restored by TenantMiddleware when the request ends.
    """

    # A router's `{id}` is a number: anything else is not found at the URL, before a view
    # hands it to a lookup that cannot compare it (a 500 where the view used Django's
    # get_object_or_404, which does not catch the ValueError as DRF's does).
    lookup_value_regex = "[0-9]+"

    def perform_authentication(self, request):
        super().perform_authentication(request)
        if isinstance(request.auth, ApiToken):
            membership = request.auth.membership
        else:
            membership = getattr(request._request, "membership", None)
        request.membership = membership
        request._request.membership = membership
        scoping.activate(scoping.Scope.for_membership(membership) if membership else None)
        if isinstance(request.auth, ApiToken):  # restored by msp.actors.ActorMiddleware
            actors.activate(
                actors.request_actor(request, membership, channel=actors.Channel.API, via=request.auth.prefix)
            )
        if isinstance(request.auth, ApiToken):  # a session's zone is the middleware's
            zone = time_zone_for(tenant=membership.tenant, user=membership.user)
            timezone.activate(zone) if zone is not None else timezone.deactivate()

    # Idempotency-Key (msp.idempotency): a write sent again with the same key is answered
    # from the first time; the claim is made once the member is known, before the handler.
    _idempotency = None

    def initial(self, request, *args, **kwargs):
        key = None if request.method in SAFE_METHODS else request.headers.get(HEADER)
        if key is not None:  # read the raw body now, before a parser consumes it (not an upload's)
            sent = request_fingerprint(request)
        super().initial(request, *args, **kwargs)
        if key is not None and request.membership is not None:
            self._idempotency = idempotency_claim(
                membership=request.membership, key=key, request_fingerprint=sent
            )

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
    """Refuse fields the resource does not have, instead of silently ignoring them; and a
    text field given anything but text (DRF turns a JSON number into a string), or more
    text than it holds (DRF trims whitespace before it measures). A text field that reads
    its value itself (monitoring's ValueField takes numbers) is left to do so."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
            errors = {}
            for name, field in self.fields.items():
                if (
                    not isinstance(field, serializers.CharField)
                    or type(field).to_internal_value is not serializers.CharField.to_internal_value
                    or field.read_only
                    or name not in data
                ):
                    continue
                value = data[name]
                if value is not None and not isinstance(value, str):
                    errors[name] = [field.error_messages["invalid"]]
                elif value is not None and field.max_length is not None and len(value) > field.max_length:
                    errors[name] = [field.error_messages["max_length"].format(max_length=field.max_length)]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


_FIELD_PROTOTYPES: dict[type, dict] = {}


def _clone_field(field: serializers.Field) -> serializers.Field:
    """A fresh, unbound copy of a prototype field, for one serializer instance.

    DRF deep-copies a field by calling its class again with deep copies of its arguments:
    a ChoiceField of the 600 time zones rebuilds its choice maps (1.5 ms, on every request
    that names a client), a related field copies its queryset. A field with no children
    keeps nothing a request changes, so a shallow copy does, with its own validators list
    and its own copy of a mutable default; a field that holds other fields (a nested
    serializer, a list or dict of a child, a many-related field) is deep-copied as DRF does.
    """
    if (
        isinstance(field, serializers.BaseSerializer)
        or any(hasattr(field, name) for name in ("child", "child_relation", "fields"))
        or type(field).__deepcopy__ is not serializers.Field.__deepcopy__
    ):
        return copy.deepcopy(field)
    clone = copy.copy(field)
    state = clone.__dict__
    if "_validators" in state:
        clone._validators = list(state["_validators"])
    for name in ("default", "initial"):
        if isinstance(state.get(name), (list, dict, set)):
            state[name] = copy.deepcopy(state[name])
    return clone


# How each readable field of a lean serializer reads a row: see LeanModelSerializer._represent.
_VALUE, _PK, _DATETIME, _METHOD, _GENERIC = range(5)


def _model_field(opts, name: str):
    """The model's concrete field called `name`, or None (a property, a reverse relation)."""
    try:
        field = opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete or field.many_to_many or name not in (field.name, field.attname):
        return None
    return field


def _is_iso(output_format) -> bool:
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _same(field, base, *methods: str) -> bool:
    """Whether `field` is a `base` that overrides none of `methods`."""
    cls = type(field)
    return isinstance(field, base) and all(getattr(cls, m) is getattr(base, m) for m in methods)


def _converter(field):
    """DRF's `field.to_representation`, or an exact shortcut for a value of the usual type."""
    rep = field.to_representation
    if _same(field, fields.BigIntegerField, "to_representation"):
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return rep if coerce else int
    if _same(field, fields.IntegerField, "to_representation"):
        return int
    if _same(field, fields.CharField, "to_representation"):
        return str
    if _same(field, fields.BooleanField, "to_representation"):
        return lambda value: value if value is True or value is False else rep(value)
    if _same(field, fields.ChoiceField, "to_representation"):
        # DRF: '' stays '', else the choice whose string is the value's (a plain str is no Enum).
        return lambda value: (
            field.choice_strings_to_values.get(value, value) if type(value) is str else rep(value)
        )
    if _same(field, fields.DateField, "to_representation"):
        if not _is_iso(getattr(field, "format", api_settings.DATE_FORMAT)):
            return rep
        return lambda value: value.isoformat() if type(value) is date else rep(value)
    return rep


def _datetime_converter(field):
    """DRF's ISO 8601 datetime in the active time zone (which the row passes in), or None
    when the field is not the stock DateTimeField doing exactly that."""
    if not (
        settings.USE_TZ
        and _same(field, fields.DateTimeField, "to_representation", "enforce_timezone", "default_timezone")
        and not hasattr(field, "timezone")
        and _is_iso(getattr(field, "format", api_settings.DATETIME_FORMAT))
    ):
        return None
    rep = field.to_representation

    def convert(value, zone):
        if type(value) is not datetime or value.utcoffset() is None:
            return rep(value)  # naive, or not a datetime: DRF's own rules
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return rep(value)  # DRF's error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _read_plan(serializer) -> list[tuple]:
    """(name, how, key, convert) per readable field, in DRF's order."""
    opts = serializer.Meta.model._meta
    plan = []
    for field in serializer._readable_fields:
        step = None
        source = field.source_attrs
        model_field = _model_field(opts, source[0]) if len(source) == 1 else None
        if model_field is not None and not model_field.is_relation:
            if _same(field, fields.Field, "get_attribute"):
                convert = _datetime_converter(field)
                if convert is not None:
                    step = (field.field_name, _DATETIME, model_field.attname, convert)
                else:
                    step = (field.field_name, _VALUE, model_field.attname, _converter(field))
        elif model_field is not None:
            # DRF's pk-only shortcut: a PKOnlyObject of the row's foreign key column.
            if (
                _same(
                    field,
                    PrimaryKeyRelatedField,
                    "get_attribute",
                    "use_pk_only_optimization",
                    "to_representation",
                )
                and field.pk_field is None
                and (model_field.many_to_one or model_field.one_to_one)
            ):
                step = (field.field_name, _PK, model_field.attname, None)
        elif not source and _same(field, fields.SerializerMethodField, "get_attribute", "to_representation"):
            step = (field.field_name, _METHOD, getattr(field.parent, field.method_name), None)
        plan.append(step or (field.field_name, _GENERIC, field, None))
    return plan


# A ModelSerializer whose fields are introspected once per class and whose reads are lean:
# same fields, same output as DRF (tests/msp/test_lean_api.py), less work per request and row.
# (No docstring here or on TenantModelSerializer: drf-spectacular would show it as the
# description of every serializer in the OpenAPI schema.)
class LeanModelSerializer(serializers.ModelSerializer):
    def get_fields(self):
        """DRF's fields, introspected from the model once per class, then copied.

        ModelSerializer reads the model's metadata and builds every field anew for each
        serializer instance (~1.2 ms for 18 fields, on every API request); a copy of the first
        build costs a tenth of that (`_clone_field`). Fields depend on the class and its Meta
        only; a subclass whose fields depend on the request must override this.
        """
        prototypes = _FIELD_PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _FIELD_PROTOTYPES[type(self)] = super().get_fields()
        return {name: _clone_field(field) for name, field in prototypes.items()}

    _lean_plan = None

    def to_representation(self, instance):
        """DRF's `Serializer.to_representation`, with each field's read resolved once.

        DRF walks the fields for every row: a generator over the bound fields, `get_attribute`
        with its callable checks, a PKOnlyObject per foreign key, the active time zone looked
        up per datetime field. Here a model column is read with one getattr and converted as
        the DRF field would (`_converter`), a foreign key is its `_id` column, a method field
        calls its method; any other field (nested, dotted source, custom) goes DRF's way. The
        plan is taken from the fields at the first row; rows of another type go DRF's way.
        """
        plan = self._lean_plan
        if plan is None:
            plan = self._lean_plan = _read_plan(self)
        if not isinstance(instance, self.Meta.model):
            return super().to_representation(instance)
        try:
            return self._represent(instance, plan)
        except ObjectDoesNotExist:  # e.g. a deferred column of a deleted row: DRF says null
            return super().to_representation(instance)

    @staticmethod
    def _represent(instance, plan) -> dict:
        ret = {}
        zone = None
        for name, how, key, convert in plan:
            if how is _VALUE:
                value = getattr(instance, key)
                ret[name] = None if value is None else convert(value)
            elif how is _PK:
                ret[name] = getattr(instance, key)
            elif how is _DATETIME:
                value = getattr(instance, key)
                if value is None:
                    ret[name] = None
                else:
                    if zone is None:
                        zone = timezone.get_current_timezone()
                    ret[name] = convert(value, zone)
            elif how is _METHOD:
                ret[name] = key(instance)
            else:  # DRF's steps, as in Serializer.to_representation
                try:
                    attribute = key.get_attribute(instance)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                ret[name] = None if check_for_none is None else key.to_representation(attribute)
        return ret


# The serializer of a tenant-owned resource: lean reads, unknown fields refused.
class TenantModelSerializer(StrictSerializerMixin, LeanModelSerializer):
    pass


class ModelCleanMixin:
    """The model's own `clean()` run on the row as it would be saved, so that the API and the
    browser's forms refuse and normalise alike (a VAT number checked by its country's rules,
    say): its errors are the fields' 400, its normalised values what is stored."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        instance.clean()  # a Django ValidationError: DRF answers it per field
        for field in self.fields.values():
            # Every plain column, given or not: a PATCH of the country re-checks the number.
            if (
                not field.read_only
                and not isinstance(field, serializers.RelatedField)
                and "." not in field.source
            ):
                attrs[field.source] = getattr(instance, field.source)
        return attrs
