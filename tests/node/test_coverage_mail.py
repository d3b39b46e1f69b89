"""Mail senders: SMTP against a small SMTP responder on loopback, and the file outbox."""

from __future__ import annotations

import base64
import email
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy

import pytest

from node.mail import FileMailSender, Mail, SmtpMailSender, make_sender

SENDER = "La Ruche du Panier – Accueil <accueil@ruche.example>"
SUBJECT = "Votre inscription à l’atelier « Écrire sans peur » est confirmée"
BODY = "Bonjour Zoé,\n\nÀ très bientôt à la Ruche, café et crêpes compris.\n"


@dataclass
class Received:
    """What the responder saw: one entry per message, plus the whole dialogue."""

    messages: list[dict] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


class SmtpResponder(socketserver.ThreadingTCPServer):
    """A minimal SMTP server (RFC 5321 happy path, AUTH PLAIN) that records what it receives."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, eight_bit: bool):
        self.eight_bit = eight_bit
        self.received = Received()
        super().__init__(("127.0.0.1", 0), _SmtpHandler)


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpResponder

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        received = self.server.received
        envelope: dict = {}
        self.reply("220 loopback ESMTP test responder")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("ascii").rstrip("\r\n")
            received.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                extensions = ["250-loopback", "250-AUTH PLAIN"] + (["250-8BITMIME"] if self.server.eight_bit else [])
                for extension in extensions:
                    self.reply(extension)
                self.reply("250 SIZE 1000000")
            elif verb == "AUTH":
                _mechanism, credentials = line.split(" ", 2)[1:]
                envelope["auth"] = base64.b64decode(credentials).split(b"\0")[1:]
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                envelope["mail_from"] = line[len("MAIL FROM:"):]
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope.setdefault("rcpt_to", []).append(line[len("RCPT TO:"):])
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                envelope["data"] = b"".join(lines)
                received.messages.append(envelope)
                envelope = {"auth": envelope.get("auth")}
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 Command not implemented")


@pytest.fixture(params=[True, False], ids=["8bitmime", "7bit-only"])
def smtp_server(request) -> Iterator[SmtpResponder]:
    server = SmtpResponder(eight_bit=request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_smtp_delivers_a_french_message_with_correct_headers(smtp_server):
    port = smtp_server.server_address[1]
    sender = SmtpMailSender(SENDER, "127.0.0.1", port, "ruche", "mot-de-passe", starttls=False)
    sender.send(Mail(to="zoe@example.org", subject=SUBJECT, body=BODY))

    [envelope] = smtp_server.received.messages
    assert envelope["auth"] == [b"ruche", b"mot-de-passe"]
    assert envelope["mail_from"].startswith("<accueil@ruche.example>")
    assert envelope["rcpt_to"] == ["<zoe@example.org>"]
    raw = envelope["data"]
    if not smtp_server.eight_bit:
        # A relay that did not offer 8BITMIME must only receive 7-bit data.
        assert all(byte < 128 for byte in raw)
    elif any(byte >= 128 for byte in raw):
        assert "BODY=8BITMIME" in envelope["mail_from"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "La Ruche du Panier – Accueil"
    assert message["From"].addresses[0].addr_spec == "accueil@ruche.example"
    assert message["To"] == "zoe@example.org"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == BODY  # SMTP lines end in CRLF


def test_smtp_with_starttls_refuses_a_relay_without_it(smtp_server):
    """Credentials never travel in clear when STARTTLS is asked for and not offered."""
    port = smtp_server.server_address[1]
    sender = SmtpMailSender(SENDER, "127.0.0.1", port, "ruche", "mot-de-passe", starttls=True)
    with pytest.raises(Exception, match="STARTTLS"):
        sender.send(Mail(to="zoe@example.org", subject=SUBJECT, body=BODY))
    assert smtp_server.received.messages == []
    assert not any(command.upper().startswith("AUTH") for command in smtp_server.received.commands)


def test_the_settings_choose_the_smtp_sender(smtp_server, tmp_path):
    config = {"MAIL_BACKEND": "smtp", "MAIL_FROM": SENDER, "SMTP_HOST": "127.0.0.1",
              "SMTP_PORT": str(smtp_server.server_address[1]), "SMTP_USERNAME": "",
              "SMTP_PASSWORD": "", "SMTP_STARTTLS": False}
    sender = make_sender(config, tmp_path)
    assert isinstance(sender, SmtpMailSender)
    sender.send(Mail(to="zoe@example.org", subject="Bienvenue", body="Salut !\n"))
    [envelope] = smtp_server.received.messages
    assert "auth" not in envelope or envelope["auth"] is None  # no username: no AUTH
    assert email.message_from_bytes(envelope["data"], policy=policy.default)["Subject"] == "Bienvenue"


def test_the_file_outbox_writes_a_readable_message(tmp_path):
    config = {"MAIL_BACKEND": "file", "MAIL_FROM": SENDER}
    sender = make_sender(config, tmp_path)
    assert isinstance(sender, FileMailSender)
    sender.send(Mail(to="zoe@example.org", subject=SUBJECT, body=BODY))
    sender.send(Mail(to="hugo@example.org", subject="Deuxième message", body="Re-bonjour\n"))

    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    messages = {}
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        messages[message["To"]] = message
    first = messages["zoe@example.org"]
    assert first["Subject"] == SUBJECT
    assert first["From"].addresses[0].display_name == "La Ruche du Panier – Accueil"
    assert first.get_content() == BODY
    assert messages["hugo@example.org"]["Subject"] == "Deuxième message"
