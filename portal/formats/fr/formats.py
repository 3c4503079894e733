"""French as the Swiss read and type it: Django's display formats, Swiss input formats."""

from portal.formats.input_formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS

__all__ = ["DATETIME_INPUT_FORMATS", "DATE_INPUT_FORMATS"]
