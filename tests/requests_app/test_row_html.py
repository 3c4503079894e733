"""The dates the Python-built rows print (row_html.local_text) are Django's ``date`` filter's
text, in every language and format the rows use, for every month and padding."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation

from requests_app.templatetags.row_html import local_text

MOMENTS = [datetime(2026, 1, 1, 0, 5, tzinfo=ZoneInfo("UTC")) + timedelta(days=31 * n, hours=n)
           for n in range(13)]


@pytest.mark.parametrize("language", ["fr", "de", "en"])
@pytest.mark.parametrize("format_name", ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT",
                                         "SHORT_DATE_FORMAT", "DATE_FORMAT"])
def test_the_same_text_as_djangos_date_filter(language, format_name):
    with translation.override(language):
        for moment in MOMENTS:
            expected = formats.date_format(timezone.localtime(moment), format_name)
            assert local_text(moment, format_name) == expected
            assert local_text(timezone.localtime(moment), format_name, is_local=True) == expected


@pytest.mark.parametrize("pattern", [r"\l\e j F Y \à H\hi", "j F Y {H:i}", r"l j F Y"])
def test_escapes_braces_and_other_characters_as_django_prints_them(pattern, monkeypatch):
    from django.utils import dateformat

    from requests_app.templatetags import row_html

    row_html._date_pattern.cache_clear()
    monkeypatch.setattr(row_html.formats, "get_format", lambda name, *args, **kwargs: pattern)
    try:
        with translation.override("fr"):
            for moment in MOMENTS:
                local = timezone.localtime(moment)
                assert local_text(moment, "DATETIME_FORMAT") == dateformat.format(local, pattern)
    finally:
        row_html._date_pattern.cache_clear()
