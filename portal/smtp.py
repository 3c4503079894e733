"""Django's SMTP backend with a second, longer timeout for the end of DATA.

Why: a mail server may take long to answer the end of DATA (it filters the message, writes it
to disk, hands it on) and RFC 5321 (4.5.3.2) asks clients to wait up to 10 minutes there. A
client that gives up sooner cannot tell whether the message was accepted; the outbox must then
retry, and a server that had stored it gets it again on every retry. Every other exchange
(connecting, the greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT) keeps the short
``EMAIL_TIMEOUT``: giving up there costs a retry, never a duplicate, since no message has been
handed over yet.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail.backends import smtp

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class SMTP(smtplib.SMTP):
    """Within ``data()``, once the body and its final ``.`` are sent, the reply is awaited for
    ``data_timeout``; the go-ahead before it and everything after keep the connection's own
    timeout."""

    _in_data = False

    def __init__(self, *args: Any, data_timeout: float | None = None, **kwargs: Any) -> None:
        self.data_timeout = data_timeout
        super().__init__(*args, **kwargs)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False
            if self.sock is not None:
                self.sock.settimeout(self.timeout)

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        # smtplib's data() ends the body with CRLF "." CRLF, sent in the same call.
        ends_body = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")
        if (self._in_data and ends_body and self.sock is not None
                and self.data_timeout is not None):
            self.sock.settimeout(self.data_timeout)


class SMTP_SSL(SMTP, smtplib.SMTP_SSL):  # noqa: N801 - smtplib's name
    pass


class EmailBackend(smtp.EmailBackend):
    """``EMAIL_TIMEOUT`` for every exchange but the end of DATA, ``EMAIL_DATA_TIMEOUT`` for
    that one."""

    def __init__(self, *args: Any, data_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data_timeout = (getattr(settings, "EMAIL_DATA_TIMEOUT", None)
                             if data_timeout is None else data_timeout)

    @property
    def connection_class(self) -> Callable[..., smtplib.SMTP]:
        cls = SMTP_SSL if self.use_ssl else SMTP
        data_timeout = self.data_timeout

        def connect(*args: Any, **kwargs: Any) -> smtplib.SMTP:
            return cls(*args, data_timeout=data_timeout, **kwargs)

        return connect
