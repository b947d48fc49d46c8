"""Italian fiscal identities for tests: an MSP and clients FatturaPA can be sent between.

The fields are set directly (the forms that edit them are another part of issue 19); the
numbers are valid (python-stdnum's checksums), as the forms would leave them."""

from __future__ import annotations

SELLER_VAT = "IT01234560017"
BUYER_VAT = "IT07654320154"
PERSON_CODE = "RSSMRA85T10A562S"
IBAN = "IT60X0542811101000000123456"


def italian_seller(tenant, **fields):
    values = {
        "legal_name": "Alpha MSP S.r.l.",
        "vat_number": SELLER_VAT,
        "fiscal_code": SELLER_VAT[2:],
        "street": "Via Roma 1",
        "postcode": "20121",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
        "iban": IBAN,
        "tax_regime": "RF01",
        **fields,
    }
    for name, value in values.items():
        setattr(tenant, name, value)
    tenant.save()
    return tenant


def italian_buyer(client, **fields):
    values = {
        "legal_name": f"{client.name} S.p.A.",
        "vat_number": BUYER_VAT,
        "street": "Corso Italia 10",
        "postcode": "00184",
        "city": "Roma",
        "province": "RM",
        "country": "IT",
        "sdi_code": "ABC1234",
        **fields,
    }
    for name, value in values.items():
        setattr(client, name, value)
    client.save()
    return client
