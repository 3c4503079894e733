"""The dates people type, as they type them in Switzerland: "24.12.2026" first (what the
admin's calendar writes), then "24/12/2026" and ISO; the same in every language, the time
after it in 24 hours."""

DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    f"{date} {time}" for date in ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d")
    for time in ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f")
]
