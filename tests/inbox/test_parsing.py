"""Reading e-mail: charsets, encoded headers, HTML, attachments, quoted history (pure functions)."""

import base64
from email.message import EmailMessage

import pytest

from inbox import parsing


def parse(raw: bytes) -> parsing.ParsedMessage:
    return parsing.parse(raw)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Thanks!\n\nOn Mon, 2 Mar 2026 at 09:00, Support <s@x.example> wrote:\n> old", "Thanks!"),
        ("Thanks!\n\nOn Mon, 2 Mar 2026 at 09:00, Support Team\n<s@x.example> wrote:\n> old", "Thanks!"),
        (
            "Grazie!\n\nIl giorno lun 2 mar 2026 alle ore 09:00 Supporto <s@x.it> ha scritto:\n> vecchio",
            "Grazie!",
        ),
        ("Ok\n\n-----Original Message-----\nFrom: s@x.example\nSent: Monday\n\nold", "Ok"),
        ("Ok\n\n-----Messaggio originale-----\nDa: s@x.it\n\nvecchio", "Ok"),
        (
            "Done.\n\nFrom: Support <s@x.example>\nSent: Monday, March 2, 2026 9:00 AM\nTo: me\nSubject: x\n\nold",
            "Done.",
        ),
        ("Fatto.\n\nDa: Supporto <s@x.it>\nInviato: lunedì 2 marzo 2026 09:00\nA: me\n\nvecchio", "Fatto."),
        ("Yes.\n\n________________________________\nFrom: Support <s@x.example>\nold", "Yes."),
        ("Answer\n> quoted line\n> another", "Answer"),
        ("> question one\nanswer one\n> question two\nanswer two", "answer one\nanswer two"),
        (
            "From: a colleague, the printer fails.\nIt started on Monday.",
            "From: a colleague, the printer fails.\nIt started on Monday.",
        ),
        (
            "-----Original Message-----\nFrom: x\n\nonly a forward",
            "-----Original Message-----\nFrom: x\n\nonly a forward",
        ),
    ],
)
def test_quoted_history_is_trimmed_and_nothing_written_is_lost(text, kept):
    assert parsing.trim_quoted(text) == kept


def test_html_is_turned_into_text_without_tags_scripts_or_styles():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Line &amp; one<br>Line two</p><div>Block</div><ol><li>first</li><li>second</li></ol>"
        '<p><img src="cid:x" alt="logo"> <a href="https://x.example/a?b=1">here</a> <a href="mailto:a@b">mail</a></p>'
        "<pre>  keep\n  spacing</pre><blockquote><p>old</p></blockquote>"
        "&lt;script&gt;not a tag&lt;/script&gt;</body></html>"
    )
    assert parsing.html_to_text(html) == (
        "Line & one\nLine two\n\nBlock\n\n- first\n- second\n\n[logo] here (https://x.example/a?b=1) mail\n\n"
        "  keep\n  spacing\n\n> old\n\n<script>not a tag</script>"
    )


def test_broken_html_never_raises():
    assert "text" in parsing.html_to_text("<p><b>text<<<</div></table>&#xZZZ;<!-- unclosed")


@pytest.mark.parametrize(
    ("charset", "encoding", "cte"),
    [
        ("iso-8859-1", "cp1252", "8bit"),  # declared Latin-1, really Windows-1252 (the € sign)
        ("windows-1252", "cp1252", "quoted-printable"),
        ("utf-8", "utf-8", "base64"),
        ("iso-8859-15", "iso-8859-15", "quoted-printable"),
    ],
)
def test_bodies_in_any_charset_and_transfer_encoding(charset, encoding, cte):
    text = "Però il preventivo è di 50 €."
    data = text.encode(encoding)
    if cte == "base64":
        body = base64.encodebytes(data)
    elif cte == "quoted-printable":
        import quopri

        body = quopri.encodestring(data)
    else:
        body = data
    raw = (
        f"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    ).encode() + body
    assert parse(raw).text == text


def test_an_unknown_or_lying_charset_falls_back_to_utf8_then_windows_1252():
    raw = b"From: a@b.example\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nCaf\xc3\xa9"
    assert parse(raw).text == "Café"
    raw = b"From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCaf\xe9"
    assert parse(raw).text == "Café"


def test_encoded_words_in_subject_sender_and_file_name():
    message = EmailMessage()
    message["From"] = "Zoë Müller <zoe@b.example>"
    message["Subject"] = "Résumé — 日本語"
    message.set_content("see attached")
    message.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="fattura n°1.pdf")
    parsed = parse(message.as_bytes())
    assert (parsed.from_name, parsed.from_address) == ("Zoë Müller", "zoe@b.example")
    assert parsed.subject == "Résumé — 日本語"
    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("fattura n°1.pdf", "application/pdf", b"%PDF-1.4 x")
    ]
    raw = (
        b"From: =?utf-8?q?Bj=C3=B6rn?= <b@x.example>\r\nSubject: =?iso-8859-1?q?=E0_posto?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Type: application/octet-stream;"
        b' name="=?utf-8?B?cmVwb3J0IMOgLnR4dA==?="\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--B--\r\n'
    )
    parsed = parse(raw)
    assert (parsed.from_name, parsed.subject) == ("Björn", "à posto")
    assert [(a.filename, a.content) for a in parsed.attachments] == [("report à.txt", b"hello")]


def test_an_attached_message_is_an_eml_attachment_not_the_body():
    inner = EmailMessage()
    inner["From"] = "x@y.example"
    inner["Subject"] = "Forwarded"
    inner.set_content("inner body")
    outer = EmailMessage()
    outer["From"] = "a@b.example"
    outer.set_content("See the forwarded message.")
    outer.add_attachment(inner)
    parsed = parse(outer.as_bytes())
    assert parsed.text == "See the forwarded message."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("message-1.eml", "message/rfc822")]
    assert b"inner body" in parsed.attachments[0].content


def test_ids_dates_and_tags():
    raw = (
        b"From: a@b.example\r\nMessage-ID:  <Abc.1@X.example> \r\nIn-Reply-To: <p.1@m.example>\r\n"
        b"References: <p.0@m.example>\r\n <p.1@m.example>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\n"
        b"Subject: Re: [#12] and [#7] again\r\n\r\nx"
    )
    parsed = parse(raw)
    assert parsed.message_id == "Abc.1@X.example"
    assert parsed.thread_ids == ["p.1@m.example", "p.0@m.example"]
    assert parsed.ticket_tags == [12, 7]
    assert parsed.sent_at.isoformat() == "2026-03-03T10:00:00+01:00"
    assert parsing.message_key(raw, parsed.message_id) == parsing.id_key("<Abc.1@X.example>")
    bad_date = parse(b"From: a@b.example\r\nDate: someday\r\n\r\nx")
    assert bad_date.sent_at is None and bad_date.message_id == ""


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"no headers at all",
        b"Subject: no sender\r\n\r\nbody",
        b"From: not an address\r\n\r\nbody",
        b"From: <<<@@@>>>\r\n\r\nbody",
    ],
)
def test_messages_without_a_sender_are_malformed(raw):
    with pytest.raises(parsing.Malformed):
        parse(raw)


def test_assembled_messages_read_back_and_are_deterministic():
    fields = {"from_": "Anna <a@b.example>", "subject": "Ciao è", "text": "plain", "html": "<p>html</p>"}
    attachment = parsing.ParsedAttachment("a.pdf", "application/pdf", b"%PDF-1.4")
    one = parsing.assemble(**fields, attachments=[attachment])
    two = parsing.assemble(**fields, attachments=[attachment])
    first, second = parse(one), parse(two)
    assert first.message_id == second.message_id and first.message_id.endswith("@webhook.invalid")
    assert (first.subject, first.text, first.from_address) == ("Ciao è", "plain", "a@b.example")
    assert [a.filename for a in first.attachments] == ["a.pdf"]


@pytest.mark.parametrize(
    ("raw", "subject", "name"),
    [
        (
            b"From: Nicol\xf2 <n@b.example>\r\nSubject: Gi\xe0 fatto\r\n\r\nx",
            "Già fatto",
            "Nicolò",
        ),  # Latin-1
        ("From: Zoë <z@b.example>\r\nSubject: Già – fatto\r\n\r\nx".encode(), "Già – fatto", "Zoë"),  # UTF-8
    ],
)
def test_raw_8_bit_headers_without_rfc2047_are_decoded(raw, subject, name):
    parsed = parse(raw)
    assert (parsed.subject, parsed.from_name) == (subject, name)


def test_nul_characters_and_surrogates_never_reach_the_database():
    parsed = parse(b"From: a@b.example\r\nSubject: a\x00b\r\nMessage-ID: <x\x00y@b>\r\n\r\nbody\x00text\xff")
    for value in (parsed.subject, parsed.message_id, parsed.text):
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogate
    assert parsing.clean("a\udcffb\x00") == "aÿb"
