"""Pluggable mail senders: SMTP in production, a file outbox or the console in development."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    #: Extra headers, e.g. ``List-Unsubscribe`` (RFC 2369 / RFC 8058).
    headers: tuple[tuple[str, str], ...] = ()


class MailSender:
    def __init__(self, sender: str):
        self.sender = sender

    def build(self, mail: Mail, *, cte: str | None = None) -> EmailMessage:
        """The message; ``cte`` forces the body's transfer encoding (8-bit UTF-8 by default)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain="coworknet.local")
        for name, value in mail.headers:
            message[name] = value
        message.set_content(mail.body, cte=cte)
        for attachment in mail.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            subtype, _, params = subtype.partition(";")
            extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
            message.add_attachment(attachment.data, maintype=maintype, subtype=subtype.strip(),
                                   filename=attachment.filename, params=extra)
        return message

    def send(self, mail: Mail) -> None:
        raise NotImplementedError


class FileMailSender(MailSender):
    """Writes each message as an ``.eml`` file in the instance's outbox folder."""

    def __init__(self, sender: str, folder: Path):
        super().__init__(sender)
        self.folder = folder

    def send(self, mail: Mail) -> None:
        """Write the message to the outbox folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        message = self.build(mail)
        name = message["Message-ID"].strip("<>").replace("@", "_")
        (self.folder / f"{name}.eml").write_bytes(message.as_bytes())
        logger.info("mail written to outbox %s", self.folder)


class ConsoleMailSender(MailSender):
    def send(self, mail: Mail) -> None:
        """Print the message on standard output (development)."""
        print(self.build(mail).as_string(), flush=True)  # noqa: T201


@dataclass
class MemoryMailSender(MailSender):
    """Keeps messages in a list; tests read them."""

    sender: str = "test@localhost"
    outbox: list[Mail] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        """Append the message to ``outbox``."""
        self.outbox.append(mail)


class SmtpMailSender(MailSender):
    def __init__(self, sender: str, host: str, port: int, username: str, password: str, starttls: bool):
        super().__init__(sender)
        self.host, self.port = host, port
        self.username, self.password, self.starttls = username, password, starttls

    def send(self, mail: Mail) -> None:
        """Deliver the message through the configured SMTP relay."""
        with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.ehlo_or_helo_if_needed()
            # An accented body is 8-bit: declared as such to a relay that offers 8BITMIME,
            # quoted-printable for one that does not (RFC 6152).
            if smtp.has_extn("8bitmime"):
                message = self.build(mail)
                # smtplib adds the option itself for non-ASCII addresses (SMTPUTF8).
                international = not (parseaddr(self.sender)[1] + parseaddr(mail.to)[1]).isascii()
                smtp.send_message(message, mail_options=() if international else ("BODY=8BITMIME",))
            else:
                smtp.send_message(self.build(mail, cte="quoted-printable"))


def make_sender(config: dict, instance_path: Path) -> MailSender:
    backend = config["MAIL_BACKEND"]
    sender = config["MAIL_FROM"]
    if backend == "smtp":
        return SmtpMailSender(
            sender,
            config["SMTP_HOST"],
            int(config["SMTP_PORT"]),
            config["SMTP_USERNAME"],
            config["SMTP_PASSWORD"],
            bool(config["SMTP_STARTTLS"]),
        )
    if backend == "console":
        return ConsoleMailSender(sender)
    if backend == "memory":
        return MemoryMailSender(sender)
    return FileMailSender(sender, instance_path / "outbox")
