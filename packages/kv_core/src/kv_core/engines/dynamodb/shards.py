"""Reading the table's stream without Lambda: :meth:`StreamReader.pump_changes` takes
what every shard holds now through the stream processor (stream.py). ``serve`` calls
it in the background (kv_api's stream_reader.py), tests call it to settle the feed; in
AWS the stream-processing function gets the same records from Lambda instead.

Each shard's progress is a checkpoint in the table, ``STREAM#<stream label>``/
``SHARD#<shard id>``: the sequence number of the last record processed, or ``closed``
once a closed shard was read to its end. A shard is read only after its parent was
read to its end, so an item's records, which move to a child shard when their shard
splits, are still taken in commit order. The checkpoint is written after the changes
of the records before it: a reader that dies between the two reads those records
again, and the processor's markers keep their changes from being logged twice.

The feed's own writes (changes, counters, markers, checkpoints) come back through the
stream too; a page that holds nothing else moves no checkpoint, so that reading the
stream settles instead of feeding itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.stream import StreamProcessor

CLOSED = "closed"
PAGE = 1000  # records per GetRecords, its most
TRIMMED = "TrimmedDataAccessException"
# The feed's own records, which no checkpoint needs to move past.
BOOKKEEPING = ("FEED#", "FEEDSEQ#", "STREAMREC#", "STREAM#")


def bookkeeping(record: Mapping[str, Any]) -> bool:
    pk = record.get("dynamodb", {}).get("Keys", {}).get("PK", {}).get("S", "")
    return str(pk).startswith(BOOKKEEPING)


def parents_first(shards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shards ordered so that each comes after its parent (when listed)."""
    by_id = {shard["ShardId"]: shard for shard in shards}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(shard: dict[str, Any]) -> None:
        if shard["ShardId"] in placed:
            return
        parent = by_id.get(shard.get("ParentShardId", ""))
        if parent is not None:
            place(parent)
        placed.add(shard["ShardId"])
        ordered.append(shard)

    for shard in shards:
        place(shard)
    return ordered


class StreamReader(StreamProcessor):
    def pump_changes(self) -> int:
        """Process what the table's stream holds now, every shard from its checkpoint;
        how many changes were logged."""
        table = self._connection.client.describe_table(TableName=self.table)["Table"]
        arn, label = table.get("LatestStreamArn"), table.get("LatestStreamLabel")
        if not arn or not label:
            return 0
        streams = self._streams()
        shards: list[dict[str, Any]] = []
        start: dict[str, Any] = {}
        while True:
            described = streams.describe_stream(StreamArn=arn, **start)["StreamDescription"]
            shards.extend(described.get("Shards", []))
            if "LastEvaluatedShardId" not in described:
                break
            start = {"ExclusiveStartShardId": described["LastEvaluatedShardId"]}
        positions = self._checkpoints(label)
        listed = {shard["ShardId"] for shard in shards}
        logged = 0
        for shard in parents_first(shards):
            parent = str(shard.get("ParentShardId", ""))
            if parent in listed and positions.get(parent) != CLOSED:
                continue  # its parent has records still to read first
            if positions.get(shard["ShardId"]) == CLOSED:
                continue
            logged += self._read_shard(streams, arn, label, shard["ShardId"], positions)
        return logged

    def _streams(self) -> Any:
        """A client of DynamoDB Streams where the table is, at the regional endpoint
        (``streams.dynamodb.<region>``; not the account's, which local stand-ins of
        DynamoDB do not answer), retried and timed as every call (table.py)."""
        return self._connection.session.create_client(
            "dynamodbstreams",
            region_name=self.region,
            endpoint_url=self.host,
            config=Config(
                account_id_endpoint_mode="disabled",
                retries={"mode": "standard", "max_attempts": self.calls.max_attempts},
                connect_timeout=self.calls.connect_timeout,
                read_timeout=self.calls.read_timeout,
            ),
        )

    def _checkpoints(self, label: str) -> dict[str, str]:
        found = self.Entry.query(keys.stream_shard_pk(label), consistent_read=True)
        return {keys.parse_shard_sk(entry.sk): entry.position or "" for entry in found}

    def _read_shard(
        self, streams: Any, arn: str, label: str, shard_id: str, positions: dict[str, str]
    ) -> int:
        iterator = self._iterator(streams, arn, shard_id, positions.get(shard_id))
        logged = 0
        while iterator is not None:
            page = streams.get_records(ShardIterator=iterator, Limit=PAGE)
            batch = page.get("Records", [])
            logged += self.process_stream_records(batch)
            iterator = page.get("NextShardIterator")
            if any(not bookkeeping(record) for record in batch):
                position = str(batch[-1]["dynamodb"]["SequenceNumber"])
                self._save_checkpoint(label, shard_id, position)
                positions[shard_id] = position
            if iterator is None:
                self._save_checkpoint(label, shard_id, CLOSED)
                positions[shard_id] = CLOSED
            elif not batch:
                break  # what the shard holds now is read
        return logged

    def _iterator(self, streams: Any, arn: str, shard_id: str, position: str | None) -> Any:
        if position:
            try:
                return streams.get_shard_iterator(
                    StreamArn=arn,
                    ShardId=shard_id,
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    SequenceNumber=position,
                )["ShardIterator"]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != TRIMMED:
                    raise
                # Past the stream's 24 hours: what is left starts at the trim horizon.
        return streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def _save_checkpoint(self, label: str, shard_id: str, position: str) -> None:
        self.Entry(keys.stream_shard_pk(label), keys.shard_sk(shard_id), position=position).save()
