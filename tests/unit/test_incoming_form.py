"""The webhook's form parser reads a body exactly as werkzeug (and so the signature's author) would."""
import pytest
from werkzeug.formparser import parse_form_data
from io import BytesIO

from screener.voice.wsgi import Form

BODIES = [
    b"",
    b"CallSid=CA123&From=%2B442079460123&To=%2B12025550143",
    b"From=%2B44+20&To=%2B1%2B2&Caller=%2b1202&Called=%2B",
    b"From=+442079460123",  # a bare + is a space
    b"Caller=Jane+Doe&Name=J%C3%BCrgen",
    b"a=1&a=2&b=&c",
    b"&&a=1&&",
    b"weird%3Dname=x%26y&x=%ZZ&y=%E9t%E9",  # undecodable %-escapes are kept quoted
    b"emoji=%F0%9F%93%9E&k=v=w",
    "raw=Jürgen".encode(),
    b"\xff\xfe=broken",  # not UTF-8: werkzeug reads an empty form
]


@pytest.mark.parametrize("body", BODIES)
def test_form_reads_like_werkzeug(body):
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": BytesIO(body)}
    _, werkzeug_form, _ = parse_form_data(environ)
    assert Form.parse(body) == {name: werkzeug_form.getlist(name) for name in werkzeug_form}
