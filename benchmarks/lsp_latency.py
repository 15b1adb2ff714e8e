"""Benchmark: how long an editor waits for findings after a keystroke (`statewright lsp`).

Usage: python -m benchmarks.lsp_latency [--edits 30] [--json]

Starts `statewright lsp` as an editor would (a pygls client over stdio), opens
every example, and for each sends `--edits` whole-buffer changes one after the
other, timing each from `didChange` to the `publishDiagnostics` of that
version. That wall time holds the server's debounce (`DEBOUNCE_S`), the front
end and every verification rule. The goal: the largest example's 90th
percentile within 250 ms, so findings keep up with typing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from benchmarks.common import Report, Row
from statewright.lsp.server import DEBOUNCE_S

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 250.0


async def measure(edits: int) -> dict[str, list[float]]:
    """Milliseconds from each change to its findings, per example (by file name)."""
    client = LanguageClient("benchmark", "1")
    published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]
    def _published(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    await client.start_io(sys.executable, "-m", "statewright", "lsp")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    found: dict[str, list[float]] = {}
    for path in sorted((ROOT / "examples").glob("*.wf")):
        text, uri = path.read_text("utf-8"), path.resolve().as_uri()
        item = types.TextDocumentItem(uri=uri, language_id="statewright", version=1, text=text)
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        await _wait(published, uri, 1)
        times = []
        for version in range(2, edits + 2):
            change = types.TextDocumentContentChangeWholeDocument(text=f"{text}# edit {version}\n")
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
            await _wait(published, uri, version)
            times.append((time.perf_counter() - started) * 1000)
        found[path.name] = times
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    return found


async def _wait(published: asyncio.Queue[types.PublishDiagnosticsParams], uri: str, version: int) -> None:
    """Wait for the findings of one version of one buffer."""
    while True:
        params = await asyncio.wait_for(published.get(), timeout=60)
        if params.uri == uri and params.version == version:
            return


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> None:
    """Measure, then print the table rows (or the runner's JSON with `--json`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    found = asyncio.run(measure(args.edits))
    largest = max(found, key=lambda name: (ROOT / "examples" / name).stat().st_size)
    report = Report("lsp")
    for name, times in found.items():
        p90 = percentile(times, 0.9)
        is_goal = name == largest
        report.rows.append(
            Row(
                "lsp",
                f"keystroke → findings, {name}" + (" (largest example)" if is_goal else ""),
                f"median {statistics.median(times):.0f} ms, p90 {p90:.0f} ms",
                "",
                f"p90 {p90:.0f} ms",
                f"p90 ≤ {GOAL_MS:.0f} ms" if is_goal else "",
                (p90 <= GOAL_MS) if is_goal else None,
            )
        )
    report.details.append(
        f"lsp: {args.edits} whole-buffer edits per example, each timed from didChange to its "
        f"publishDiagnostics; includes the server's {DEBOUNCE_S * 1000:.0f} ms debounce"
    )
    if args.json:
        report.emit()
    else:
        for row in report.rows:
            print(f"{row.case}: {row.ours}")


if __name__ == "__main__":
    main()
