"""Background tasks with a name, a kept reference, and a clean shutdown.

Every task the sidecar starts outside a request goes through :class:`BackgroundTasks`: the
event loop only keeps weak references to tasks, so an unreferenced task can vanish mid-flight;
and on shutdown all of them are cancelled and awaited, so nothing is left half done.

May import: proxy.logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from proxy.logs import get_logger

log = get_logger("tasks")


class BackgroundTasks:
    """A set of named tasks that is cancelled and awaited as one."""

    def __init__(self) -> None:
        """Start empty."""
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start ``coro`` as a task named ``name`` and keep it until it ends."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background_task_failed", task=task.get_name(), error=repr(task.exception()))

    def __len__(self) -> int:
        """How many tasks are running."""
        return len(self._tasks)

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no task runs, at most ``timeout_s``; True if idle."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        return not pending

    async def cancel_all(self) -> None:
        """Cancel every task and wait for all of them to finish."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
