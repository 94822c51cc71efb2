"""The Python SDK benchmark (not a test: it prints figures and never fails on a threshold).

1. tools/call latency: a real ClientSession and FastMCP server (mcp 1.x) over in-memory streams,
   one ``echo`` tool, four servers: untracked, tracked by mcpsight, by agentcat and by mcpeye (the
   published peers on PyPI), each sending to a local sink. Rounds of sequential calls per variant,
   interleaved and rotated so drift hits every variant alike; the heap is collected before each
   round and background delivery is let finish after it. Reported per variant: median / p90 /
   mean per call, the ratio (median over rounds of the round's median ÷ the same round's untracked
   median), the added microseconds, and process CPU time per call (all threads).
2. delivery throughput: realistic tools/call events through mcpsight's delivery (its threads
   prepare, batch, gzip and POST them) to the sink in a separate process: as fast as it drains
   (the producer never overfills the queue: the most delivery sustains with zero drops), then
   paced at 20,000 events/s.

    bench/python/run.sh [--quick] [--rounds N] [--calls N] [--events N]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

os.environ["HOME"] = tempfile.mkdtemp(prefix="mcpsight-bench-home-")  # the peers' log files go here
os.environ.setdefault("DISABLE_DIAGNOSTICS", "true")

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session

import mcpsight

VARIANTS = ("untracked", "mcpsight", "agentcat", "mcpeye")
PROJECT = "proj_bench"


def start_sink() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("sink.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = process.stdout.readline().split()[1]
    return process, f"http://127.0.0.1:{port}"


def sink_count(url: str) -> dict[str, int]:
    import json

    with urllib.request.urlopen(f"{url}/count", timeout=10) as response:
        counts: dict[str, int] = json.load(response)
        return counts


def server_for(variant: str, sink: str) -> Any:
    server = FastMCP(f"bench-{variant}", log_level="WARNING")

    @server.tool()
    def echo(text: str) -> str:
        return text

    if variant == "mcpsight":
        mcpsight.track(server, PROJECT, mcpsight.Options(api_base_url=sink))
    elif variant == "agentcat":
        import agentcat

        agentcat.track(server, PROJECT, agentcat.AgentCatOptions(api_base_url=sink, disable_diagnostics=True))
    elif variant == "mcpeye":
        import mcpeye

        mcpeye.track(server, PROJECT, ingest_url=sink, ingest_secret="bench")
    return server


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def latency(sink: str, rounds: int, calls: int) -> None:
    print(f"\n## tools/call latency ({rounds} rounds × {calls} calls per variant, interleaved)\n")
    per_round: dict[str, list[float]] = {v: [] for v in VARIANTS}
    samples: dict[str, list[float]] = {v: [] for v in VARIANTS}
    cpu: dict[str, float] = dict.fromkeys(VARIANTS, 0.0)
    async with AsyncExitStack() as stack:
        sessions = {}
        for variant in VARIANTS:
            server = server_for(variant, sink)
            sessions[variant] = await stack.enter_async_context(
                create_connected_server_and_client_session(server._mcp_server)
            )
        for variant in VARIANTS:  # warm-up
            for _ in range(max(50, calls // 4)):
                await sessions[variant].call_tool("echo", {"text": "hello"})
        await mcpsight.aflush(10)
        for number in range(rounds):
            order = VARIANTS[number % len(VARIANTS) :] + VARIANTS[: number % len(VARIANTS)]
            for variant in order:
                session = sessions[variant]
                gc.collect()
                times: list[float] = []
                cpu_start = time.process_time()
                for _ in range(calls):
                    started = time.perf_counter()
                    await session.call_tool("echo", {"text": "hello"})
                    times.append((time.perf_counter() - started) * 1e6)
                cpu[variant] += time.process_time() - cpu_start
                per_round[variant].append(statistics.median(times))
                samples[variant].extend(times)
                # Background delivery finishes outside the timed window, for every variant alike.
                if variant == "mcpsight":
                    await mcpsight.aflush(10)
                else:
                    await anyio.sleep(0.05)
    base = per_round["untracked"]
    print(
        "| variant | median µs | p90 µs | mean µs | ratio (median of round ratios) | added µs | CPU µs/call |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for variant in VARIANTS:
        ratios = [value / base[i] for i, value in enumerate(per_round[variant])]
        median = statistics.median(samples[variant])
        added = median - statistics.median(samples["untracked"])
        print(
            f"| {variant} | {median:.1f} | {percentile(samples[variant], 0.9):.1f} | "
            f"{statistics.fmean(samples[variant]):.1f} | {statistics.median(ratios):.3f} "
            f"({min(ratios):.3f}–{max(ratios):.3f}) | {added:+.1f} | "
            f"{cpu[variant] / (rounds * calls) * 1e6:.1f} |"
        )


def tool_call_event(number: int) -> dict[str, Any]:
    """A realistic tools/call event (~580 bytes of JSON)."""
    from mcpsight.event import new_event

    event = new_event(
        PROJECT,
        "ses_0123456789abcdef0123456789abcdef",
        None,
        None,
        "mcp:tools/call",
        time.time(),
    )
    event.update(
        {
            "clientName": "claude-code",
            "clientVersion": "2.0.14",
            "serverName": "notes",
            "serverVersion": "1.0.0",
            "duration": 3.2,
            "resourceName": "search_notes",
            "parameters": {"name": "search_notes", "arguments": {"query": f"release {number}", "limit": 10}},
            "response": {
                "content": [{"type": "text", "text": "#1 Release checklist: Tag, build, publish, announce."}]
            },
            "userIntent": "The user is preparing this week's release and wants the checklist.",
            "identifyActorGivenId": "u_ada",
            "identifyActorName": "Ada Lovelace",
        }
    )
    return event


def throughput(sink: str, events: int, paced: float | None) -> None:
    from mcpsight.delivery import Delivery
    from mcpsight.log import SdkLogger
    from mcpsight.tracked_call import ReadyEvent

    log = SdkLogger()
    delivery = Delivery(sink, log=log, max_queue_size=100_000, max_queue_bytes=32 << 20, flush_interval=1.0)
    before = sink_count(sink)["events"]
    started = time.perf_counter()
    for number in range(events):
        if paced is not None:
            due = started + number / paced
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        else:
            while delivery.backlog() > 20_000:  # never overfill: measure what it drains
                time.sleep(0.001)
        delivery.submit(ReadyEvent(tool_call_event(number), None, None, log))
    submitted = time.perf_counter() - started
    delivery.flush(120)
    elapsed = time.perf_counter() - started
    stats = delivery.stats()
    received = sink_count(sink)["events"] - before
    delivery.shutdown(5)
    mode = f"paced at {paced:,.0f}/s" if paced else "as fast as it drains"
    print(
        f"| {mode} | {events:,} | {received:,} | {received / elapsed:,.0f} | {stats.dropped} | "
        f"{submitted:.2f} s | {elapsed:.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run that proves the benchmark works")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls, args.events = 4, 50, 10_000
    import importlib.metadata as metadata

    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("mcpsight", "mcp", "agentcat", "mcpeye")
    )
    print(
        f"# Python SDK benchmark — {platform.python_implementation()} {platform.python_version()}, {versions}"
    )
    print(f"# {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    sink_process, sink = start_sink()
    try:
        anyio.run(latency, sink, args.rounds, args.calls)
        print("\n## delivery throughput (mcpsight, one process, to a sink in another process)\n")
        print("| mode | events | received | events/s | dropped | producing | until all delivered |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        throughput(sink, args.events, None)
        throughput(sink, args.events, 20_000.0)
    finally:
        if sink_process.stdin is not None:
            sink_process.stdin.close()
        sink_process.wait(10)


if __name__ == "__main__":
    main()
