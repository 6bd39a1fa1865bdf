"""What the book's build owns and what each page depends on (used by ``conf.py``).

- The execution cache: the build writes only into a folder it made (marked by :data:`MARKER`) or
  into a new or empty one, and deletes only folders it made inside it.
- A page's sources: the files of this checkout that the page's code cells import, followed through
  the project's own imports. Their digest goes into the page's notebook, so jupyter-cache executes a
  page again exactly when one of its sources changed. When the code leaves a doubt (a cell that does
  not parse, an import whose name is computed), the page depends on more, never on less.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DOCS = ROOT / "docs"
# A page's kernel runs in docs/ with this checkout on its path: ``import book`` finds docs/book.py.
SEARCH_PATH = (DOCS, ROOT)
PACKAGES = ("derivations", "rnnlstm")
MARKER = "made-by-the-rnnlstm-book-build"
EARLIER_MARKER = "library.sha256"  # the stamp this build wrote before it had MARKER: a cache of an older checkout
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
IMPORT_CALLS = {"import_module", "__import__"}
MAGIC_CALLS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}  # what IPython's magics become
QUIET_MAGICS = {"config", "matplotlib"}  # magics that run no other file


def own_cache(folder: Path) -> None:
    """Make ``folder`` the build's execution cache, creating it with :data:`MARKER` when it is new
    or empty; refuse a folder that holds anything else, since the build writes and deletes in it."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"RNNLSTM_CACHE names {folder}, which is a file, not a folder")
    made_here = (folder / MARKER).exists() or (folder / EARLIER_MARKER).exists()
    if folder.exists() and any(folder.iterdir()) and not made_here:
        raise ValueError(
            f"RNNLSTM_CACHE names {folder}, a folder that is not empty and that the book's build did "
            "not make; the build writes into its cache and deletes stale results there, so it leaves "
            "this folder alone. Set RNNLSTM_CACHE to a new or empty folder (or delete this one if it "
            "holds nothing you need)."
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("The rnnlstm book's execution cache: the build may delete anything here.\n")


def every_source() -> list[Path]:
    """Every file a page's code could read from this checkout: the packages and docs/*.py."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*") if p.is_file()]
    return sorted(p for p in [*files, *DOCS.glob("*.py")] if "__pycache__" not in p.parts)


def digest(files) -> str:
    """SHA-256 of the files' paths (relative to the checkout) and contents."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def module_files(name: str) -> list[Path]:
    """The files of this checkout that ``import name`` runs (each package's ``__init__.py`` on the
    way, then the module), or [] for a module from elsewhere. A name that goes on past a module
    (``rnnlstm.lstm.sigmoid``) stops at the module."""
    for base in SEARCH_PATH:
        files, folder = [], base
        for part in name.split("."):
            if (folder / part / "__init__.py").is_file():
                folder = folder / part
                files.append(folder / "__init__.py")
            elif (folder / f"{part}.py").is_file():
                files.append(folder / f"{part}.py")
                break
            else:
                break
        if files:
            return files
    return []


def _package(path: Path) -> str:
    """The dotted package that relative imports in ``path`` start from ('' for docs/ helpers)."""
    base = DOCS if path.parent == DOCS else ROOT
    return ".".join(path.parent.relative_to(base).parts)


def _absolute(module: str | None, level: int, package: str) -> str:
    """The absolute name of ``from <level dots><module> import ...`` written in ``package``."""
    parts = package.split(".") if package else []
    stem = parts[: len(parts) - level + 1] if level else []
    return ".".join([*stem, *([module] if module else [])])


def used_files(tree: ast.AST, path: Path) -> set[Path]:
    """The files of this checkout that the code ``tree`` of the file ``path`` imports (not
    transitively) or names.

    Counted as imports: import statements anywhere (inside functions too), ``import_module`` and
    ``__import__`` calls, and strings that are dotted names of project modules (``mock.patch``
    targets). A computed import name depends on the whole package its literal prefix names, or on
    every source when it has none. A string naming an existing file is a dependency, and code that
    uses ``__file__`` may read anything in its own folder."""
    package = _package(path)
    names, files = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, package)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _called(node) in IMPORT_CALLS:
            files.update(_dynamic_import(node.args[0] if node.args else None))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if DOTTED.fullmatch(node.value):
                names.add(node.value)
            files.update(f for base in SEARCH_PATH if (f := _file_in_checkout(base / node.value)))
        elif isinstance(node, ast.Name) and node.id == "__file__":
            files.update(p for p in path.parent.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files | {f for name in names for f in module_files(name)}


def _called(call: ast.Call) -> str | None:
    """The name a call calls: ``f`` for ``f(...)`` and ``m.f(...)``."""
    return getattr(call.func, "id", getattr(call.func, "attr", None))


def _file_in_checkout(path: Path) -> Path | None:
    """``path`` resolved, when it is a file of this checkout."""
    try:
        path = path.resolve()
        return path if path.is_file() and path.is_relative_to(ROOT) else None
    except (OSError, ValueError):  # a string that is no path (too long, a NUL character)
        return None


def _dynamic_import(arg) -> list[Path]:
    """The files an ``import_module(arg)`` may run: the named module for a literal, the package of
    the literal prefix for an f-string (``f"derivations.{chapter}"``), every source otherwise."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return module_files(arg.value)
    head = arg.values[0] if isinstance(arg, ast.JoinedStr) and arg.values else None
    prefix = head.value if isinstance(head, ast.Constant) else ""
    return package_files(prefix.rpartition(".")[0]) or every_source()


def package_files(package: str) -> list[Path]:
    """Every module of the project's package ``package`` and its sub-packages ([] if it is none)
    that an import can run: not ``__main__.py``, which ``python -m`` runs (and which would bring
    along whatever it reads beside it)."""
    files = module_files(package) if package else []
    if not files or files[-1].name != "__init__.py":
        return []
    modules = files[-1].parent.rglob("*.py")
    return sorted(p for p in modules if "__pycache__" not in p.parts and p.name != "__main__.py")


def _parse_cell(code: str) -> ast.AST | None:
    """A code cell as Python (IPython's magics translated), or None when the build cannot tell what
    it runs: a syntax error, or a magic other than :data:`QUIET_MAGICS` (``%run``, ``!cmd``)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(code))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in MAGIC_CALLS:
            magic = node.args[0] if node.args else None
            if not (isinstance(magic, ast.Constant) and magic.value in QUIET_MAGICS):
                return None
    return tree


def page_sources(cells: list[str], page: Path) -> set[Path]:
    """The files of this checkout that the code ``cells`` of ``page`` use: what they import or name,
    then what those modules import, and so on; every source when a cell or a module cannot be read."""
    todo = set()
    for code in cells:
        if (tree := _parse_cell(code)) is None:
            return set(every_source())
        todo |= used_files(tree, page)
    seen: set[Path] = set()
    while todo:
        seen.add(path := todo.pop())
        if path.suffix == ".py":
            stat = path.stat()
            if (uses := _module_uses(path, stat.st_mtime_ns, stat.st_size)) is None:
                return set(every_source())
            todo |= uses - seen
    return seen


@functools.cache
def _module_uses(path: Path, mtime_ns: int, size: int) -> frozenset[Path] | None:
    """:func:`used_files` of a module, or None when it does not parse; remembered while the file
    keeps its modification time and size (a page's modules are mostly the next page's too)."""
    try:
        return frozenset(used_files(ast.parse(path.read_bytes(), filename=str(path)), path))
    except SyntaxError:
        return None


def execute_ahead(notebooks, cache_path, workers, timeout, logger, longest=()):
    """Execute the ``notebooks`` ({path: notebook}) that the execution cache has no outputs for, in
    ``workers`` processes that each take the next notebook as soon as they are done, and store
    each success in the cache as MyST-NB would; MyST-NB then finds every page there as it reads
    it. The pages that take longest start first, so that the short ones fill the other processes:
    by their times in an earlier build (a stale record of the same path), else those named in
    ``longest`` (paths), in that order. A page that fails is left out of the cache: MyST-NB executes it again as it reads it
    and reports the error as it always does."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(cache_path)
    pending = {}
    for path, notebook in notebooks.items():
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            pending[path] = notebook
    if len(pending) < 2:
        return
    earlier = {r.uri: r.data.get("execution_seconds", 0) for r in cache.list_cache_records()}
    hinted = {path: len(longest) - k for k, path in enumerate(longest)}
    order = sorted(pending, key=lambda path: (-earlier.get(path, 0), -hinted.get(path, 0)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_execute, path, pending[path], timeout) for path in order]
        for future in as_completed(futures):
            path, notebook, seconds, failed = future.result()
            if failed:
                logger.info(f"executing ahead: {Path(path).name} failed; it runs again as it is read")
                continue
            bundle = CacheBundleIn(notebook, path, data={"execution_seconds": seconds})
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
            logger.info(f"executing ahead: {Path(path).name} in {seconds:.1f} s")


def _execute(path, notebook, timeout):
    """Execute ``notebook`` in place in the folder of ``path``, as MyST-NB's cache mode does."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(notebook, cwd=str(Path(path).parent), timeout=timeout, allow_errors=False)
    return path, notebook, result.time, result.err is not None

