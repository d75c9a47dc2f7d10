"""How an engine turns its own failures into :class:`~kv_core.errors.StoreUnavailable`,
in one place: each engine's ``faults`` module says which of its errors mean "the store
cannot answer now", and :func:`guarded` applies that to every public method of its
store, so no operation lets a fault through as an unexpected error."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from kv_core.errors import KVError, StoreUnavailable

T = TypeVar("T")
Translate = Callable[[BaseException], StoreUnavailable | None]


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )


def guarded(translate: Translate) -> Callable[[type[T]], type[T]]:
    """A class decorator: every public method of the class raises what ``translate``
    makes of an error it recognizes (from that error); the domain's own errors, and
    any error ``translate`` does not recognize, go through as they were."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
                try:
                    yield from method(*args, **kwargs)
                except KVError:
                    raise
                except Exception as error:
                    translated = translate(error)
                    if translated is None:
                        raise
                    raise translated from error

            return generator

        @functools.wraps(method)
        def guarded_method(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except KVError:
                raise
            except Exception as error:
                translated = translate(error)
                if translated is None:
                    raise
                raise translated from error

        return guarded_method

    def decorate(cls: type[T]) -> type[T]:
        for name in dir(cls):
            if name.startswith("_"):
                continue
            attribute = inspect.getattr_static(cls, name)
            if inspect.isfunction(attribute):
                setattr(cls, name, wrap(attribute))
        return cls

    return decorate
