"""The client-side bookkeeping of docs/protocol.md ("Delivery and recovery"), without I/O."""

from __future__ import annotations

from typing import Any

from loadtests.channel_log import ChannelLog

EPOCH = "9f2c1a0b7e3d4c55"


def message(offset: int, epoch: str = EPOCH) -> dict[str, Any]:
    return {"channel_id": 7, "offset": offset, "epoch": epoch, "body": {"text": f"#{offset}"}}


def offsets(messages: list[dict[str, Any]]) -> list[int]:
    return [m["offset"] for m in messages]


def test_out_of_order_messages_are_held_and_applied_in_offset_order() -> None:
    log = ChannelLog(7)
    assert log.position(EPOCH, 2) == []
    assert log.accept(message(4)) == []  # 3 is still on its way from another node
    assert log.missing
    assert log.contiguous == 2  # a reconnect recovers from here, not from 4
    assert offsets(log.accept(message(3))) == [3, 4]
    assert not log.missing
    assert log.contiguous == 4


def test_duplicates_from_resends_and_recoveries_are_dropped() -> None:
    log = ChannelLog(7)
    log.position(EPOCH, 0)
    assert offsets(log.accept(message(1))) == [1]
    assert log.accept(message(1)) == []
    assert log.accept(message(3)) == []
    assert log.accept(message(3)) == []
    assert offsets(log.accept(message(2))) == [2, 3]


def test_messages_before_the_position_wait_for_it() -> None:
    log = ChannelLog(7)
    assert log.accept(message(5)) == []  # live before channel.history answered
    assert log.accept(message(6)) == []
    assert not log.missing  # nothing is missing until the log knows where it starts
    assert offsets(log.position(EPOCH, 4)) == [5, 6]


def test_a_head_above_the_contiguous_offset_is_missing() -> None:
    log = ChannelLog(7)
    log.position(EPOCH, 3)
    log.note_head(EPOCH, 3)
    assert not log.missing
    log.note_head(EPOCH, 5)  # committed on a node that died before fanning it out
    assert log.missing
    assert log.lacks(4)
    assert log.lacks(5)


def test_another_epoch_makes_the_log_stale() -> None:
    log = ChannelLog(7)
    log.position(EPOCH, 3)
    assert log.accept(message(4, epoch="0000")) == []
    assert log.stale  # the follower reloads with channel.history
    log.position("0000", 4)
    assert not log.stale
    assert offsets(log.accept(message(5, epoch="0000"))) == [5]
