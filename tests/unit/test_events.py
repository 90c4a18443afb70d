"""Electron-style events: on/once/off/emit, emit_and_wait, Event, wait_for, expect_event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing

from cdpsession._events import Event, EventEmitter, EventWaiter


def leaf(exc: BaseException) -> BaseException:
    """The one exception a nursery's group stands for."""
    while isinstance(exc, BaseExceptionGroup):
        assert len(exc.exceptions) == 1, exc.exceptions
        exc = exc.exceptions[0]
    return exc


def emitter_in(nursery: trio.Nursery, spawned: list[str] | None = None) -> EventEmitter:
    def spawn(async_fn: Callable[[], Awaitable[None]]) -> None:
        if spawned is not None:
            spawned.append("spawn")
        nursery.start_soon(async_fn)

    return EventEmitter(spawn)


def no_spawn(async_fn: Callable[[], Awaitable[None]]) -> None:
    raise AssertionError("nothing should be spawned")


def recorder(log: list[Any], name: str) -> Callable[..., None]:
    def listener(*args: Any) -> None:
        log.append((name, *args))

    return listener


# -- registration -----------------------------------------------------------------------------


def test_on_once_off_chain() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    assert em.on("x", a) is em
    assert em.once("x", b) is em
    assert em.off("x", a) is em
    assert em.remove_all_listeners("x") is em
    assert em.on("x", a).once("x", b).on("y", a) is em
    assert em.listeners("x") == [a, b]
    assert em.listeners("y") == [a]


def test_aliases() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    a = recorder(log, "a")
    assert em.add_listener("x", a) is em
    assert em.listeners("x") == [a]
    assert em.remove_listener("x", a) is em
    assert em.listeners("x") == []


def test_listeners_run_in_registration_order_with_args() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    em.on("x", recorder(log, "a"))
    em.once("x", recorder(log, "b"))
    em.on("x", recorder(log, "c"))
    em.on("y", recorder(log, "y"))
    assert em.emit("x", 1, "two") is True
    assert log == [("a", 1, "two"), ("b", 1, "two"), ("c", 1, "two")]


def test_once_fires_once() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    em.once("x", recorder(log, "once"))
    em.on("x", recorder(log, "on"))
    assert em.listener_count("x") == 2
    assert em.emit("x", 1) is True
    assert em.listener_count("x") == 1
    assert em.emit("x", 2) is True
    assert log == [("once", 1), ("on", 1), ("on", 2)]


def test_only_once_listeners_then_no_listeners_left() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    em.once("x", recorder(log, "a"))
    em.once("x", recorder(log, "b"))
    assert em.emit("x") is True
    assert em.listener_count("x") == 0
    assert em.listeners("x") == []
    assert em.emit("x") is False
    assert log == [("a",), ("b",)]


def test_once_listener_that_reemits_runs_once() -> None:
    em = EventEmitter(no_spawn)
    calls: list[int] = []

    def listener(n: int) -> None:
        calls.append(n)
        em.emit("x", n + 1)

    em.once("x", listener)
    assert em.emit("x", 1) is True
    assert calls == [1]


def test_same_listener_twice_runs_twice() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    a = recorder(log, "a")
    em.on("x", a).on("x", a)
    em.emit("x")
    assert log == [("a",), ("a",)]


def test_off_removes_the_latest_registration() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    em.on("x", a).on("x", b).once("x", a)
    em.off("x", a)
    assert em.listeners("x") == [a, b]
    em.emit("x")
    em.emit("x")
    # The plain registration of ``a`` stayed; the once registration went.
    assert log == [("a",), ("b",), ("a",), ("b",)]
    em.off("x", a)
    assert em.listeners("x") == [b]
    em.off("x", b)
    assert em.listeners("x") == []
    assert em.listener_count("x") == 0


def test_off_of_unknown_listener_or_event_is_a_no_op() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    a, b = recorder(log, "a"), recorder(log, "b")
    em.on("x", a)
    assert em.off("x", b) is em
    assert em.off("nothing", a) is em
    assert em.listeners("x") == [a]
    assert em.listeners("nothing") == []


def test_off_accepts_an_equal_bound_method() -> None:
    class Owner:
        def __init__(self) -> None:
            self.seen = 0

        def handle(self) -> None:
            self.seen += 1

    em = EventEmitter(no_spawn)
    owner = Owner()
    em.on("x", owner.handle)
    em.off("x", owner.handle)
    assert em.emit("x") is False
    assert owner.seen == 0


def test_listener_count_listeners_remove_all() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    a, b, c = recorder(log, "a"), recorder(log, "b"), recorder(log, "c")
    em.on("x", a).once("x", b).on("y", c)
    assert (em.listener_count("x"), em.listener_count("y"), em.listener_count("z")) == (2, 1, 0)
    assert em.listeners("x") == [a, b]
    listeners = em.listeners("x")
    listeners.clear()
    assert em.listener_count("x") == 2
    em.remove_all_listeners("x")
    assert (em.listener_count("x"), em.listener_count("y")) == (0, 1)
    em.on("x", a)
    em.remove_all_listeners()
    assert (em.listener_count("x"), em.listener_count("y")) == (0, 0)
    assert em.emit("x") is False
    assert em.emit("y") is False
    assert log == []


def test_emit_returns_whether_there_were_listeners() -> None:
    em = EventEmitter(no_spawn)
    assert em.emit("x") is False
    em.on("x", lambda: None)
    assert em.emit("x") is True
    assert em.emit("y") is False


def test_listener_added_during_emit_waits_for_the_next_emit() -> None:
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    late = recorder(log, "late")

    def adder() -> None:
        log.append(("adder",))
        em.on("x", late)

    em.once("x", adder)
    em.emit("x")
    assert log == [("adder",)]
    em.emit("x")
    assert log == [("adder",), ("late",)]


def test_listener_removed_during_emit_still_runs_in_that_emit() -> None:
    # Node's rule: the listeners of an emit are fixed when it starts.
    em = EventEmitter(no_spawn)
    log: list[Any] = []
    b = recorder(log, "b")

    def remover() -> None:
        log.append(("remover",))
        em.off("x", b)

    em.on("x", remover).on("x", b)
    em.emit("x")
    em.emit("x")
    assert log == [("remover",), ("b",), ("remover",)]


@pytest.mark.parametrize("listener", [None, 1, "fn", object()])
def test_non_callable_listener(listener: Any) -> None:
    em = EventEmitter(no_spawn)
    message = f"^listener must be callable, not {type(listener).__name__}$"
    with pytest.raises(TypeError, match=message):
        em.on("x", listener)
    with pytest.raises(TypeError, match=message):
        em.once("x", listener)
    assert em.listener_count("x") == 0


@pytest.mark.parametrize("name", [None, 1, b"x", ("x",)])
def test_non_str_event_name(name: Any) -> None:
    em = EventEmitter(no_spawn)
    message = f"^event name must be str, not {type(name).__name__}$"
    with pytest.raises(TypeError, match=message):
        em.on(name, lambda: None)
    with pytest.raises(TypeError, match=message):
        em.once(name, lambda: None)


# -- async listeners and errors ---------------------------------------------------------------


async def test_async_listeners_are_started_with_spawn() -> None:
    with trio.fail_after(5):
        log: list[Any] = []
        spawned: list[str] = []
        async with trio.open_nursery() as nursery:
            em = emitter_in(nursery, spawned)

            async def slow(n: int) -> None:
                log.append(("slow-start", n))
                await trio.lowlevel.checkpoint()
                log.append(("slow-end", n))

            em.on("x", slow)
            em.on("x", recorder(log, "plain"))
            assert em.emit("x", 1) is True
            # The plain listener ran at once; the async one is only started.
            assert log == [("plain", 1)]
            assert spawned == ["spawn"]
        assert log == [("plain", 1), ("slow-start", 1), ("slow-end", 1)]


# KeyboardInterrupt and SystemExit too: Ctrl-C can land while a plain listener runs in the
# connection's reader task; it must not end that task, but come out of the app like any
# listener's exception.
@pytest.mark.parametrize(
    "boom",
    [ValueError("listener bug"), KeyboardInterrupt(), SystemExit(3)],
    ids=["error", "keyboard-interrupt", "system-exit"],
)
async def test_sync_listener_exception_reaches_the_nursery_as_itself(
    boom: BaseException,
) -> None:
    with trio.fail_after(5):
        log: list[Any] = []

        def bad(*args: Any) -> None:
            raise boom

        async def run() -> None:
            async with trio.open_nursery() as nursery:
                em = emitter_in(nursery)
                em.on("x", bad).on("x", recorder(log, "after"))
                # emit itself does not raise, and later listeners still run.
                assert em.emit("x", 1) is True
                assert log == [("after", 1)]
                await trio.sleep_forever()

        with pytest.raises(BaseException) as info:  # noqa: PT011
            await run()
        assert leaf(info.value) is boom
        assert log == [("after", 1)]


async def test_async_listener_exception_reaches_the_nursery() -> None:
    with trio.fail_after(5):
        boom = RuntimeError("async listener bug")

        async def bad() -> None:
            await trio.lowlevel.checkpoint()
            raise boom

        async def run() -> None:
            async with trio.open_nursery() as nursery:
                em = emitter_in(nursery)
                em.on("x", bad)
                assert em.emit("x") is True
                await trio.sleep_forever()

        with pytest.raises(BaseException) as info:  # noqa: PT011
            await run()
        assert leaf(info.value) is boom


async def test_emit_and_wait_runs_every_listener_in_order() -> None:
    with trio.fail_after(5):
        log: list[Any] = []
        em = EventEmitter(no_spawn)

        async def first(event: Event, n: int) -> None:
            log.append(("first-start", n))
            await trio.lowlevel.checkpoint()
            log.append(("first-end", n))

        def second(event: Event, n: int) -> None:
            log.append(("second", n))
            event.prevent_default()

        async def third(event: Event, n: int) -> None:
            log.append(("third-start", event.default_prevented))
            await trio.lowlevel.checkpoint()
            log.append(("third-end", n))

        em.on("will-download", first).once("will-download", second).on("will-download", third)
        event = Event()
        assert await em.emit_and_wait("will-download", event, 7) is True
        log.append(("returned",))
        assert log == [
            ("first-start", 7),
            ("first-end", 7),
            ("second", 7),
            ("third-start", True),
            ("third-end", 7),
            ("returned",),
        ]
        assert event.default_prevented is True
        assert em.listener_count("will-download") == 2
        assert await em.emit_and_wait("nothing") is False


async def test_emit_and_wait_propagates_a_sync_exception() -> None:
    with trio.fail_after(5):
        log: list[Any] = []
        em = EventEmitter(no_spawn)
        boom = KeyError("sync")

        def bad() -> None:
            raise boom

        em.on("x", recorder(log, "before")).on("x", bad).on("x", recorder(log, "after"))
        with pytest.raises(KeyError) as info:
            await em.emit_and_wait("x")
        assert info.value is boom
        assert log == [("before",)]


async def test_emit_and_wait_propagates_an_async_exception() -> None:
    with trio.fail_after(5):
        log: list[Any] = []
        em = EventEmitter(no_spawn)
        boom = LookupError("async")

        async def bad() -> None:
            await trio.lowlevel.checkpoint()
            raise boom

        em.on("x", bad).on("x", recorder(log, "after"))
        with pytest.raises(LookupError) as info:
            await em.emit_and_wait("x")
        assert info.value is boom
        assert log == []


# -- Event ------------------------------------------------------------------------------------


def test_event_prevent_default() -> None:
    event = Event()
    states = [(event.default_prevented, repr(event))]
    event.prevent_default()
    states.append((event.default_prevented, repr(event)))
    event.prevent_default()
    states.append((event.default_prevented, repr(event)))
    assert states == [
        (False, "<Event default_prevented=False>"),
        (True, "<Event default_prevented=True>"),
        (True, "<Event default_prevented=True>"),
    ]


def test_event_has_no_dict() -> None:
    event = Event()
    with pytest.raises(AttributeError):
        event.default_prevented = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.other = 1  # type: ignore[attr-defined]


# -- waiting for events -----------------------------------------------------------------------


async def test_wait_for_with_predicate() -> None:
    with trio.fail_after(5):
        em = EventEmitter(no_spawn)
        got: list[tuple[Any, ...]] = []

        async def wait() -> None:
            got.append(await em.wait_for("download", lambda _event, name: name == "b.txt"))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(wait)
            await trio.testing.wait_all_tasks_blocked()
            assert em.listener_count("download") == 1
            first, second = Event(), Event()
            em.emit("download", first, "a.txt")
            em.emit("download", second, "b.txt")
            em.emit("download", Event(), "b.txt")
        assert got == [(second, "b.txt")]
        assert em.listener_count("download") == 0


async def test_wait_for_without_predicate() -> None:
    with trio.fail_after(5):
        em = EventEmitter(no_spawn)
        got: list[tuple[Any, ...]] = []

        async def wait() -> None:
            got.append(await em.wait_for("x"))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(wait)
            await trio.testing.wait_all_tasks_blocked()
            em.emit("x")
            em.emit("x", 2)
        assert got == [()]


async def test_expect_event_fired_inside_the_block() -> None:
    with trio.fail_after(5):
        em = EventEmitter(no_spawn)
        async with em.expect_event("will-download") as waiter:
            assert isinstance(waiter, EventWaiter)
            states = [waiter.is_set]
            assert em.listener_count("will-download") == 1
            em.emit("will-download", "first", 1)
            em.emit("will-download", "second", 2)
            states.append(waiter.is_set)
            assert states == [False, True]
        assert await waiter.value == ("first", 1)
        assert em.listener_count("will-download") == 0


async def test_expect_event_fired_after_the_block_body() -> None:
    with trio.fail_after(5):
        em = EventEmitter(no_spawn)
        log: list[str] = []

        async def expect() -> None:
            async with em.expect_event("done", lambda n: n > 1) as waiter:
                log.append("body done")
            log.append("block left")
            assert await waiter.value == (2,)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(expect)
            await trio.testing.wait_all_tasks_blocked()
            assert log == ["body done"]
            em.emit("done", 1)
            await trio.testing.wait_all_tasks_blocked()
            assert log == ["body done"]
            em.emit("done", 2)
        assert log == ["body done", "block left"]
        assert em.listener_count("done") == 0


async def test_expect_event_does_not_wait_when_the_body_raises() -> None:
    with trio.fail_after(5):
        em = EventEmitter(no_spawn)
        with pytest.raises(ZeroDivisionError):
            async with em.expect_event("never"):
                raise ZeroDivisionError
        assert em.listener_count("never") == 0


async def test_expect_event_cancelled_while_waiting_removes_its_listener() -> None:
    with trio.fail_after(5):
        em = EventEmitter(no_spawn)
        with trio.CancelScope() as scope:
            async with em.expect_event("never"):
                scope.cancel()
        assert scope.cancelled_caught
        assert em.listener_count("never") == 0
