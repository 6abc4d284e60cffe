#!/usr/bin/python3
"""Executes a notebook headless on a Jupyter kernel and saves every output.

Why not `nbconvert --execute` / nbclient: the Deno kernel can report a cell idle before
the cell's last outputs arrive; nbclient stops reading a cell's messages at idle, so late
outputs are dropped (or ignored as belonging to no running cell). This runner routes every
iopub message to the cell whose execute request it answers (its parent msg_id), whenever it
arrives; after each cell's idle it keeps reading until the kernel has been quiet for
--quiet seconds, and after the last cell for --final-quiet seconds.

Usage: run_notebook.py IN.ipynb OUT.ipynb [--kernel deno] [--cwd DIR] [--timeout S]
Cells are numbered by their index in the notebook, from 0 (markdown cells included).
Prints one JSON line: {"notebook", "cells", "code_cells", "code_cells_with_outputs",
"outputs", "late_outputs" (outputs that came after their cell's idle: the ones nbclient
would have lost), "seconds", "error"}. Exits 1 on a cell error (naming the cell), 2 on bad usage
or a kernel that does not start.
"""
import argparse
import json
import os
import queue
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbformat.v4 import output_from_msg

OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "clear_output", "update_display_data"}


class Recorder:
    """Collects iopub messages into the outputs of the cell each one answers."""

    def __init__(self, cells):
        self.cells = cells  # msg_id -> cell
        self.pending_clear = {}  # msg_id -> clear_output(wait=True) seen
        self.idle = set()  # msg_ids whose status went idle
        self.display_ids = {}  # display_id -> [(cell, output index)]
        self.late = 0  # outputs that arrived after their cell reported idle

    def handle(self, msg):
        parent = msg.get("parent_header", {}).get("msg_id")
        kind = msg["msg_type"]
        if kind == "status" and msg["content"].get("execution_state") == "idle":
            self.idle.add(parent)
            return
        cell = self.cells.get(parent)
        if cell is None:
            return
        if kind == "execute_input":
            cell.execution_count = msg["content"].get("execution_count")
            return
        if kind not in OUTPUT_TYPES:
            return
        if kind == "clear_output":
            if msg["content"].get("wait"):
                self.pending_clear[parent] = True
            else:
                cell.outputs = []
            return
        if kind == "update_display_data":
            display_id = msg["content"].get("transient", {}).get("display_id")
            for target, index in self.display_ids.get(display_id, []):
                target.outputs[index]["data"] = msg["content"]["data"]
                target.outputs[index]["metadata"] = msg["content"].get("metadata", {})
            return
        if parent in self.idle:
            self.late += 1
        if self.pending_clear.pop(parent, False):
            cell.outputs = []
        output = output_from_msg(msg)
        if kind == "execute_result":
            cell.execution_count = msg["content"].get("execution_count", cell.execution_count)
        # Merge consecutive writes to the same stream, as Jupyter front ends show them.
        last = cell.outputs[-1] if cell.outputs else None
        if kind == "stream" and last is not None and last.get("output_type") == "stream" and last.get("name") == output.name:
            last["text"] += output.text
            return
        cell.outputs.append(output)
        display_id = msg["content"].get("transient", {}).get("display_id")
        if display_id:
            self.display_ids.setdefault(display_id, []).append((cell, len(cell.outputs) - 1))


def drain(client, recorder, until, quiet, deadline):
    """Reads iopub until `until()` holds and nothing has arrived for `quiet` seconds."""
    last = time.monotonic()
    while True:
        now = time.monotonic()
        if now > deadline:
            return False
        if until() and now - last >= quiet:
            return True
        try:
            msg = client.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        recorder.handle(msg)
        last = time.monotonic()


def pump(client, recorder, wait):
    """Handles every iopub message available within `wait` seconds of the previous one."""
    while True:
        try:
            recorder.handle(client.get_iopub_msg(timeout=wait))
        except queue.Empty:
            return


def first_line(source):
    lines = [l for l in source.splitlines() if l.strip()]
    return lines[0][:80] if lines else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--cwd", default=None, help="kernel working directory (default: the notebook's)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per cell")
    parser.add_argument("--startup-timeout", type=float, default=180)
    parser.add_argument("--quiet", type=float, default=1.0, help="quiet seconds after each cell's idle")
    parser.add_argument("--final-quiet", type=float, default=3.0, help="quiet seconds after the last cell")
    args = parser.parse_args()

    nb = nbformat.read(args.input, as_version=4)
    cwd = args.cwd or os.path.dirname(os.path.abspath(args.input))
    start = time.monotonic()
    km = KernelManager(kernel_name=args.kernel)
    try:
        km.start_kernel(cwd=cwd, env=dict(os.environ))
    except Exception as error:  # noqa: BLE001 - reported as one line
        print(f"error: kernel '{args.kernel}' did not start: {error}", file=sys.stderr)
        return 2
    client = km.client()
    client.start_channels()
    error = None
    cells = {}
    recorder = Recorder(cells)
    try:
        try:
            client.wait_for_ready(timeout=args.startup_timeout)
        except RuntimeError as exc:
            print(f"error: kernel '{args.kernel}' not ready after {args.startup_timeout}s: {exc}", file=sys.stderr)
            return 2
        for cell in nb.cells:  # no stale outputs, even in cells a failure leaves unrun
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            msg_id = client.execute(cell.source, store_history=True, allow_stdin=False)
            cells[msg_id] = cell
            deadline = time.monotonic() + args.timeout
            reply = None
            while reply is None:
                # Keep iopub flowing while waiting for the shell reply.
                try:
                    candidate = client.get_shell_msg(timeout=0.05)
                    if candidate.get("parent_header", {}).get("msg_id") == msg_id:
                        reply = candidate
                except queue.Empty:
                    pass
                pump(client, recorder, 0.02)
                if not km.is_alive():
                    error = f"the kernel died during cell {index}: {first_line(cell.source)}"
                    break
                if time.monotonic() > deadline:
                    error = f"cell {index} timed out after {args.timeout}s: {first_line(cell.source)}"
                    break
            if error:
                break
            finished = drain(client, recorder, lambda: msg_id in recorder.idle, args.quiet, deadline)
            if not finished:
                error = f"cell {index} never went idle within {args.timeout}s: {first_line(cell.source)}"
                break
            content = reply["content"]
            if content.get("status") == "error" or any(o.get("output_type") == "error" for o in cell.outputs):
                ename = content.get("ename") or next((o.get("ename") for o in cell.outputs if o.get("output_type") == "error"), "Error")
                evalue = content.get("evalue") or next((o.get("evalue") for o in cell.outputs if o.get("output_type") == "error"), "")
                error = f"cell {index} ({first_line(cell.source)}) raised {ename}: {evalue}"
                break
            if cell.execution_count is None:
                cell.execution_count = content.get("execution_count")
        drain(client, recorder, lambda: True, args.final_quiet, time.monotonic() + 60)
        # An error output that arrived after its cell's quiet period still fails the run.
        late_error = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.outputs)), None)
        if error is None and late_error is not None:
            e = next(o for o in nb.cells[late_error].outputs if o.get("output_type") == "error")
            error = f"cell {late_error} ({first_line(nb.cells[late_error].source)}) raised {e.get('ename')}: {e.get('evalue')}"
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=False)

    nbformat.write(nb, args.output)
    code = [c for c in nb.cells if c.cell_type == "code"]
    summary = {
        "notebook": os.path.basename(args.input),
        "cells": len(nb.cells),
        "code_cells": len(code),
        "code_cells_with_outputs": sum(1 for c in code if c.outputs),
        "outputs": sum(len(c.outputs) for c in code),
        "late_outputs": recorder.late,
        "seconds": round(time.monotonic() - start, 1),
        "error": error,
    }
    print(json.dumps(summary))
    if error:
        print(f"error: {os.path.basename(args.input)}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
