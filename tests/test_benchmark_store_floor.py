"""`make bench`'s store floor (tests/benchmarks/bench_sync._store_floor) writes what a full sync stored.

The figure says how much of the sync's time no faster check can remove; it means that only if the
records it times writing are every record the sync wrote, value for value.  Its time is read from
`make bench`, never asserted."""

import sqlite3

from sync.load import _RECORD_COLUMNS
from tests.benchmarks.bench_sync import _full_sync, _store_floor


def _records(db) -> dict[str, list[tuple]]:
    connection = sqlite3.connect(db)
    try:
        return {key: sorted(connection.execute(f"SELECT {', '.join(columns)} FROM {key}").fetchall(), key=repr)
                for key, columns in _RECORD_COLUMNS.items()}
    finally:
        connection.close()


def test_the_store_floor_writes_every_record_the_sync_stored(tmp_path):
    from sync.demo import write_demo

    write_demo(tmp_path / "inbox", schools=4, seed=7)
    _full_sync(tmp_path / "inbox", tmp_path / "synced.db", 1)
    _seconds, written = _store_floor(tmp_path / "synced.db", tmp_path / "floor.db")
    synced, floor = _records(tmp_path / "synced.db"), _records(tmp_path / "floor.db")
    assert written == sum(map(len, synced.values())) > 500
    assert floor == synced
