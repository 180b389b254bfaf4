"""The ``kam`` command line: thin commands that parse, call and render.

Errors become messages in one place, :func:`main`: a :class:`~kam.errors.KamError`
prints ``Error: ...`` (and the problem list) and exits 1; argument errors exit 2.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from kam.config import Settings, get_settings
from kam.errors import KamError, MissingDataError, Problem, WorkbookError

if TYPE_CHECKING:
    from kam.analysis.registry import Analysis
    from kam.model import Portfolio
    from kam.store.repository import ImportSummary, Store

__all__ = ["app", "main"]

app = typer.Typer(
    name="kam",
    help="Key Account Management workspace: import, analyse, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

#: Problems printed in the terminal before the rest is summarised.
SHOWN_PROBLEMS = 200


#: Width of tables written to a file or a pipe (no terminal to measure).
PLAIN_WIDTH = 140


def _console(stderr: bool = False) -> Console:
    plain = bool(os.environ.get("CI")) or not sys.stdout.isatty()
    return Console(
        stderr=stderr,
        no_color=plain,
        highlight=False,
        soft_wrap=plain,
        width=PLAIN_WIDTH if plain else None,
    )


out = _console()
err = _console(stderr=True)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        help="Store URL (default: $KAM_DATABASE_URL or sqlite:///kam.db).",
        show_default=False,
    ),
]


def _settings(database: str | None) -> Settings:
    settings = get_settings()
    if database:
        settings = settings.model_copy(update={"database_url": database})
    return settings


def _open_store(database: str | None) -> Store:
    from kam.store.repository import Store

    store = Store.from_settings(_settings(database))
    store.upgrade()
    return store


# --------------------------------------------------------------------------- output


def _print_problems(problems: Sequence[Problem], *, title: str) -> None:
    if not problems:
        return
    table = RichTable(title=title, show_lines=False, title_justify="left")
    for col in ("sheet", "row", "column", "value", "problem"):
        table.add_column(col, overflow="fold")
    for p in problems[:SHOWN_PROBLEMS]:
        table.add_row(
            p.sheet or "",
            "" if p.row is None else str(p.row),
            p.column or "",
            p.value or "",
            p.message,
        )
    err.print(table)
    if len(problems) > SHOWN_PROBLEMS:
        err.print(
            f"… and {len(problems) - SHOWN_PROBLEMS} more "
            "(write them all with --problems FILE.csv)"
        )


def write_problems_csv(problems: Iterable[Problem], path: Path) -> None:
    """Every problem as one CSV row (sheet, row, column, value, expected, message)."""
    fields = ["severity", "sheet", "row", "column", "value", "expected", "message"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for p in problems:
            w.writerow(p.as_dict())


def _print_summary(summary: ImportSummary, *, title: str) -> None:
    table = RichTable(title=title, title_justify="left")
    for col in ("sheet", "created", "updated", "unchanged", "removed"):
        table.add_column(col, justify="left" if col == "sheet" else "right")
    for name, c in summary.sheets.items():
        table.add_row(
            name, str(c.created), str(c.updated), str(c.unchanged), str(c.removed)
        )
    out.print(table)
    state = "changed" if summary.changed else "unchanged (nothing to do)"
    out.print(f"Store {state}; data version {summary.data_version}.")
    if summary.snapshot is not None:
        out.print(f"Snapshot of the previous state: {summary.snapshot.name}")


def _portfolio_counts(portfolio: Portfolio) -> str:
    parts = [f"{name} {len(t)}" for name, t in portfolio.tables.items()]
    return ", ".join(parts)


# --------------------------------------------------------------------------- commands


@app.command()
def template(
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT.xlsx", help="File to write.")
    ],
) -> None:
    """Write a blank workbook with every sheet, instructions and data validation."""
    from kam.workbook.template import write_template

    write_template(out_path)
    out.print(f"Wrote the template to {out_path}")


@app.command()
def demo(
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the demo as a workbook instead."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    accounts: Annotated[
        int, typer.Option(min=60, max=1000, help="Number of accounts (60–1000).")
    ] = 120,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into an empty store.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Build the fictional demo portfolio and load it (or write it with --out)."""
    from kam.demo import demo_portfolio

    portfolio = demo_portfolio(seed=seed, accounts=accounts)
    if out_path is not None:
        from kam.workbook.write import write_workbook

        write_workbook(portfolio, out_path)
        out.print(f"Wrote the demo portfolio to {out_path}")
        return
    store = _open_store(database)
    try:
        if if_empty and not store.is_empty():
            out.print("The store already holds data; the demo was not loaded.")
            return
        summary = store.import_portfolio(portfolio, source=f"demo seed={seed}")
        _print_summary(summary, title="Demo portfolio loaded")
    finally:
        store.dispose()


@app.command("import")
def import_(
    book: Annotated[
        Path, typer.Argument(help="An .xlsx workbook, a .csv file or a folder of CSVs.")
    ],
    check: Annotated[
        bool, typer.Option("--check", help="Validate only; write nothing.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Remove stored rows of the file's sheets that the file no longer has.",
        ),
    ] = False,
    encoding: Annotated[
        str | None, typer.Option(help="Encoding of CSV files (default: UTF-8).")
    ] = None,
    problems_csv: Annotated[
        Path | None,
        typer.Option("--problems", help="Write every problem found to this CSV file."),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Validate a workbook and import it into the store in one transaction."""
    from kam.workbook import load_workbook

    settings = _settings(database)
    store = None if check else _open_store(database)
    try:
        known = store.known_ids() if store is not None and not replace else None
        try:
            portfolio = load_workbook(
                book,
                encoding=encoding,
                limits=settings.limits,
                max_rows=settings.limits.rows_cli,
                known=known,
            )
        except WorkbookError as exc:
            if problems_csv is not None:
                write_problems_csv(exc.problems, problems_csv)
            raise
        _print_problems(portfolio.warnings, title="Notices")
        if problems_csv is not None:
            write_problems_csv(portfolio.warnings, problems_csv)
        if store is None:
            out.print(f"{book}: no problems. {_portfolio_counts(portfolio)}.")
            return
        summary = store.import_portfolio(portfolio, replace=replace, source=str(book))
        _print_summary(summary, title=f"Imported {book.name}")
    finally:
        if store is not None:
            store.dispose()


@app.command()
def export(
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT", help="An .xlsx file, or a folder for CSVs.")
    ],
    csv_folder: Annotated[
        bool, typer.Option("--csv", help="Write one CSV file per sheet into OUT.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Write the store as a workbook of the same contract."""
    store = _open_store(database)
    try:
        portfolio = store.load_portfolio()
    finally:
        store.dispose()
    if csv_folder:
        from kam.workbook.write import write_csv_folder

        write_csv_folder(portfolio, out_path)
    else:
        from kam.workbook.write import write_workbook

        write_workbook(portfolio, out_path)
    out.print(f"Exported {_portfolio_counts(portfolio)} to {out_path}")


@app.command()
def restore(
    name: Annotated[
        str | None,
        typer.Argument(help="Snapshot to restore; without it, list the snapshots."),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """List the snapshots taken before each import, or restore one."""
    store = _open_store(database)
    try:
        if name is None:
            snaps = store.list_snapshots()
            if not snaps:
                out.print("No snapshots yet (one is taken before each import).")
                return
            table = RichTable(title="Snapshots", title_justify="left")
            for col in ("name", "taken (UTC)", "data version", "size"):
                table.add_column(col)
            for s in snaps:
                table.add_row(
                    s.name,
                    s.created.strftime("%Y-%m-%d %H:%M:%S"),
                    str(s.data_version),
                    f"{s.size / 1_048_576:.1f} MiB",
                )
            out.print(table)
            return
        store.restore(name)
        out.print(f"Restored {name}; data version {store.data_version()}.")
    finally:
        store.dispose()


@app.command()
def status(database: DatabaseOpt = None) -> None:
    """Show what the store holds: rows per sheet and the data version."""
    store = _open_store(database)
    try:
        counts = store.row_counts()
        version = store.data_version()
    finally:
        store.dispose()
    table = RichTable(title="Store", title_justify="left")
    table.add_column("sheet")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        if n:
            table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"Data version {version}; {_settings(database).database_url}")


@app.command()
def analyse(
    name: Annotated[
        str | None,
        typer.Argument(help="The analysis (see --list).", show_default=False),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="store (default), a workbook or CSV folder, parquet:FOLDER, or an "
            "Ibis URL such as duckdb://file.db (default: $KAM_SOURCE or store).",
            show_default=False,
        ),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="KEY=VALUE", help="A parameter value (repeatable)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv or xlsx.")
    ] = "table",
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead.")
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the analyses and their parameters.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Run an analysis (Pareto, ABC, ...) and print or write its result."""
    from kam.analysis.registry import REGISTRY
    from kam.engine import open_engine
    from kam.render import print_result, result_json, write_csv

    if fmt not in ("table", "json", "csv", "xlsx"):
        raise typer.BadParameter(
            f"{fmt!r} is not one of table, json, csv, xlsx", param_hint="--format"
        )
    if fmt == "xlsx" and out_file is None and not list_:
        raise typer.BadParameter(
            "--format xlsx needs --out FILE.xlsx", param_hint="--out"
        )
    if list_:
        _print_registry(REGISTRY, as_json=fmt == "json")
        return
    if name is None:
        raise typer.BadParameter("give an analysis name, or --list", param_hint="NAME")
    params: dict[str, object] = {}
    for item in sets or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        params[key.strip()] = value
    engine = open_engine(source, settings=_settings(database))
    try:
        result = engine.run(name, params)
    finally:
        engine.close()
    if fmt == "xlsx" and out_file is not None:
        from kam.workbook.results import write_results

        write_results([result], out_file)
        err.print(f"Wrote {name} ({len(result.rows)} rows) to {out_file}")
        return
    columns = [c for c, _ in REGISTRY[name].output_columns]
    with (
        out_file.open("w", newline="", encoding="utf-8")
        if out_file is not None
        else nullcontext(sys.stdout)
    ) as fh:
        if fmt == "json":
            fh.write(result_json(result) + "\n")
        elif fmt == "csv":
            write_csv(result, fh, columns=columns)
        else:
            console = out if out_file is None else Console(file=fh, no_color=True)
            print_result(result, console, columns=columns, title=REGISTRY[name].title)
    if out_file is not None:
        err.print(f"Wrote {name} ({len(result.rows)} rows) to {out_file}")


SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="store (default), a workbook or CSV folder, parquet:FOLDER, or an Ibis "
        "URL (default: $KAM_SOURCE or store).",
        show_default=False,
    ),
]
AnalysisSetsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="NAME.KEY=VALUE",
        help="A parameter of one analysis, e.g. pareto.threshold=0.9 (repeatable).",
    ),
]


def _analysis_sets(sets: Sequence[str] | None) -> dict[str, dict[str, object]]:
    """``pareto.threshold=0.9`` items as parameters by analysis name."""
    params: dict[str, dict[str, object]] = {}
    for item in sets or []:
        key, sep, value = item.partition("=")
        name, dot, param = key.strip().partition(".")
        if not sep or not dot or not name or not param:
            raise typer.BadParameter(
                f"{item!r} is not NAME.KEY=VALUE", param_hint="--set"
            )
        params.setdefault(name, {})[param] = value
    return params


@app.command()
def deck(
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="The .pptx file to write.")
    ],
    account: Annotated[
        str | None,
        typer.Option("--account", help="Build the deck of this account instead."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Only these analyses (repeatable)."),
    ] = None,
    sets: AnalysisSetsOpt = None,
    source: SourceOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Write the portfolio deck (or one account's) with native, editable charts."""
    from kam.deck import account_deck, portfolio_deck, write_deck
    from kam.engine import open_engine

    params = _analysis_sets(sets)
    engine = open_engine(source, settings=_settings(database))
    try:
        if account is not None:
            presentation = account_deck(engine, account)
        else:
            presentation = portfolio_deck(engine, params=params, analyses=only)
    finally:
        engine.close()
    write_deck(presentation, out_file)
    out.print(f"Wrote {len(presentation.slides)} slides to {out_file}")


@app.command()
def report(
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="The .xlsx workbook to write.")
    ],
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Only these analyses (repeatable)."),
    ] = None,
    sets: AnalysisSetsOpt = None,
    source: SourceOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Write every portfolio analysis as a workbook: one sheet each, native charts."""
    from kam.analysis.registry import REGISTRY, get
    from kam.deck.build import per_account
    from kam.engine import open_engine
    from kam.workbook.results import write_results

    params = _analysis_sets(sets)
    names = (
        [get(n).name for n in only]
        if only
        else [n for n in REGISTRY if not per_account(n)]
    )
    engine = open_engine(source, settings=_settings(database))
    results = []
    try:
        for n in names:
            try:
                results.append(engine.run(n, params.get(n)))
            except MissingDataError as exc:
                if only:
                    raise
                err.print(f"Left out {n}: {exc}", markup=False)
    finally:
        engine.close()
    write_results(results, out_file)
    out.print(f"Wrote {len(results)} analyses to {out_file}")


def _print_registry(registry: Mapping[str, Analysis], *, as_json: bool) -> None:
    """The analyses with their parameters and defaults (``kam analyse --list``)."""
    from kam.analysis.result import jsonable

    if as_json:
        listing = [
            {
                "name": a.name,
                "title": a.title,
                "description": a.description,
                "parameters": [
                    {
                        "name": p.name,
                        "default": jsonable(p.default),
                        "accepted": p.accepted,
                        "help": p.help,
                    }
                    for p in a.parameters
                ],
                "columns": [c for c, _ in a.output_columns],
            }
            for a in registry.values()
        ]
        out.print_json(json.dumps(listing))
        return
    for a in registry.values():
        table = RichTable(
            title=f"{a.name} — {a.title}: {a.description}", title_justify="left"
        )
        for col in ("parameter", "default", "accepted", "meaning"):
            table.add_column(col, overflow="fold")
        for p in a.parameters:
            default = p.default
            if isinstance(default, tuple):
                default = ",".join(str(x) for x in default)
            table.add_row(
                p.name, "" if default is None else str(default), p.accepted, p.help
            )
        out.print(table)


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None) -> None:
    """Create the store or bring its schema to the newest version."""
    store = _open_store(database)
    try:
        out.print(f"Store ready at {_settings(database).database_url}")
    finally:
        store.dispose()


# --------------------------------------------------------------------------- entry


def _report(exc: KamError) -> None:
    err.print(f"Error: {exc}", markup=False)
    if isinstance(exc, WorkbookError) and exc.problems:
        _print_problems(
            [p for p in exc.problems if p.severity == "error"], title="Problems"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 error, 2 bad arguments)."""
    try:
        app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except KamError as exc:
        _report(exc)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        return 1
    except typer.TyperException as exc:  # usage errors carry their own exit code
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"Error: {exc}", markup=False)
        return int(getattr(exc, "exit_code", 2))
    return 0


# --------------------------------------------------------------------------- users

users_app = typer.Typer(help="Manage the people who may sign in.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="Sign-in e-mail.")],
    role: Annotated[
        str,
        typer.Option(help="admin, analyst, executive, kam or viewer."),
    ],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Create a user; prints a random password once unless --password-stdin."""
    from kam.users import create_user, new_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password, generated = new_password(), True
    store = _open_store(database)
    try:
        user = create_user(store.engine, email, role, password=password, name=name)
    finally:
        store.dispose()
    out.print(f"Created {user.email} ({user.role}).")
    if generated:
        out.print(f"Password (shown once): {password}", markup=False)


@users_app.command("list")
def users_list(database: DatabaseOpt = None) -> None:
    """List the users: e-mail, name, role, active."""
    from kam.users import list_users

    store = _open_store(database)
    try:
        found = list_users(store.engine)
    finally:
        store.dispose()
    table = RichTable("e-mail", "name", "role", "active", "created (UTC)")
    for u in found:
        table.add_row(
            u.email,
            u.name or "",
            u.role,
            "yes" if u.active else "no",
            f"{u.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


@users_app.command("disable")
def users_disable(
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    database: DatabaseOpt = None,
) -> None:
    """Disable a user; their sessions end at once."""
    from kam.users import disable_user

    store = _open_store(database)
    try:
        user = disable_user(store.engine, email)
    finally:
        store.dispose()
    out.print(f"Disabled {user.email}.")


@users_app.command("set-role")
def users_set_role(
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    role: Annotated[str, typer.Argument(metavar="ROLE")],
    database: DatabaseOpt = None,
) -> None:
    """Give a user another role."""
    from kam.users import set_role

    store = _open_store(database)
    try:
        user = set_role(store.engine, email, role)
    finally:
        store.dispose()
    out.print(f"{user.email} is now {user.role}.")


# --------------------------------------------------------------------------- people

people_app = typer.Typer(
    help="Personal data of the customer's stakeholders (export, erase).",
    no_args_is_help=True,
)
app.add_typer(people_app, name="people")


PersonId = Annotated[str, typer.Argument(metavar="ID", help="Stakeholder id.")]


@people_app.command("export")
def people_export(
    stakeholder_id: PersonId,
    database: DatabaseOpt = None,
) -> None:
    """Print everything the store holds about one stakeholder as JSON."""
    from kam.store.erasure import export_person

    store = _open_store(database)
    try:
        data = export_person(store, stakeholder_id)
    finally:
        store.dispose()
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@people_app.command("erase")
def people_erase(
    stakeholder_id: PersonId,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the erasure cannot be undone.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Erase one stakeholder's name, e-mail and phone everywhere (needs --yes)."""
    from kam.store.erasure import drop_engine_snapshots, erase_person

    if not yes:
        from kam.errors import InputError

        raise InputError("erasing a person cannot be undone: add --yes to confirm")
    store = _open_store(database)
    try:
        done = erase_person(store, stakeholder_id)
        drop_engine_snapshots(store.url, below=done.data_version)
    finally:
        store.dispose()
    cells = sum(done.cells.values())
    out.print(
        f"Erased {stakeholder_id}: now {done.placeholder!r}; {cells} other cell(s) "
        f"and {len(done.snapshots)} snapshot(s) scrubbed; data version "
        f"{done.data_version}.",
        markup=False,
    )


# --------------------------------------------------------------------------- serve


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo_mode: Annotated[
        bool,
        typer.Option(
            "--demo", help="Load the demo into an empty store and create demo users."
        ),
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Run the web workspace."""
    import uvicorn

    from kam.demo import demo_portfolio
    from kam.web import create_app
    from kam.web.launch import create_demo_users, setup_link

    settings = _settings(database)
    store = _open_store(database)
    if demo_mode and store.is_empty():
        summary = store.import_portfolio(demo_portfolio(), source="demo seed=7")
        _print_summary(summary, title="Demo portfolio loaded")
    if demo_mode:
        created = create_demo_users(store)
        if created:
            table = RichTable("e-mail", "role", "password (shown once)")
            for email, role, password in created:
                table.add_row(email, role, password)
            out.print(table)
    link = setup_link(store, f"http://{host}:{port}")
    if link is not None:
        out.print("No user yet. Create the administrator (link valid one hour):")
        out.print(link, markup=False, soft_wrap=True)
    uvicorn.run(create_app(settings, store=store), host=host, port=port)


if __name__ == "__main__":
    sys.exit(main())
