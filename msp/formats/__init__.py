"""One date and time style per language (settings.FORMAT_MODULE_PATH).

English "5 Dec 2026, 16:36", Italian "5 dicembre 2026, 16:36": day without zero-padding,
the month in words, a 24-hour clock, and the same style for the short formats, so a page
never shows "12/05/2026" beside "Dec. 5, 2026". Whatever is not set here falls back to
Django's own format module for the language.

Browsers' date and time inputs send and expect ISO values, so the first input format of
each kind is ISO: widgets without an explicit format render a value the input accepts.
"""
