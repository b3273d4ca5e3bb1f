"""Writes test/fixtures/flask-vectors.json: session cookies made by real Flask at a fixed second.

    /usr/bin/python3 scripts/flask-vectors.py > test/fixtures/flask-vectors.json

Needs Debian's python3-flask. Each vector is a cookie exactly as Flask's SecureCookieSessionInterface
writes it (same salt, key derivation, digest and tagged JSON serializer, inside an app context as a
real request would be), signed at FIXED_TIME so the test can freeze its clock there, together with
the tagged JSON it carries.
"""
import datetime
import json
import sys
import uuid

import flask
import itsdangerous
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup

FIXED_TIME = 1764072000  # 2025-11-25T12:00:00Z
SECRET = "flask-interop-secret-key-0123456789abcdef"
OLD_SECRET = "the-previous-flask-secret-key-0123456789"


class FixedTimeSigner(TimestampSigner):
    def get_timestamp(self):
        return FIXED_TIME


app = flask.Flask(__name__)
interface = SecureCookieSessionInterface()


def serializer(keys):
    # itsdangerous signs with the *last* key of a list; Flask 3.1.1+ passes [*fallbacks, SECRET_KEY].
    return URLSafeTimedSerializer(
        keys,
        salt=interface.salt,
        serializer=interface.serializer,
        signer=FixedTimeSigner,
        signer_kwargs={"key_derivation": interface.key_derivation, "digest_method": interface.digest_method},
    )


CASES = [
    ("a username", {"username": "alice"}, [SECRET]),
    ("a permanent session", {"username": "bob", "_permanent": True}, [SECRET]),
    ("unicode", {"username": "Zoë 🍪 名前", "note": "tab\there \"quoted\" back\\slash \u007f"}, [SECRET]),
    ("nested dicts and lists, keys sorted by code point", {"z": 1, "a": {"y": [1, 2, {"b": None, "a": True}], "\U0001F600": 1, "\uffff": 2}, "m": -3}, [SECRET]),
    ("a compressed payload", {"username": "carol", "history": ["page"] * 60}, [SECRET]),
    ("a tuple", {"point": (1, 2, "three")}, [SECRET]),
    ("bytes", {"blob": b"\x00\x01binary\xff"}, [SECRET]),
    ("Markup", {"html": Markup("<b>bold</b>")}, [SECRET]),
    ("a UUID", {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")}, [SECRET]),
    ("a datetime", {"when": datetime.datetime(2025, 11, 25, 12, 0, 0, tzinfo=datetime.timezone.utc)}, [SECRET]),
    ("a dict whose only key looks like a tag", {"odd": {" t": "not a tuple"}}, [SECRET]),
    ("floats", {"half": 1.5, "small": 1e-05, "big": 1.5e16}, [SECRET]),
    ("signed with the new key, old key still configured", {"username": "dave"}, [OLD_SECRET, SECRET]),
    ("signed with the old key before rotation", {"username": "erin"}, [OLD_SECRET]),
    ("an integer beyond 2^53", {"id": 2**60}, [SECRET]),
]

vectors = []
with app.test_request_context():
    for name, data, keys in CASES:
        cookie = serializer(keys).dumps(data)
        tagged = json.loads(json.dumps(interface.serializer.tag(data)))
        permanent = tagged.pop("_permanent", False)
        vectors.append({"name": name, "cookie": cookie, "permanent": permanent, "data": tagged, "signedWith": "old" if keys == [OLD_SECRET] else "current"})

json.dump(
    {
        "generatedBy": "/usr/bin/python3 scripts/flask-vectors.py > test/fixtures/flask-vectors.json",
        "flask": flask.__version__,
        "itsdangerous": itsdangerous.__version__,
        "time": FIXED_TIME,
        "secret": SECRET,
        "oldSecret": OLD_SECRET,
        "vectors": vectors,
    },
    sys.stdout,
    indent=2,
    ensure_ascii=False,
)
sys.stdout.write("\n")
