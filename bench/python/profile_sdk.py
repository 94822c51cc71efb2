"""Where the Python SDK spends its time (not a benchmark: it prints profiles, no figures to record).

    bench/python/run.sh profile_sdk.py delivery [--events 50000]   # cProfile of every thread
    bench/python/run.sh profile_sdk.py opcodes                     # bytecodes per call and per event

``delivery``: the throughput benchmark's drain mode (sdk.py) under cProfile, in the producing
thread and in every delivery thread, merged and sorted by own time. ``opcodes``: the Python
bytecodes mcpsight executes on the request path of one ``tools/call`` (against the whole call's,
untracked and tracked) and to prepare one event on a delivery thread. Bytecode counts do not
depend on the machine's load, so they compare two versions of the code on a busy machine where
timings cannot; C code (json, zlib, pydantic) is not counted.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import sys
from collections.abc import Callable
from typing import Any

import anyio
import sdk
from mcp.shared.memory import create_connected_server_and_client_session

import mcpsight
from mcpsight.delivery import Delivery
from mcpsight.delivery.prepare import prepare
from mcpsight.log import SdkLogger
from mcpsight.tracked_call import ReadyEvent


def profile_delivery(events: int) -> None:
    profiles: list[cProfile.Profile] = []
    run = Delivery._run

    def profiled_run(self: Delivery) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()
        try:
            run(self)
        finally:
            profile.disable()

    Delivery._run = profiled_run  # type: ignore[method-assign]
    sink_process, sink = sdk.start_sink()
    try:
        producer = cProfile.Profile()
        producer.enable()
        sdk.throughput(sink, events, None)
        producer.disable()
    finally:
        if sink_process.stdin is not None:
            sink_process.stdin.close()
        sink_process.wait(10)
    stats = pstats.Stats(producer)
    for profile in profiles:
        stats.add(profile)
    stats.sort_stats("tottime").print_stats(30)


class OpcodeCounter:
    """Counts bytecodes executed while enabled (``sys.settrace`` with opcode events), per function."""

    def __init__(self) -> None:
        self.total = 0
        self.per_function: collections.Counter[str] = collections.Counter()

    def _trace(self, frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            self.total += 1
            path = frame.f_code.co_filename.split("/src/")[-1].split("site-packages/")[-1]
            self.per_function[f"{path}:{frame.f_code.co_name}"] += 1
        return self._trace

    def __enter__(self) -> OpcodeCounter:
        sys.settrace(self._trace)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)

    def report(self, per: int, prefix: str) -> None:
        ours = {name: count for name, count in self.per_function.items() if name.startswith(prefix)}
        print(f"  {prefix} bytecodes per unit: {sum(ours.values()) / per:,.0f}")
        for name, count in sorted(ours.items(), key=lambda item: -item[1])[:15]:
            print(f"    {count / per:8.1f}  {name}")


async def count_call_opcodes(calls: int) -> None:
    sink_process, sink = sdk.start_sink()
    try:
        for variant in ("untracked", "mcpsight"):
            server = sdk.server_for(variant, sink)
            async with create_connected_server_and_client_session(server._mcp_server) as session:
                for _ in range(100):  # warm-up: caches, first-call paths
                    await session.call_tool("echo", {"text": "hello"})
                await mcpsight.aflush(10)
                with OpcodeCounter() as counter:
                    for _ in range(calls):
                        await session.call_tool("echo", {"text": "hello"})
                print(f"{variant}: {counter.total / calls:,.0f} bytecodes per tools/call (whole call)")
                if variant == "mcpsight":
                    counter.report(calls, "mcpsight/")
                await mcpsight.aflush(10)
    finally:
        if sink_process.stdin is not None:
            sink_process.stdin.close()
        sink_process.wait(10)


def count_prepare_opcodes(events: int) -> None:
    log = SdkLogger()
    built = [sdk.tool_call_event(number) for number in range(events)]
    make: Callable[[int], ReadyEvent] = lambda number: ReadyEvent(built[number], None, None, log)  # noqa: E731
    prepare(make(0))
    with OpcodeCounter() as counter:
        for number in range(events):
            prepare(make(number))
    print("preparing one tools/call event on a delivery thread (build, privacy pass, JSON):")
    counter.report(events, "mcpsight/")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("delivery", "opcodes"))
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    if args.mode == "delivery":
        profile_delivery(args.events)
    else:
        anyio.run(count_call_opcodes, args.calls)
        count_prepare_opcodes(200)


if __name__ == "__main__":
    main()
