"""Free e-mail providers: anyone can have an address there, so their domain never names a
client (a gmail.com sender is known by its own address, or not at all)."""

FREE_MAIL_DOMAINS = frozenset(
    {
        # international
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com", "hotmail.com",
        "outlook.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com",
        "aim.com", "gmx.com", "gmx.net", "mail.com", "protonmail.com", "proton.me", "pm.me",
        "zoho.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com",
        "fastmail.com", "tutanota.com", "hey.com",
        # Italy
        "libero.it", "virgilio.it", "tiscali.it", "alice.it", "tim.it", "tin.it", "fastwebnet.it",
        "email.it", "inwind.it", "iol.it", "yahoo.it", "hotmail.it", "live.it", "outlook.it",
        "aruba.it", "pec.it", "legalmail.it", "postecert.it", "poste.it", "katamail.com",
        "teletu.it", "vodafone.it", "jumpy.it", "gmx.it",
        # elsewhere in Europe
        "web.de", "gmx.de", "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr",
        "laposte.net", "sfr.fr", "yahoo.fr", "hotmail.fr", "yahoo.de", "hotmail.de", "yahoo.es",
        "hotmail.es", "yahoo.co.uk", "hotmail.co.uk", "btinternet.com", "bluewin.ch", "gmx.ch",
    }
)  # fmt: skip


def is_free_mail(domain: str) -> bool:
    domain = domain.lower().strip(".")
    return domain in FREE_MAIL_DOMAINS
