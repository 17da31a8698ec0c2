"""Results: persisting run results so other runs and processes can read them.

* :class:`ResultStore` writes a value as a :class:`ResultRecord` (a JSON header with its
  :class:`ResultRecordMetadata`, then the serialized payload) to a storage, atomically,
  and reads it back.
* :meth:`ResultStore.reference_for` gives the JSON object kept in ``State.data``;
  :func:`load_result` reads the value back from it in any process.
* :func:`default_result_storage` is ``$PODIUM_HOME/storage``.
"""

from podium.results._records import RESULT_FORMAT, ResultRecord, ResultRecordMetadata
from podium.results._store import (
    ResultStore,
    default_result_storage,
    is_result_reference,
    load_result,
    read_result_record,
)

__all__ = [
    "RESULT_FORMAT",
    "ResultRecord",
    "ResultRecordMetadata",
    "ResultStore",
    "default_result_storage",
    "is_result_reference",
    "load_result",
    "read_result_record",
]
