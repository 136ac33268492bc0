"""The spool file itself (screener/spool.py): entries kept across a replay that overlaps new calls, the size
limit, and a live process's file left alone by another."""
import pytest

from screener.spool import Spool, SpoolFull


def test_entries_appended_during_a_replay_wait_for_the_next_one_and_the_file_stays_bounded(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=1000)
    for i in range(10):
        spool.append("call", {"sid": f"CA{i}"})
    entries, nbytes = spool.pending()
    spool.append("call", {"sid": "CA-late"})  # arrives while the first ten are being written to Redis
    spool.mark_replayed(nbytes)
    assert [e.data["sid"] for e in spool.pending()[0]] == ["CA-late"]
    assert spool.path.stat().st_size == spool.size < 100  # the replayed entries no longer take room
    with pytest.raises(SpoolFull):
        for i in range(100):
            spool.append("call", {"sid": f"CC{i}"})
    assert spool.path.stat().st_size <= 1000 and spool.pending()[0][0].data["sid"] == "CA-late"


def test_a_live_process_file_is_not_taken_as_an_orphan(tmp_path):
    live, other = Spool(tmp_path, 10_000), Spool(tmp_path, 10_000)
    live.append("call", {"sid": "CA1"})
    with other.orphans() as orphans:
        assert orphans == []
    assert live.path.exists()
