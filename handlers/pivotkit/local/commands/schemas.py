"""``pivotkit schemas fetch|where``: get Kazoo's callflow schemas, and say which are in use.

Validation (``call``, ``replay``, ``kazoo callflow``, the tests) needs Kazoo's own schemas,
which the project does not ship; ``fetch`` puts them in the user's cache, ``where`` says
which directory the tools read and why (``pivotkit.local.schemas`` has the order).
"""

from __future__ import annotations

import argparse
import os
import sys

from pivotkit.local.commands import add_command
from pivotkit.local.schemas import (
    ENV_VAR,
    KNOWN_VERSIONS,
    NOT_FOUND,
    SOURCE_FILE,
    cache_root,
    locate_schemas,
)

AUTH_TOKEN_ENV = "KAZOO_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret

FETCH_DESCRIPTION = f"""\
Download Kazoo's callflow schemas (every callflows.* schema and what they refer to) into
$XDG_CACHE_HOME/pivotkit/kazoo-schemas/<ref> (default ~/.cache/pivotkit/...), where call,
replay, kazoo callflow and the tests find them (${ENV_VAR}, when set, still wins).

--from github (the default) reads the public Kazoo repository, both lines unless --ref picks
one. --from https://your-crossbar:8443 reads GET /v2/schemas from your own Kazoo, which is what
it validates with; name the line it runs with --ref and give an auth token.

examples:
  pivotkit schemas fetch
  pivotkit schemas fetch --ref 4.3 --from https://kazoo.example.com:8443 --auth-token "$TOKEN"
"""


HELP = "fetch Kazoo's callflow schemas (validation needs them) or say where they are"
DESCRIPTION = "Kazoo's callflow schemas, which every validating tool reads."


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="schemas_command", metavar="ACTION", required=True)
    fetch = add_command(
        actions,
        "fetch",
        help="download Kazoo's callflow schemas into the cache",
        description=FETCH_DESCRIPTION,
    )
    fetch.add_argument(
        "--ref",
        choices=KNOWN_VERSIONS,
        help="the Kazoo line (GitHub branch); default: both from GitHub, required with Crossbar",
    )
    fetch.add_argument(
        "--from",
        dest="source",
        default="github",
        metavar="github|URL",
        help="'github' (default) or your Crossbar's base URL, e.g. https://kazoo:8443",
    )
    fetch.add_argument(
        "--auth-token",
        help=f"Crossbar auth token for --from URL (default ${AUTH_TOKEN_ENV}); never printed",
    )
    fetch.set_defaults(func=run_fetch)
    where = actions.add_parser(
        "where",
        help="print the schema directory the tools read (exit 1 when there is none)",
        description="Print the directory validation reads, why it was chosen, and its lines.",
    )
    where.set_defaults(func=run_where)


def run_fetch(args: argparse.Namespace) -> int:
    # Imported here: `pivotkit --help` and the other commands need none of urllib's machinery.
    from pivotkit.local import schema_fetch

    try:
        if args.source == "github":
            if args.auth_token is not None:
                raise schema_fetch.FetchError("--auth-token goes with --from <Crossbar URL>")
            refs = [args.ref] if args.ref else list(KNOWN_VERSIONS)
            sources: list[tuple[str, schema_fetch.Source]] = [
                (ref, schema_fetch.GitHubSource(ref)) for ref in refs
            ]
        else:
            token = args.auth_token or os.environ.get(AUTH_TOKEN_ENV)
            if args.ref is None:
                raise schema_fetch.FetchError(
                    "--from <Crossbar URL> needs --ref: the Kazoo line that Crossbar runs"
                )
            if not token:
                raise schema_fetch.FetchError(
                    f"--from <Crossbar URL> needs --auth-token (or ${AUTH_TOKEN_ENV})"
                )
            sources = [(args.ref, schema_fetch.CrossbarSource(args.source, token))]
    except schema_fetch.FetchError as error:
        print(f"pivotkit schemas fetch: {error}", file=sys.stderr)
        return 2
    cache = cache_root()
    for ref, source in sources:
        try:
            fetched = schema_fetch.fetch_schemas(source, ref, cache, progress=print)
        except schema_fetch.FetchError as error:
            print(f"pivotkit schemas fetch: {error}", file=sys.stderr)
            print(f"nothing was written for {ref}", file=sys.stderr)
            return 1
        verb = "replaced" if fetched.replaced else "wrote"
        print(f"{verb} {fetched.directory}: {fetched.schemas} schemas ({ref})")
    location = locate_schemas()
    if location is not None and location.origin == ENV_VAR:
        print(f"note: ${ENV_VAR} is set, so the tools read {location.directory} instead")
    return 0


def run_where(args: argparse.Namespace) -> int:
    location = locate_schemas()
    if location is None:
        print(NOT_FOUND)
        if os.environ.get(ENV_VAR):
            print(f"${ENV_VAR} is set but holds no 4.3/ or master/ directory")
        return 1
    why = {
        ENV_VAR: f"${ENV_VAR}",
        "cache": "the cache `pivotkit schemas fetch` fills",
        "project": "../shared/kazoo/schemas beside the project",
    }[location.origin]
    print(location.directory)
    print(f"  from: {why}")
    for version in KNOWN_VERSIONS:
        directory = location.directory / version
        if directory.is_dir():
            origin = directory / SOURCE_FILE
            note = origin.read_text(encoding="utf-8").splitlines()[0] if origin.is_file() else ""
            count = sum(1 for _ in directory.glob("*.json"))
            print(f"  {version}: {count} schemas" + (f" ({note})" if note else ""))
        else:
            print(f"  {version}: missing: `pivotkit schemas fetch --ref {version}`")
    return 0
