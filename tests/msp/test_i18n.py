"""Internationalisation: English and Italian.

The language of a page is the user's own choice, else their organisation's default, else
what the browser asks for (msp.middleware.UserLanguageMiddleware). The Italian catalogue
in locale/it must be complete, free of fuzzy entries, and compiled.
"""

import ast
import datetime as dt
import gettext
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from djmoney.money import Money

from msp.models import Client
from msp.roles import Role
from tests.factories import ClientFactory, ContactFactory, SiteFactory

PO_PATH = Path(settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

IT_BROWSER = "it-IT,it;q=0.9,en;q=0.5"
EN_BROWSER = "en-GB,en;q=0.9"


def _set_language(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def _text(response) -> str:
    return response.content.decode()


# --- which language a page is in -----------------------------------------------------


@pytest.mark.django_db
def test_user_language_it_sees_dashboard_in_italian(owner, owner_client, tenant):
    _set_language(owner.user, "it")
    ClientFactory(tenant=tenant, name="Acme Dental")

    response = owner_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=EN_BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "it"
    html = _text(response)
    assert '<html lang="it"' in html
    assert "Clienti più recenti" in html  # "Newest clients"
    assert "Nuovo cliente" in html  # "New client"
    assert "Accesso effettuato come" in html  # "Signed in as"
    assert "Titolare" in html  # the owner role's label
    assert "Esci" in html  # "Log out"
    assert "Newest clients" not in html
    assert "Log out" not in html


@pytest.mark.django_db
def test_user_language_it_sees_client_list_in_italian(owner, owner_client, tenant):
    _set_language(owner.user, "it")
    ClientFactory(tenant=tenant, name="Acme Dental")

    response = owner_client.get(reverse("clients:list"))

    assert response.status_code == 200
    assert response["Content-Language"] == "it"
    html = _text(response)
    assert "Acme Dental" in html
    assert "<h1>Clienti</h1>" in html
    assert "Cerca clienti" in html
    assert "Email di fatturazione" in html
    assert "Valuta" in html
    assert "1 risultato" in html  # plural form, singular
    assert "Billing email" not in html


@pytest.mark.django_db
def test_plural_forms_in_italian(owner, owner_client, tenant):
    _set_language(owner.user, "it")
    ClientFactory(tenant=tenant, name="Acme Dental")
    ClientFactory(tenant=tenant, name="Bellini Architetti")

    html = _text(owner_client.get(reverse("clients:list")))

    assert "2 risultati" in html
    assert "2 risultato" not in html


@pytest.mark.django_db
def test_user_language_en_sees_english_even_in_an_italian_tenant(owner, owner_client, tenant):
    tenant.language = "it"
    tenant.save(update_fields=["language"])
    _set_language(owner.user, "en")

    response = owner_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=IT_BROWSER)

    assert response["Content-Language"] == "en"
    html = _text(response)
    assert "Newest clients" in html
    assert "Clienti più recenti" not in html


@pytest.mark.django_db
def test_user_without_language_gets_the_tenant_default(owner, owner_client, tenant):
    tenant.language = "it"
    tenant.save(update_fields=["language"])
    assert owner.user.language == ""

    # The organisation's default wins over what the browser asks for.
    response = owner_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=EN_BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "it"
    html = _text(response)
    assert "Clienti più recenti" in html
    assert "Esci" in html


@pytest.mark.django_db
def test_user_without_language_in_an_english_tenant_sees_english(owner, owner_client, tenant):
    assert tenant.language == "en"

    response = owner_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=IT_BROWSER)

    assert response["Content-Language"] == "en"
    assert "Newest clients" in _text(response)


@pytest.mark.django_db
def test_choosing_italian_persists_and_switches_the_ui(owner, owner_client, tenant):
    assert owner.user.language == ""
    html = _text(owner_client.get(reverse("clients:list")))
    assert "Search clients" in html

    response = owner_client.post(
        reverse("account_language"), {"language": "it", "next": reverse("clients:list")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:list")
    owner.user.refresh_from_db()
    assert owner.user.language == "it"

    response = owner_client.get(reverse("clients:list"))
    assert response["Content-Language"] == "it"
    html = _text(response)
    assert "Cerca clienti" in html
    assert "Search clients" not in html


@pytest.mark.django_db
def test_choosing_the_organisation_default_clears_the_user_language(owner, owner_client, tenant):
    _set_language(owner.user, "it")
    tenant.language = "en"
    tenant.save(update_fields=["language"])

    owner_client.post(reverse("account_language"), {"language": ""})

    owner.user.refresh_from_db()
    assert owner.user.language == ""
    assert owner_client.get(reverse("dashboard"))["Content-Language"] == "en"


@pytest.mark.django_db
def test_an_unknown_language_is_not_saved(owner, owner_client):
    _set_language(owner.user, "it")

    owner_client.post(reverse("account_language"), {"language": "xx"})

    owner.user.refresh_from_db()
    assert owner.user.language == "it"


@pytest.mark.django_db
def test_language_choice_is_per_user_not_per_tenant(owner, owner_client, tenant, make_member, client):
    owner_client.post(reverse("account_language"), {"language": "it"})
    tenant.refresh_from_db()
    assert tenant.language == "en"

    technician = make_member(tenant, Role.TECHNICIAN)
    client.force_login(technician.user)
    response = client.get(reverse("dashboard"))
    assert response["Content-Language"] == "en"
    assert "Newest clients" in _text(response)


@pytest.mark.django_db
def test_login_page_follows_the_browser_for_anonymous_users(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=IT_BROWSER)

    assert response.status_code == 200
    assert response["Content-Language"] == "it"
    html = _text(response)
    assert '<html lang="it"' in html
    assert "<h1>Accedi</h1>" in html
    assert "Password dimenticata?" in html
    assert "Crea la tua organizzazione" in html
    assert "Forgotten your password?" not in html


@pytest.mark.django_db
def test_login_page_is_english_for_an_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=EN_BROWSER)

    assert response["Content-Language"] == "en"
    html = _text(response)
    assert "<h1>Log in</h1>" in html
    assert "Forgotten your password?" in html


@pytest.mark.django_db
def test_login_page_without_accept_language_uses_the_site_default(client):
    response = client.get(reverse("login"))

    assert response["Content-Language"] == settings.LANGUAGE_CODE == "en"
    assert "Forgotten your password?" in _text(response)


@pytest.mark.django_db
def test_signup_page_follows_the_browser(client):
    html = _text(client.get(reverse("signup"), HTTP_ACCEPT_LANGUAGE=IT_BROWSER))

    assert "Registra il tuo MSP" in html
    assert "Nome dell&#x27;azienda" in html or "Nome dell'azienda" in html
    assert "Fuso orario" in html


@pytest.mark.django_db
def test_client_detail_labels_and_related_objects_in_italian(owner, owner_client, tenant):
    _set_language(owner.user, "it")
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    SiteFactory(tenant=tenant, client=acme, name="Milano HQ")
    ContactFactory(tenant=tenant, client=acme, name="Giulia Rossi", portal_access=True)

    html = _text(owner_client.get(reverse("clients:detail", args=[acme.pk])))

    assert "Milano HQ" in html and "Giulia Rossi" in html
    assert "Dettagli" in html
    assert "Fuso orario" in html
    assert "Aggiungi sede" in html
    assert "Aggiungi contatto" in html
    assert "Accesso al portale" not in html  # the table column is "Portale"
    assert "Portale" in html
    assert ">sì<" in html


@pytest.mark.django_db
def test_form_labels_from_models_are_translated(owner, owner_client, tenant):
    _set_language(owner.user, "it")

    html = _text(owner_client.get(reverse("clients:create")))

    assert "Aggiungi cliente" in html  # "New %(kind)s" with the model's verbose name
    assert "Email di fatturazione" in html  # the model field's verbose name, capitalised
    assert "Salva" in html and "Annulla" in html


# --- formats: dates, numbers, money --------------------------------------------------


def _client_created_on(tenant, when: dt.datetime) -> Client:
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    Client.unscoped.filter(pk=acme.pk).update(created_at=when)
    return acme


@pytest.mark.django_db
def test_client_since_date_is_formatted_in_italian(owner, owner_client, tenant):
    _set_language(owner.user, "it")
    acme = _client_created_on(tenant, dt.datetime(2025, 3, 15, 12, 0, tzinfo=dt.UTC))

    html = _text(owner_client.get(reverse("clients:detail", args=[acme.pk])))

    assert "Cliente dal" in html
    assert re.search(r"15 marzo 2025", html, re.IGNORECASE), html
    assert "March" not in html


@pytest.mark.django_db
def test_client_since_date_is_formatted_in_english(owner, owner_client, tenant):
    _set_language(owner.user, "en")
    acme = _client_created_on(tenant, dt.datetime(2025, 3, 15, 12, 0, tzinfo=dt.UTC))

    html = _text(owner_client.get(reverse("clients:detail", args=[acme.pk])))

    assert "Client since" in html
    assert "15 Mar 2025" in html  # one style per language (msp/formats)
    assert re.search(r"marzo", html, re.IGNORECASE) is None


@pytest.mark.django_db
def test_dashboard_short_dates_follow_the_language(owner, owner_client, tenant):
    _client_created_on(tenant, dt.datetime(2025, 3, 15, 12, 0, tzinfo=dt.UTC))

    _set_language(owner.user, "it")
    italian = _text(owner_client.get(reverse("dashboard")))
    _set_language(owner.user, "en")
    english = _text(owner_client.get(reverse("dashboard")))

    # The short dates are the long ones: no "03/15/2025" beside "Mar 15, 2025".
    assert "15 marzo 2025" in italian
    assert "15 Mar 2025" in english


def _render_money(amount: Money, language: str) -> str:
    with translation.override(language):
        return Template("{% load djmoney %}{% money_localize m %}").render(Context({"m": amount})).strip()


def test_money_uses_italian_separators():
    amount = Money(Decimal("1234.50"), "EUR")

    italian = _render_money(amount, "it")
    english = _render_money(amount, "en")

    assert "1.234,50" in italian
    assert "€" in italian
    assert "1,234.50" in english
    assert italian != english


def test_numbers_use_italian_separators():
    # Plain numbers stay ungrouped (they are often ids: #1567, id="ticket-row-1567");
    # counts and amounts are grouped where shown, with the language's separators.
    template = Template("{% load humanize %}{{ n }} {{ n|intcomma }} {{ d|intcomma }} {{ d }}")
    context = {"n": 1234567, "d": Decimal("1234.5")}

    with translation.override("it"):
        italian = template.render(Context(context))
    with translation.override("en"):
        english = template.render(Context(context))

    assert italian.split() == ["1234567", "1.234.567", "1.234,5", "1234,5"]
    assert english.split() == ["1234567", "1,234,567", "1,234.5", "1234.5"]


# --- the catalogue ---------------------------------------------------------------------


def _parse_po(path: Path) -> list[dict]:
    """A small .po parser: entries with msgctxt, msgid, msgid_plural, msgstr[n] and flags."""
    entries: list[dict] = []
    entry: dict | None = None
    flags: set[str] = set()
    key: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            key = None
            continue
        if line.startswith("#~"):
            raise AssertionError(f"{path.name}:{number}: obsolete entry left in the catalogue")
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            key = match.group(1)
            context_pending = entry is not None and "msgctxt" in entry and "msgid" not in entry
            if key == "msgctxt" or (key == "msgid" and not context_pending):
                entry = {"flags": flags, "line": number, "msgstr": {}}
                entries.append(entry)
                flags = set()
            value = ast.literal_eval(match.group(3))
            if key.startswith("msgstr"):
                index = int(match.group(2)) if match.group(2) is not None else 0
                entry["msgstr"][index] = value
                key = ("msgstr", index)
            else:
                entry[key] = value
            continue
        if line.startswith('"') and key is not None:
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                entry["msgstr"][key[1]] += value
            else:
                entry[key] += value
            continue
        raise AssertionError(f"{path.name}:{number}: cannot parse {raw!r}")
    return entries


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{\w*\}")


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l it"
    return _parse_po(PO_PATH)


def test_catalogue_header_is_italian(catalogue):
    header = next(e for e in catalogue if e["msgid"] == "" and "msgctxt" not in e)
    meta = header["msgstr"][0]
    assert "Language: it\n" in meta
    assert "Content-Type: text/plain; charset=UTF-8\n" in meta
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in meta
    assert "fuzzy" not in header["flags"]


def test_catalogue_has_entries(catalogue):
    assert len([e for e in catalogue if e["msgid"]]) > 100


def test_every_msgid_is_translated_and_none_is_fuzzy(catalogue):
    problems = []
    for entry in catalogue:
        if entry["msgid"] == "" and "msgctxt" not in entry:
            continue  # the header
        label = f"line {entry['line']}: {entry['msgid']!r}"
        if "fuzzy" in entry["flags"]:
            problems.append(f"{label} is fuzzy")
        expected_forms = [0, 1] if "msgid_plural" in entry else [0]
        if sorted(entry["msgstr"]) != expected_forms:
            problems.append(f"{label} has msgstr forms {sorted(entry['msgstr'])}, expected {expected_forms}")
        for index, text in entry["msgstr"].items():
            if not text.strip():
                problems.append(f"{label} has an empty msgstr[{index}]")
    assert not problems, "\n".join(problems)


def test_translations_keep_their_placeholders(catalogue):
    problems = []
    for entry in catalogue:
        if not entry["msgid"]:
            continue
        for index, text in entry["msgstr"].items():
            source = entry["msgid"] if index == 0 else entry.get("msgid_plural", entry["msgid"])
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                problems.append(f"line {entry['line']}: {source!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_the_po(catalogue):
    """The .mo is committed (a fresh machine may lack gettext): it must be recompiled."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue:
        if not entry["msgid"]:
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for n, index in ((1, 0), (2, 1)):
                if context is None:
                    got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], n)
                else:
                    got = compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                if got != entry["msgstr"][index]:
                    stale.append(entry["msgid"])
        else:
            got = (
                compiled.gettext(entry["msgid"])
                if context is None
                else compiled.pgettext(context, entry["msgid"])
            )
            if got != entry["msgstr"][0]:
                stale.append(entry["msgid"])
    assert not stale, "django.mo is out of date; run compilemessages. Stale: " + ", ".join(map(repr, stale))


def test_django_uses_the_project_catalogue():
    with translation.override("it"):
        assert translation.gettext("Newest clients") == "Clienti più recenti"
        assert translation.ngettext("%(counter)s result", "%(counter)s results", 3) == "%(counter)s risultati"
        assert str(Role.OWNER.label) == "Titolare"
        assert str(Role.TECHNICIAN.label) == "Tecnico"
        assert str(Client._meta.verbose_name) == "cliente"
