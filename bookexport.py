"""What a reader takes away from a page: its executed notebook, readable in plain Jupyter.

MyST-NB writes each page's executed notebook, but its Markdown cells keep MyST's syntax, which
Jupyter shows as text: ``{glue:math}`` directives whose equations live in a separate file,
``{eq}`` references with no numbers, ``literalinclude`` blocks with no code. :func:`reader_notebook`
resolves each of them into what the page shows — the equation with its number, the value, the
section title, the included source, a folded solution as HTML's ``<details>`` — and drops the cell
that only ties the page to its sources in the build's cache. Used by ``conf.py``, which offers the
result in the page's download menu.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

DIGEST_MARK = "this page's code uses have the digest"  # conf.py's DIGEST_CELL
DIRECTIVE = re.compile(  # indented too, inside a list item
    r"^(?P<indent>[ \t]*)```\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
TARGET = re.compile(r"^\([\w-]+\)=[ \t]*\n", re.M)  # MyST's "(label)=" before a heading: a name, not text
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<text>[^`]*)`")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
# sphinx-design's dropdown, written with colons so that it can hold the directives above
DROPDOWN = re.compile(r"^:::\{dropdown\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^:::[ \t]*$", re.M | re.S)


@dataclass
class Context:
    """What resolving a page's MyST needs from the build.

    glue: a glued output by its key as the page writes it ("key", or "page.ipynb::key" for another
    page's; MyST-NB's ``<page>.glue.json``);
    equation: label → its number as the book shows it ("12"), or None;
    title: document name → its title; label: section label → its title;
    citation: bibliography key → a short citation ("Ng 2018");
    include: a ``literalinclude`` argument and its options → the code it shows.
    """

    glue: Callable[[str], dict]
    equation: Callable[[str], str | None]
    title: Callable[[str], str]
    label: Callable[[str], str]
    citation: Callable[[str], str]
    include: Callable[[str, dict[str, str]], tuple[str, str]]


def reader_notebook(notebook: dict, context: Context) -> dict:
    """A copy of the executed ``notebook`` (nbformat's dict) with MyST resolved in its Markdown
    cells and the build's digest cell removed; code cells and their outputs are kept as they are."""
    out = copy.deepcopy(notebook)
    cells = []
    for cell in out["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and DIGEST_MARK in source:
            continue
        if cell["cell_type"] == "markdown":
            cell["source"] = resolve(source, context)
        cells.append(cell)
    out["cells"] = cells
    return out


def resolve(markdown: str, context: Context) -> str:
    """``markdown`` with every MyST directive and role the book uses replaced by plain Markdown."""
    markdown = TARGET.sub("", DROPDOWN.sub(_dropdown, markdown))
    markdown = DIRECTIVE.sub(lambda match: _indented(match["indent"], _directive(match, context)), markdown)
    return ROLE.sub(lambda match: _role(match["name"], match["text"], context), markdown)


def _indented(indent: str, text: str) -> str:
    return "\n".join(indent + line if line else line for line in text.split("\n"))


def _directive(match: re.Match, context: Context) -> str:
    """The directive of ``match`` in plain Markdown, not yet indented as it was."""
    name, argument = match["name"], match["argument"].strip()
    options = {}
    lines = [line.removeprefix(match["indent"]) for line in match["body"].splitlines()]
    while lines and (option := OPTION.match(lines[0])):
        options[option["key"]] = option["value"].strip()
        lines.pop(0)
    if name == "glue:math":
        tex = _math(context.glue(argument))
        number = context.equation(options["label"]) if "label" in options else None
        return f"$$\n{tex}" + (rf" \tag{{{number}}}" if number else "") + "\n$$"
    if name == "literalinclude":
        code, language = context.include(argument, options)
        return f"```{language}\n{code.rstrip()}\n```"
    if name == "eval-rst":
        names = re.findall(r"\.\. auto\w+:: ([\w.]+)", "\n".join(lines))
        return "\n".join(f"- `{n}`" for n in names)  # the reference itself is on the book's page
    if name == "bibliography":
        return "(The book's list of references.)"
    return match[0].removeprefix(match["indent"])  # a fenced block of code, say: nothing to resolve


def _dropdown(match: re.Match) -> str:
    """A dropdown as HTML's ``<details>``, which Jupyter shows folded too; the Markdown inside is
    resolved with the rest."""
    lines = match["body"].splitlines()
    while lines and OPTION.match(lines[0]):
        lines.pop(0)
    body = "\n".join(lines).strip("\n")
    return f"<details>\n<summary>{match['title'].strip()}</summary>\n\n{body}\n\n</details>"


def _math(output: dict) -> str:
    """The LaTeX of a glued output, without its ``$`` delimiters and ``\\displaystyle``."""
    tex = output["data"]["text/latex"].strip().strip("$").strip()
    return tex.removeprefix(r"\displaystyle").strip()


def _role(name: str, text: str, context: Context) -> str:
    if name == "glue":
        output = context.glue(text)
        return f"${_math(output)}$" if "text/latex" in output["data"] else output["data"].get("text/plain", "")
    if name == "glue:md":
        return context.glue(text.removesuffix(":myst"))["data"]["text/markdown"]
    if name == "eq":
        number = context.equation(text)
        return f"({number})" if number else f"({text})"
    if name == "doc":
        return f"[{context.title(text)}]({text}.ipynb)"
    if name == "ref":
        return context.label(text)
    if name == "cite":
        return "(" + "; ".join(context.citation(key.strip()) for key in text.split(",")) + ")"
    if name in ("func", "class", "mod", "meth", "attr", "data"):
        return f"`{text.lstrip('~')}`"
    return f"{{{name}}}`{text}`"  # not MyST the book uses: left as it is
