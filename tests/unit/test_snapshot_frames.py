"""The backup's key files: each key framed with its name, time to live and DUMP payload, read back whole."""
import io

import pytest

from screener.store.snapshot import KeyCopy, SnapshotError, read_copies, write_copies

COPIES = [KeyCopy(b"bl:e:1f", b"\x10\x00payload", -1), KeyCopy(b"sess:ab", b"x" * 300, 86_400_000),
          KeyCopy(b"empty", b"", -1)]


def test_keys_read_back_as_written():
    out = io.BytesIO()

    assert write_copies(out, COPIES) == 3
    assert list(read_copies(io.BytesIO(out.getvalue()))) == COPIES


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_cut_off_file_is_an_error_not_fewer_keys(cut):
    out = io.BytesIO()
    write_copies(out, COPIES)

    with pytest.raises(SnapshotError, match="ends inside a record"):
        list(read_copies(io.BytesIO(out.getvalue()[:-cut])))
