"""English as our Swiss and European customers read it: day before month, 24-hour clock; the
dates typed as in Switzerland."""

from portal.formats.input_formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1

__all__ = ["DATETIME_FORMAT", "DATETIME_INPUT_FORMATS", "DATE_FORMAT", "DATE_INPUT_FORMATS",
           "FIRST_DAY_OF_WEEK", "SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT"]
