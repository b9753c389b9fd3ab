"""The ``podcalc`` command: the same calculation as the HTTP API, without a server.

    podcalc effective FILE... | -     effective resources of every workload, and totals
    podcalc plan FILE... | -          admission, quota headroom and node fit, with cluster objects
    podcalc diff OLD NEW              the change in effective resources between two manifest sets
    podcalc what-if FILE... --change JSON   the same, for changes to named workloads
    podcalc quantity VALUE            one quantity explained

Every command takes files and directories alike (a directory: its .yaml, .yml and .json
files, recursively, in name order). docs/cli.md shows each output format.

Exit status: 0 success, 1 invalid input (the message names file, document and field),
2 usage error (including a file that cannot be read), 3 a CI gate tripped
(``diff --fail-if-increase``, ``plan --fail-on-refusal``). Errors go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from calc.errors import QuantityError
from calc.quantity import parse_quantity
from podcalc import formats, tables
from podcalc.effective import Document, describe_quantity, evaluate_documents
from podcalc.errors import InputError, MalformedError, source_parts
from podcalc.reading.documents import read_documents
from podcalc.reading.limits import Limits
from podcalc.reading.yaml_stream import load_yaml_stream
from podcalc.render import encode

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_GATE = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 128 + 13  # a shell's status for a command SIGPIPE ended
# The CLI reads what its user gives it: none of the HTTP service's request limits, only the
# structural guards (nesting depth, the values YAML aliases expand to, a quantity's length).
CLI_LIMITS = Limits(
    documents=10**9, workloads=10**9, nodes=10**8, node_shapes=10**4, cluster_nodes=10**6, policies=10**6
)

DESCRIPTION = """\
podcalc computes what Kubernetes will see of your pods: effective requests and limits
(sidecars and init containers included), resources without a limit, QoS class, and totals
per workload and namespace. Manifests may be JSON or YAML streams: Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate,
List, or a bare PodSpec; other kinds are listed as skipped.
"""

EPILOG = """\
examples:
  podcalc effective deploy.yaml                 a table per workload, then totals
  helm template ./chart | podcalc effective -   read a stream from stdin
  podcalc effective -o json k8s/*.yaml          the HTTP API's response body
  podcalc effective --nodes 12 daemonset.yaml   count a DaemonSet's pods on 12 nodes
  podcalc effective --unit memory=GiB --unit cpu=cores app.yaml
  podcalc plan app.yaml quota.yaml nodes.yaml   LimitRanges, quotas and node fit of app.yaml
  podcalc plan k8s/ --fail-on-refusal           a CI gate: exit 3 if a pod would be refused
  podcalc effective k8s/ -o csv                 one row per workload, in millicores and bytes
  podcalc diff main/k8s pr/k8s --fail-if-increase cpu=2   a CI gate: exit 3 if requests grow by more
  podcalc diff main/k8s pr/k8s -o markdown      the change as a pull-request comment
  podcalc what-if app.yaml --change '{"target": {"kind": "Deployment", "name": "web"}, "replicas": 4}'
  podcalc quantity 1.5Gi --unit GiB             1536Mi = 1610612736 bytes = 1.5 GiB

exit status: 0 success, 1 invalid input, 2 usage error, 3 a CI gate tripped
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own usage errors: exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"podcalc: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="podcalc", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    effective = commands.add_parser(
        "effective",
        help="effective requests, limits and QoS of every workload in FILEs",
        description="Effective requests, limits, unbounded limits and QoS class of every workload, and totals.",
    )
    plan = commands.add_parser(
        "plan",
        help="LimitRange admission, ResourceQuota headroom and node fit of the workloads in FILEs",
        description="Admission through LimitRanges and ResourceQuotas, pods per node and nodes needed. FILEs hold "
        "workloads and the cluster's objects: LimitRange, ResourceQuota, Node, and podcalc's NodeShape.",
    )
    for sub in (effective, plan):
        sub.add_argument("files", nargs="*", metavar="FILE", help="JSON or YAML manifests; - reads stdin")
        sub.add_argument(
            "--cluster",
            action="append",
            default=[],
            metavar="FILE",
            help="a snapshot of the running cluster (kubectl get nodes,pods,resourcequotas,limitranges,deployments,"
            "replicasets,statefulsets,daemonsets,jobs,cronjobs -A -o yaml); the FILEs are planned on top of it; "
            "- reads stdin (repeatable)",
        )
        _common_options(sub)
        sub.add_argument(
            "--show-skipped",
            action="store_true",
            help=f"list every object passed over (beyond {tables.SKIPPED_LISTED}, they are summarised by kind)",
        )
        sub.add_argument(
            "--explain",
            action="store_true",
            help="show where each figure comes from, and advice with the figures after it",
        )
        sub.add_argument(
            "--unit",
            action="append",
            default=[],
            type=_unit,
            metavar="RESOURCE=UNIT",
            help="show RESOURCE in UNIT in every column of the table, e.g. memory=GiB, cpu=cores (repeatable)",
        )

    plan.add_argument(
        "--fail-on-refusal",
        action="store_true",
        help="exit 3 when admission would refuse any pod or object, or a quota overflows (a CI gate)",
    )

    diff = commands.add_parser(
        "diff",
        help="the change in effective requests and limits between two manifest sets",
        description="Compare OLD and NEW (files, or directories of .yaml/.yml/.json files): per workload, "
        "namespace and in total, with QoS changes and, given cluster objects, quota and node consequences.",
    )
    diff.add_argument("old", metavar="OLD", help="file or directory: the manifests before")
    diff.add_argument("new", metavar="NEW", help="file or directory: the manifests after")
    _common_options(diff)
    diff.add_argument(
        "--fail-if-increase",
        action="append",
        default=[],
        type=_unit,
        metavar="RESOURCE=QUANTITY",
        help="exit 3 if the total request of RESOURCE grows by more than QUANTITY (repeatable)",
    )

    what_if_cmd = commands.add_parser(
        "what-if",
        help="the manifests before and after changes to named workloads",
        description="Apply each --change (the JSON of one change of POST /v1/what-if: target, and patch, "
        "replicas or containers) and compare, as podcalc diff does.",
    )
    what_if_cmd.add_argument("files", nargs="+", metavar="FILE", help="JSON or YAML manifests; - reads stdin")
    what_if_cmd.add_argument("--change", action="append", required=True, type=_json, metavar="JSON", help="repeatable")
    _common_options(what_if_cmd)

    quantity = commands.add_parser(
        "quantity", help="one quantity: canonical form and exact value", description="Explain one quantity."
    )
    quantity.add_argument("value", help="a Kubernetes quantity (1.5Gi, 500m) or a unit expression ('1.5 GiB')")
    quantity.add_argument("--resource", help="the resource it is for (memory, cpu, ...)")
    quantity.add_argument("--unit", help="express the value in this unit (GiB, cores, ...)")
    quantity.add_argument("-o", "--output", choices=("text", "json"), default="text", help="default: text")
    return parser


def _common_options(sub: argparse.ArgumentParser) -> None:
    """The options every manifest command takes: output form, node count, Kubernetes release."""
    sub.add_argument(
        "-o",
        "--output",
        choices=("table", "json", "yaml", "csv", "markdown"),
        default="table",
        help="default: table; csv: one row per workload, in millicores and bytes; markdown: diff only",
    )
    sub.add_argument("--nodes", type=_whole, help="node count, to count a DaemonSet's pods (one per node)")
    sub.add_argument(
        "--kubernetes-version",
        metavar="VERSION",
        help="compute as this release would (1.24 to the current one; default: current)",
    )


def _whole(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}")
    return int(text)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON: {err}") from err


def _unit(text: str) -> tuple[str, str]:
    resource, sep, unit = text.partition("=")
    if not sep or not resource or not unit:
        raise argparse.ArgumentTypeError(f"expected RESOURCE=UNIT, e.g. memory=GiB, not {text!r}")
    return resource, unit


def _read(files: Sequence[str], stdin: TextIO, texts: dict[str | None, bytes]) -> list[Document]:
    """The documents of ``files`` (directories: their manifests), numbered across them; each
    file's text kept in ``texts`` by its label, to give a problem found later its line."""
    documents: list[Document] = []
    for name in [found for given in files for found in _files(given)]:  # a directory: its manifests
        if name == "-":
            raw = getattr(stdin, "buffer", None)
            data = raw.read() if raw is not None else stdin.read().encode()
            label, is_json = "<stdin>", False
        else:
            try:
                data = Path(name).read_bytes()
            except OSError as err:
                raise _UsageError(f"cannot read {name}: {err.strerror}") from err
            label, is_json = name, name.endswith(".json")
        try:
            if is_json:
                values = read_documents(data, "application/json", CLI_LIMITS)
            else:
                values = load_yaml_stream(data.decode("utf-8"), CLI_LIMITS)
            texts[label] = data
        except UnicodeDecodeError as err:
            raise MalformedError(f"{label}: not UTF-8 text") from err
        except InputError as err:
            raise err.at_source(label) from err
        # numbered across files, as if they were one stream; errors name the file's own document
        documents += [Document(len(documents) + i, v, f"{label} document {i}") for i, v in enumerate(values)]
    return documents


class _UsageError(Exception):
    pass


def _files(path: str) -> list[str]:
    """A file, or a directory's manifests (.yaml, .yml, .json), sorted."""
    p = Path(path)
    if path != "-" and p.is_dir():
        found = sorted(str(f) for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".json") and f.is_file())
        if not found:
            raise _UsageError(f"{path}: no .yaml, .yml or .json files")
        return found
    return [path]


def _diff(args: argparse.Namespace, stdout: TextIO, texts: dict[str | None, bytes]) -> int:
    for name, text in args.fail_if_increase:
        try:
            parse_quantity(text)
        except QuantityError as err:
            raise _UsageError(f"--fail-if-increase {name}={text}: {err}") from err
    from podcalc import render_plan
    from podcalc.diff import diff, gate

    before = _read([args.old], sys.stdin, texts)
    after = _read([args.new], sys.stdin, texts)
    compared = diff(before, after, nodes=args.nodes, kubernetes_version=args.kubernetes_version)
    _print(render_plan.diff_body(compared), args.output, tables.diff, stdout)
    failures = gate(compared[0], dict(args.fail_if_increase))
    for failure in failures:
        print(f"podcalc: gate: {failure}", file=sys.stderr)
    return EXIT_GATE if failures else EXIT_OK


def _write_json(body: dict[str, Any], stdout: TextIO) -> None:
    """The body as the HTTP API writes it; ASCII-escaped where the terminal's encoding cannot
    show a character (a cp1252 console, PYTHONIOENCODING=ascii)."""
    text = encode(body).decode()
    try:
        stdout.write(text)
    except UnicodeEncodeError:
        stdout.write(json.dumps(body, separators=(",", ":")) + "\n")


def _print(body: dict[str, Any], output: str, table: Any, stdout: TextIO, **options: Any) -> None:
    """``body`` as ``-o`` asks; ``options`` are the table's (``show_skipped``)."""
    if output == "json":
        _write_json(body, stdout)
    elif output == "yaml":
        print(yaml.safe_dump(body, sort_keys=False), end="", file=stdout)
    elif output in ("csv", "markdown"):
        print(_OTHER_FORMATS[table, output](body), file=stdout)
    else:
        print(table(body, **options), file=stdout)


# the formats other tools take, by table and -o: what each command offers
_OTHER_FORMATS = {
    (tables.effective, "csv"): formats.effective_csv,
    (tables.plan, "csv"): formats.plan_csv,
    (tables.live, "csv"): formats.plan_csv,
    (tables.diff, "csv"): formats.diff_csv,
    (tables.diff, "markdown"): formats.diff_markdown,
}


def _report(err: InputError, stderr: TextIO) -> int:
    print(
        f"podcalc: {err.title.lower()}: {err.detail}" if not err.errors else f"podcalc: {err.title.lower()}:",
        file=stderr,
    )
    for e in err.errors or []:
        if "parameter" in e:
            print(f"  {e['parameter']}: {e['detail']}", file=stderr)
            continue
        where = " ".join(
            part
            for part in (
                _place(e),
                f"{e['kind']}/{e.get('name') or '(unnamed)'}" if e.get("kind") else None,
                e.get("pointer") or "/",
            )
            if part
        )
        print(f"  {where}: {e['detail']}", file=stderr)
    return EXIT_INVALID


def _place(entry: Mapping[str, Any]) -> str | None:
    """Where a problem is: ``app.yaml:12 document 1`` (the file's line, as compilers write
    it, where it is known), ``app.yaml document 1``, or ``document 1``."""
    source = entry.get("source") or (f"document {entry['document']}" if "document" in entry else None)
    if source is None or "line" not in entry:
        return source
    label, number = source_parts(source)
    return f"{label}:{entry['line']} document {number}" if label else f"line {entry['line']} {source}"


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    args = build_parser().parse_args(argv)
    if getattr(args, "output", None) == "markdown" and args.command != "diff":
        print("podcalc: error: -o markdown is offered by diff only", file=sys.stderr)
        return EXIT_USAGE
    texts: dict[str | None, bytes] = {}  # each file read, by label: the lines of its problems
    try:
        if args.command == "quantity":
            body = describe_quantity(args.value, args.resource, args.unit)
            print(json.dumps(body, indent=2) if args.output == "json" else tables.quantity(body), file=stdout)
            return EXIT_OK
        if args.command == "diff":
            return _diff(args, stdout, texts)
        if args.command == "what-if":
            from podcalc.diff import what_if_documents

            before = _read(args.files, stdin, texts)
            body = what_if_documents(before, args.change, nodes=args.nodes, kubernetes_version=args.kubernetes_version)
            _print(body, args.output, tables.diff, stdout)
            return EXIT_OK
        if not args.files and not args.cluster:
            raise _UsageError(f"error: {args.command}: the following arguments are required: FILE (or --cluster FILE)")
        documents = _read(args.files, stdin, texts)
        if args.cluster:
            return _live(args, _read(args.cluster, stdin, texts), documents, stdout)
        if args.command == "plan":
            from podcalc.plan import plan_documents  # each command loads only its own modules

            body = plan_documents(
                documents,
                limits=CLI_LIMITS,
                nodes=args.nodes,
                units=dict(args.unit),
                kubernetes_version=args.kubernetes_version,
                explain=args.explain,
            )
        else:
            body = evaluate_documents(
                documents,
                limits=CLI_LIMITS,
                nodes=args.nodes,
                units=dict(args.unit),
                kubernetes_version=args.kubernetes_version,
                explain=args.explain,
            )
    except _UsageError as err:
        print(f"podcalc: {err}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as err:
        from podcalc.reading.lines import with_lines

        return _report(with_lines(err, texts), sys.stderr)
    table = tables.plan if args.command == "plan" else tables.effective
    options = {"show_skipped": args.show_skipped, "units": dict(args.unit)}
    _print(body, args.output, table, stdout, **options)  # -o json: the HTTP body
    if args.output == "table" and args.explain:
        print(tables.explanations(body), file=stdout)
    return _refusals(args, body)


def _refusals(args: argparse.Namespace, body: dict[str, Any]) -> int:
    """``plan --fail-on-refusal``: exit 3 when any pod would be refused or a quota overflows."""
    if args.command != "plan" or not args.fail_on_refusal:
        return EXIT_OK
    refused = [f"{i['kind']}/{i['name']}: {r['message']}" for i in body["items"] for r in i["admission"]["rejections"]]
    refused += [
        f"quota {q['namespace'] or 'default'}/{q['name']} exceeds {', '.join(q['exceeded'])}"
        for q in body["quotas"]
        if q["exceeded"]
    ]
    refused += [f"{o['kind']}/{o['name']}: {o['rejection']['message']}" for o in body.get("objectRejections", [])]
    if "cluster" in body:
        refused += [r for r in body["cluster"]["reasons"] if r not in refused]
    for reason in refused:
        print(f"podcalc: refused: {reason}", file=sys.stderr)
    return EXIT_GATE if refused else EXIT_OK


def _live(args: argparse.Namespace, cluster: list[Document], documents: list[Document], stdout: TextIO) -> int:
    """``plan --cluster`` (and ``effective --cluster``, the state alone): the FILEs on the snapshot."""
    from podcalc.live import plan_live
    from podcalc.render_live import live_body

    planned = plan_live(cluster, documents, args.nodes, dict(args.unit), CLI_LIMITS, args.kubernetes_version)
    body = live_body(planned, dict(args.unit), args.explain)
    _print(body, args.output, tables.live, stdout, show_skipped=args.show_skipped, units=dict(args.unit))
    return _refusals(args, body)


def main_exit() -> None:
    """The console script's entry point.

    It ends with ``os._exit`` once the output is flushed: a reader that went away (``| head``)
    then gets no second BrokenPipeError from the interpreter's own flush at exit.

    The cyclic garbage collector is off for the run: a command builds its input's values,
    which all live until it ends, and makes no cycles worth collecting, so the collector would
    only walk the same objects again and again: time that grows with the input and frees
    nothing.
    """
    gc.disable()
    try:
        try:
            status = main()
        except SystemExit as done:  # argparse's --help and usage errors: flushed below like the rest
            status = done.code if isinstance(done.code, int) else 0 if done.code is None else EXIT_INVALID
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the descriptor was closed when the command started
                stream.flush()
    except BrokenPipeError:  # the reader went away (| head): no traceback, the status SIGPIPE gives
        status = EXIT_BROKEN_PIPE
    except OSError as err:  # the output cannot be written (a full disk)
        _say(f"podcalc: cannot write the output: {err.strerror or err}")
        status = EXIT_USAGE
    os._exit(status)


def _say(message: str) -> None:
    """A last word on stderr, where there is one that still takes it."""
    try:
        if sys.stderr is not None:
            print(message, file=sys.stderr, flush=True)
    except OSError:
        pass


if __name__ == "__main__":
    main_exit()
