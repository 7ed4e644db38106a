#!/usr/bin/env python3
"""Verifies the DKIM signature of a message file with python3-dkim (dkimpy), against a DNS
record given on the command line instead of looked up: used by the tests.

usage: dkim_verify.py MESSAGE_FILE NAME TXT_VALUE
  NAME       the record's name, e.g. sel._domainkey.example.com
  TXT_VALUE  the record, e.g. "v=DKIM1; k=rsa; p=MIIB..."
Prints "pass" and exits 0 when the signature verifies; prints "fail: reason" and exits 1 otherwise
(a lookup of any other name, which means the signature names another domain or selector, fails).
"""
import logging
import sys

import dkim


def main():
    path, name, value = sys.argv[1:4]
    with open(path, "rb") as f:
        message = f.read()
    asked = []

    def dnsfunc(qname, timeout=5):
        qname = qname.decode() if isinstance(qname, bytes) else qname
        asked.append(qname)
        return value.encode() if qname.rstrip(".") == name else None

    log = logging.getLogger("dkim")
    log.addHandler(logging.StreamHandler(sys.stderr))
    d = dkim.DKIM(message, logger=log)
    ok = d.verify(dnsfunc=dnsfunc)
    if ok:
        print("pass")
        return 0
    print("fail: asked for %s" % ", ".join(asked) if asked else "fail: no signature")
    return 1


if __name__ == "__main__":
    sys.exit(main())
