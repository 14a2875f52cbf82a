"""``python -m tui.sandbox``: run the sandbox in the foreground until Ctrl-C.

The first line printed is the base URL alone, so a script (or an end-to-end test) that
starts this as a subprocess can read it; the rest is for people: keys, tenants, control URLs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .demo import seed_demo
from .model import ModelSettings
from .sandbox import Sandbox
from .tenancy import demo_tenancy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tui.sandbox",
        description="A local stand-in for the OpenAI API (127.0.0.1 only, state in memory).",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--delay-ms", type=float, default=20.0,
                        help="pause before each streamed piece (default: 20)")
    parser.add_argument("--tokens", type=int, default=None,
                        help="reply length in pieces (default: the natural reply)")
    parser.add_argument("--no-assistants", action="store_true",
                        help="answer 404 on the Assistants API, as OpenAI does since 2026-08-26")
    parser.add_argument("--seed-demo", action="store_true",
                        help="create demo conversations and threads and print their ids")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, serve until SIGINT/SIGTERM, stop cleanly."""
    args = _parser().parse_args(argv)
    if args.delay_ms < 0 or (args.tokens is not None and args.tokens < 0):
        print("--delay-ms and --tokens must not be negative", file=sys.stderr)
        return 2
    sandbox = Sandbox(
        demo_tenancy(),
        ModelSettings(tokens=args.tokens, delay_s=args.delay_ms / 1000),
        port=args.port,
        assistants=not args.no_assistants,
    )
    try:
        sandbox.start()
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    print(sandbox.base_url)
    print(f"\nthreadtui sandbox on {sandbox.base_url} (Ctrl-C stops it)\n\nkeys:")
    for org in sandbox.tenancy.organizations.values():
        for key in sandbox.tenancy.keys.values():
            if key.organizations[0] == org.id:
                reach = (f"{org.slug} / {key.project}" if key.project else
                         "organizations " + ", ".join(
                             sandbox.tenancy.organizations[o].slug for o in key.organizations))
                print(f"  {key.label:<14} {key.key:<32} {key.kind} key: {reach}")
    print(f"\ncontrol: {sandbox.url}/_sandbox/state (faults, clock, model, seed)")
    if args.seed_demo:
        print("\nseeded:")
        for item in seed_demo(sandbox):
            print(f"  {item.api:<14} {item.id}  {item.organization}/{item.project}  "
                  f"{item.title}")
    sys.stdout.flush()

    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not done.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
