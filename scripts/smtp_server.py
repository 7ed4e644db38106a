#!/usr/bin/python3
"""SMTP capture and fault-injection server for Mailwright's tests (aiosmtpd, Debian's python3).

Every accepted message is saved as DIR/NNNNNN.eml (the bytes received), then DIR/NNNNNN.json
with the envelope; the .json appearing means the message is complete.

Faults by the recipient's local part:
  tempfail...@  451 at RCPT the first 2 times that address is seen, then accepted
  permfail...@  550 at RCPT
  fullbox...@   552 5.2.2 at RCPT (mailbox full: a soft bounce)
  policyfail...@ 554 5.7.1 at RCPT (refused by policy: permanent, but not the address's fault)
  drop...@      the connection is closed after DATA, without an answer
  hang...@      no answer after DATA for an hour (other connections go on)
  late...@      the message is saved, and its 250 comes 3 s later
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--port-file")
parser.add_argument("--auth", help="USER:PASS required before MAIL")
parser.add_argument("--tls-cert")
parser.add_argument("--tls-key")
parser.add_argument("--require-tls", action="store_true", help="refuse MAIL before STARTTLS")
parser.add_argument("--count-only", action="store_true",
                    help="keep no messages: append each recipient of each message to DIR/received.log")
args = parser.parse_args()
os.makedirs(args.dir, exist_ok=True)

counter = [len([f for f in os.listdir(args.dir) if f.endswith(".eml")])]
seen = {}
received = open(os.path.join(args.dir, "received.log"), "a") if args.count_only else None


def local(addr):
    return addr.split("@", 1)[0].lower()


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        name = local(address)
        if name.startswith("permfail"):
            return "550 5.1.1 mailbox unavailable"
        if name.startswith("fullbox"):
            return "552 5.2.2 mailbox full"
        if name.startswith("policyfail"):
            return "554 5.7.1 message refused by policy"
        if name.startswith("tempfail"):
            seen[address] = seen.get(address, 0) + 1
            if seen[address] <= 2:
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        names = [local(r) for r in envelope.rcpt_tos]
        if any(n.startswith("drop") for n in names):
            server.transport.close()
            return "421 closing"
        if any(n.startswith("hang") for n in names):
            await asyncio.sleep(3600)
        counter[0] += 1
        if args.count_only:
            received.write("".join(r + "\n" for r in envelope.rcpt_tos))
            received.flush()
            return "250 2.0.0 OK queued as %06d" % counter[0]
        base = os.path.join(args.dir, "%06d" % counter[0])
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "received_at": time.time()}, f)
        os.rename(base + ".json.tmp", base + ".json")
        if any(n.startswith("late") for n in names):
            await asyncio.sleep(3)
        return "250 2.0.0 OK queued as %06d" % counter[0]


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = args.auth.split(":", 1)
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
            and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


port = args.port
if port == 0:
    probe = socket.socket()
    probe.bind((args.host, 0))
    port = probe.getsockname()[1]
    probe.close()

kwargs = {}
if args.auth:
    kwargs.update(authenticator=authenticator, auth_require_tls=False, auth_required=True)
if args.tls_cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    kwargs.update(tls_context=context, require_starttls=args.require_tls)
controller = Controller(Handler(), hostname=args.host, port=port, enable_SMTPUTF8=True,
                        decode_data=False, **kwargs)
controller.start()
if args.port_file:
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
print(port, flush=True)


def stop(*_):
    controller.stop()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while True:
    time.sleep(3600)
