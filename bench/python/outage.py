"""The Python SDK through a collector outage (not a test: it prints figures and never fails).

A host process (outage_host.py: a FastMCP server tracked by mcpsight with its defaults, called in
memory at --rate calls/s) runs against a real collector of this repository (bench/collector-server.ts,
SQLite, its own process). After --before seconds the collector is stopped; it is restarted on the
same port --outage seconds later; the host keeps calling for --after more seconds, then flushes.
Reported: the share of each phase's calls the collector stored (the target: ≥ 90 % of the
outage's), what the SDK dropped, and the host's extra memory (RSS from the outage on over the
steady state just before it, after a GC) beside the bytes the SDK itself held.

    bench/python/run.sh outage.py [--outage 60] [--rate 1000] [--before 10] [--after 30] [--flush-timeout 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent.parent
PHASES = ("before", "outage", "after")
TOOL_OF = {"before": "search_before", "outage": "search_during_outage", "after": "search_after"}
ADMIN_TOKEN = "msk_bench"
MB = 1024 * 1024


class Collector:
    """bench/collector-server.ts in its own process (SQLite in ``data_dir``); SIGTERM closes it."""

    def __init__(self, data_dir: str, port: int = 0) -> None:
        self.process = subprocess.Popen(
            [
                "node",
                "--conditions=@mcpsight/source",
                "--import",
                "tsx",
                str(BENCH / "collector-server.ts"),
                data_dir,
                str(port),
            ],
            cwd=BENCH,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the collector exited with {self.process.wait()}")
        ready = json.loads(line)
        self.url: str = ready["url"]
        self.project_id: str = ready["projectId"]
        self.port = int(self.url.rsplit(":", 1)[1])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def stored_calls(self) -> dict[str, int]:
        """Calls per tool, once the collector's derivation pass has caught up."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=30) as response:
                if json.load(response)["derivation"]["pending"] == 0:
                    break
            time.sleep(0.05)
        since = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        request = urllib.request.Request(
            f"{self.url}/api/v1/projects/{self.project_id}/tools?from={since}",
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
        return {item["name"]: item["calls"] for item in body["items"]}


class Host:
    """outage_host.py in its own process, spoken to in JSON lines."""

    def __init__(self, collector: Collector, rate: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("outage_host.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "OUTAGE_COLLECTOR_URL": collector.url,
                "OUTAGE_PROJECT_ID": collector.project_id,
                "OUTAGE_RATE": str(rate),
            },
        )

    def send(self, command: dict[str, Any]) -> None:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(command) + "\n")
        stdin.flush()

    def receive(self, key: str) -> Any:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        for line in stdout:
            message = json.loads(line)
            if key in message:
                return message[key]
        raise RuntimeError(f"the host exited before sending {key!r} (exit code {self.process.wait()})")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outage", type=float, default=60, help="seconds the collector is down")
    parser.add_argument("--rate", type=float, default=1000, help="tool calls per second")
    parser.add_argument("--before", type=float, default=10, help="seconds before the outage")
    parser.add_argument("--after", type=float, default=30, help="seconds of calls after recovery")
    parser.add_argument("--flush-timeout", type=float, default=60, help="seconds for the final flush")
    args = parser.parse_args()
    print(
        f"Python SDK outage benchmark · {platform.python_implementation()} {platform.python_version()} · "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
    )
    data_dir = tempfile.mkdtemp(prefix="mcpsight-outage-py-")
    collector: Collector | None = Collector(data_dir)
    assert collector is not None
    host = Host(collector, args.rate)
    try:
        port = collector.port
        host.receive("ready")
        print(
            f"collector {collector.url} · {args.rate:g} calls/s · before {args.before:g} s, "
            f"outage {args.outage:g} s, after {args.after:g} s"
        )
        time.sleep(args.before)
        host.send({"phase": "outage"})
        host.receive("phase_started")
        down = time.perf_counter()
        collector.close()
        time.sleep(args.outage)
        collector = Collector(data_dir, port)
        print(f"collector down (SIGTERM to listening again) for {time.perf_counter() - down:.1f} s")
        host.send({"phase": "after"})
        host.receive("phase_started")
        time.sleep(args.after)
        host.send({"stop": {"flush_timeout": args.flush_timeout}})
        report = host.receive("report")
        stored = collector.stored_calls()
        report_figures(report, stored)
    finally:
        host.close()
        if collector is not None:
            collector.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def report_figures(report: dict[str, Any], stored: dict[str, int]) -> None:
    print("\nphase     calls    stored   share")
    lost = 0
    for phase in PHASES:
        calls = report["calls"][phase]
        kept = stored.get(TOOL_OF[phase], 0)
        lost += calls - kept
        share = "–" if calls == 0 else f"{kept / calls * 100:.1f} %"
        print(f"{phase:<8} {calls:>6} {kept:>9} {share:>8}")
    stats = next(iter(report["stats"].values()), {})
    print(
        f"\ntool calls not stored: {lost} · drops the SDK reported to the collector: "
        f"{report['reported_drops']} (these also count non-tool events: initialize, tools/list, identify)"
        f" · SDK stats: sent {stats.get('sent')}, dropped {stats.get('dropped')}, "
        f"failed batches {stats.get('failed_batches')}, retried batches {stats.get('retried_batches')}"
    )
    memory, held = report["memory"], report["held"]
    baseline = memory["baseline"]

    def over(value: int) -> str:
        return f"{(value - baseline) / MB:+.1f}"

    print("\nhost memory, MB   baseline   high-water up   high-water from outage on   live at recovery")
    print(
        f"{'rss':<16} {baseline / MB:>9.1f} {over(memory['peak_up']):>15} "
        f"{over(memory['peak_down']):>27} {over(memory['live_at_recovery']):>18}"
    )
    print(
        f"bytes the SDK held (stats().queued_bytes), high-water: {held['peak_up'] / MB:.1f} MB while up, "
        f"{held['peak_down'] / MB:.1f} MB from the outage on (bound: max_queue_bytes, 32 MiB)"
    )
    print(
        "(baseline: after a GC just before the outage; high-water up: the collector up, before the outage;"
        " live at recovery: after a GC when the collector is back)"
    )
    print(
        f"final flush {report['flush_seconds']:.1f} s ({'complete' if report['flushed'] else 'timed out'})"
        f" · most calls behind the schedule at once: {report['behind_schedule']}"
    )


if __name__ == "__main__":
    main()
