"""The chunks of rows the parallel kernels visit (sim.chunks)."""

import numba as nb
import numpy as np
import pytest

from sim.chunks import CHUNK, chunk_count, chunk_rows


@pytest.mark.parametrize("rows", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_chunks_cover_every_row_once_in_order(rows):
    visited = [np.arange(*chunk_rows(chunk, rows)) for chunk in range(chunk_count(rows))]
    np.testing.assert_array_equal(np.concatenate([np.zeros(0, np.int64), *visited]), np.arange(rows))
    assert all(0 < len(part) <= CHUNK for part in visited)


def test_chunk_rows_are_unsigned():
    """Signed bounds would make every array index in the kernels' loops check for a negative
    index, which is what kept those loops from vectorising."""
    chunk_rows(np.int64(0), np.int64(10))
    (signature,) = [s for s in chunk_rows.nopython_signatures if s.args == (nb.int64, nb.int64)]
    assert signature.return_type == nb.types.UniTuple(nb.uint64, 2)
