"""`foundry-tui` command line: the app by default, plus headless commands for scripts and SSH.

Only argparse is imported up front; each command imports what it needs when it runs, so
`foundry-tui check --help` never pays for Textual, httpx or azure-identity.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from foundry_tui import __version__
from foundry_tui.exitcodes import EXIT_CODES_HELP

Handler = Callable[[argparse.Namespace], int]


def _endpoint_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--profile", help="profile name (default: the default profile, else the env profile)")
    parser.add_argument("-d", "--deployment", help="deployment name (the Foundry `model` value)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resource", help="Foundry resource name; overrides the profile and env vars")
    group.add_argument("--base-url", help="the API root: https://RESOURCE.services.ai.azure.com/anthropic/ or a gateway's URL; overrides the profile and env vars")


def _positive_int(text: str) -> int:
    value = int(text) if text.strip().isdecimal() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """`with_commands=False` is the app's own options only: opening the app skips building the
    parsers of nine subcommands it will not use (a few milliseconds of start-up)."""
    parser = argparse.ArgumentParser(
        prog="foundry-tui",
        description="A terminal chat client for Claude models on Microsoft Foundry (Azure).",
        epilog="Run without a command to open the app. Environment: ANTHROPIC_FOUNDRY_API_KEY, "
        "ANTHROPIC_FOUNDRY_RESOURCE or ANTHROPIC_FOUNDRY_BASE_URL make an implicit `env` profile; "
        "FOUNDRY_TUI_HOME=DIR keeps config and data under DIR.",
    )
    parser.add_argument("--version", action="version", version=f"foundry-tui {__version__}")
    parser.add_argument("-p", "--profile", help="open the app on this profile")
    parser.add_argument("-d", "--deployment", help="open the app on this deployment")
    parser.add_argument("--demo", action="store_true", help="run the app on the built-in emulator (no credentials)")
    parser.set_defaults(handler=_run_app)
    if not with_commands:
        return parser
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="quick auth sanity check: one tiny request per deployment",
        description="Send one minimal streamed request per deployment and report status, latency, "
        "usage and request ids.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _endpoint_options(check)
    check.add_argument("--all", action="store_true", help="check every deployment of the profile, concurrently")
    check.add_argument("--json", action="store_true", help="print one JSON object per deployment")
    check.add_argument("--timeout", type=_positive_seconds, default=30.0, metavar="S", help="seconds per check (default 30)")
    check.set_defaults(handler=_lazy("foundry_tui.commands.check"))

    ask = commands.add_parser(
        "ask",
        help="one-shot prompt for pipes and scripts; the reply streams to stdout",
        description="Send one prompt (the argument, stdin, or both: stdin first) and stream the reply.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument("prompt", nargs="?", help="the prompt (default: read stdin)")
    _endpoint_options(ask)
    ask.add_argument("-s", "--system", help="system prompt")
    ask.add_argument("-m", "--max-tokens", type=int, help="maximum output tokens (default: the profile's)")
    ask.add_argument("-t", "--temperature", type=float, help="sampling temperature, 0 to 1")
    ask.add_argument(
        "-a",
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="send a file before the prompt: PNG, JPEG, GIF, WebP, PDF or UTF-8 text (repeatable)",
    )
    ask.add_argument("--json", action="store_true", help="print the final message as one JSON object")
    ask.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="S",
        help="seconds for the whole turn, retries included; on expiry the partial reply is kept (exit 7). "
        "The profile's idle_timeout (default 120) still ends a turn that long without content",
    )
    ask.add_argument(
        "-c",
        "--continue",
        dest="continue_conversation",
        action="store_true",
        help="append to the most recent conversation, sending its earlier turns (starts one if there is none)",
    )
    ask.add_argument(
        "--no-cache",
        dest="prompt_caching",
        action="store_const",
        const=False,
        help="mark no prompt-caching breakpoints (default: the profile's prompt_caching, on)",
    )
    ask.set_defaults(handler=_lazy("foundry_tui.commands.ask"))

    history = commands.add_parser(
        "history",
        help="list saved conversations, most recent first, or search them",
        description="List saved conversations, most recent first. --search finds messages by their words, "
        "or the reply that carried a request-id (req_…) or an apim-request-id.",
    )
    history.add_argument("-s", "--search", metavar="Q", help="words to find in messages, or a request id")
    history.add_argument("-n", "--limit", type=_positive_int, default=50, metavar="N", help="at most N (default 50)")
    history.add_argument("--json", action="store_true", help="print a JSON array")
    history.set_defaults(handler=_lazy("foundry_tui.commands.history"))

    export = commands.add_parser(
        "export",
        help="print a conversation as Markdown or JSON",
        description="Print a saved conversation: Markdown to read or share, or JSON (Anthropic messages "
        "plus each turn's deployment, usage, request ids, timings and state).",
    )
    export.add_argument("id", help="conversation id, or a unique prefix of it (see `foundry-tui history`)")
    export.add_argument("-f", "--format", choices=("md", "json"), default="md", help="output format (default md)")
    export.set_defaults(handler=_lazy("foundry_tui.commands.export"))

    usage = commands.add_parser(
        "usage",
        help="tokens, cost, error rate and latency of recent requests",
        description="Totals from the usage log (one row per request: checks, asks, chat turns and "
        "failures): tokens, estimated cost, requests, error rate, p50/p95 latency and time to first token.",
    )
    usage.add_argument("--days", type=_positive_int, default=30, metavar="N", help="the last N days (default 30)")
    usage.add_argument("--by", choices=("deployment", "day"), help="one line per deployment or per day")
    usage.add_argument("--json", action="store_true", help="print one JSON object")
    usage.set_defaults(handler=_lazy("foundry_tui.commands.usage"))

    bench = commands.add_parser(
        "bench",
        help="compare deployments: time to first token and output speed",
        description="Send N identical requests to each deployment (-d A,B,…; default: all of the profile's), "
        "one at a time, and report TTFT p50/p95, output tokens per second and errors.",
    )
    _endpoint_options(bench)
    bench.add_argument("-n", "--runs", type=_positive_int, default=5, help="requests per deployment (default 5)")
    bench.add_argument("--max-tokens", type=_positive_int, default=300, help="output tokens per request (default 300)")
    bench.add_argument("--json", action="store_true", help="one JSON object per deployment")
    bench.set_defaults(handler=_lazy("foundry_tui.commands.bench"))

    deployments = commands.add_parser(
        "deployments",
        help="list the resource's real deployments, from Azure Resource Manager",
        description="Find the profile's resource in Azure Resource Manager (searching your subscriptions, "
        "then pinning its subscription and resource group in the profile) and list its deployments. "
        "Entra profiles use their own credential; API-key profiles use the Azure CLI / default chain "
        "(az login). The Reader role suffices. FOUNDRY_TUI_ARM_ENDPOINT overrides https://management.azure.com.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    deployments.add_argument("-p", "--profile", help="profile name (default: the default profile, else the env profile)")
    deployments.add_argument("--json", action="store_true", help="print a JSON list")
    deployments.add_argument("--all-formats", action="store_true", help="also list non-Claude (e.g. OpenAI) deployments")
    deployments.set_defaults(handler=_lazy("foundry_tui.commands.deployments"), resource=None, base_url=None)

    emulator = commands.add_parser(
        "emulator",
        help="run the built-in Foundry emulator (demo backend and test double)",
        description="Serve Foundry's Anthropic Messages API on loopback, with fault injection.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    emulator.add_argument("--api-key", help="key clients must send (default: a random one, printed)")
    emulator.add_argument("--pace", type=float, default=200.0, help="tokens per second; 0 = as fast as possible")
    emulator.set_defaults(handler=_lazy("foundry_tui.commands.emulator"))

    profile = commands.add_parser("profile", help="list, add, remove profiles and store API keys")
    profile.set_defaults(handler=_lazy("foundry_tui.commands.profile"), profile_action="list")
    actions = profile.add_subparsers(title="actions", metavar="ACTION")
    actions.add_parser("list", help="list profiles").set_defaults(profile_action="list")
    add = actions.add_parser("add", help="add or replace a profile")
    add.set_defaults(profile_action="add")
    add.add_argument("name")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--resource", help="Foundry resource name")
    where.add_argument("--base-url", help="the API root: https://RESOURCE.services.ai.azure.com/anthropic/ or a gateway's URL")
    add.add_argument("--auth", choices=("api-key", "entra"), default="api-key")
    add.add_argument("--credential", choices=("default", "azure-cli", "device-code"), default="default",
                     help="Entra credential (with --auth entra)")
    add.add_argument("--tenant", help="Entra tenant id")
    add.add_argument("--scope", help="Entra token scope")
    add.add_argument("--unencrypted-token-cache", action="store_true",
                     help="where there is no secret store, keep a device-code sign-in UNENCRYPTED in a file "
                     "only you can read, so the next start signs in silently")
    add.add_argument("--deployment", action="append", default=[], help="a deployment name (repeatable; first is default)")
    add.add_argument("--default", action="store_true", help="make it the default profile")
    remove = actions.add_parser("remove", help="remove a profile and its stored key")
    remove.set_defaults(profile_action="remove")
    remove.add_argument("name")
    default = actions.add_parser("default", help="make a profile the default")
    default.set_defaults(profile_action="default")
    default.add_argument("name")
    set_key = actions.add_parser("set-key", help="store a profile's API key (read from stdin or a hidden prompt)")
    set_key.set_defaults(profile_action="set-key")
    set_key.add_argument("name")
    set_key.add_argument(
        "--insecure-plaintext-key-file",
        action="store_true",
        help="if no keyring is available, write the key UNENCRYPTED to a 0600 file in the data dir",
    )
    return parser


def _lazy(module: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        from importlib import import_module

        run: Handler = import_module(module).run
        return run(args)

    return handler


def _run_app(args: argparse.Namespace) -> int:
    from foundry_tui.commands.app import run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    app_only = all(arg.startswith("-") and arg not in ("-h", "--help") for arg in argv)  # e.g. `--demo`
    args = build_parser(with_commands=not app_only).parse_args(argv)
    from foundry_tui.commands.output import run_command

    return run_command(args.handler, args)


if __name__ == "__main__":
    sys.exit(main())
