import pytest

from slo.durations import business_duration_format, business_duration_parse


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 min"),
        (30 * 60, "30 min"),
        (4 * 3600, "4 h"),
        (5400, "1 h 30 min"),
        (80 * 3600, "80 h"),
        (3725, "1 h 2 min 5 s"),
        (-1800, "-30 min"),
    ],
)
def test_format(seconds: int, text: str) -> None:
    assert business_duration_format(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30 min", 1800),
        ("4 h", 14400),
        ("4h", 14400),
        ("1 h 30", 5400),
        ("1h30", 5400),
        ("1 h 30 min", 5400),
        ("90 minutes", 5400),
        ("2 heures", 7200),
        ("4:30", 16200),
        ("1 h 2 min 5 s", 3725),
        (" 80 h ", 288000),
    ],
)
def test_parse(text: str, seconds: int) -> None:
    assert business_duration_parse(text) == seconds


@pytest.mark.parametrize("text", ["", "4", "quatre heures", "4 jours", "4 h x", "1:75"])
def test_parse_refuses_ambiguous_or_unreadable(text: str) -> None:
    with pytest.raises(ValueError):
        business_duration_parse(text)


@pytest.mark.parametrize("seconds", [60, 1800, 5400, 14400, 288000, 3725])
def test_round_trip(seconds: int) -> None:
    assert business_duration_parse(business_duration_format(seconds)) == seconds
