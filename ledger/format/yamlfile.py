"""Reading forecast files safely, with every problem located at ``file:line: field``.

Only a safe loader is used (libyaml's ``CSafeLoader`` when present). On top of it we refuse what
PyYAML would silently accept: keys repeated in one mapping (the last would win), anchors and
aliases (the "billion laughs" bomb), a byte-order mark, and YAML 1.1's ``yes``/``no``/``on``
booleans (an outcome of ``no`` must stay the word "no"). Dates stay text until the models parse
them, so an impossible date gets a message instead of a crash.
"""

from __future__ import annotations

import difflib
import functools
import gc
import operator
import re
from pathlib import Path
from typing import Any

import yaml

from ledger.errors import Problem

MAX_FILE_BYTES = 20 * 1024 * 1024
# A forecast file nests about 5 levels (file > questions > question > forecasts > forecast).
# libyaml's composer recurses per level in C and overflows the stack (SIGSEGV) near 27,000
# levels, which a 100 kB file of "[" reaches: deeper files are refused before composing.
MAX_DEPTH = 100

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2-style booleans, dates as text, no aliases, no repeated keys."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        # libyaml's composer calls resolve() for every untagged node, and the descend/ascend
        # hooks around every node, from C. A node's tag depends on its kind, text and implicit
        # flags alone (no path resolvers are registered), and a forecast file repeats the same
        # dates, names and probabilities thousands of times: a C-level cache, per loader so it
        # lasts one file, answers repeats without a Python call (a fifth of composing a file).
        # The hooks do nothing without path resolvers; C no-ops skip two Python calls a node.
        self.resolve = functools.lru_cache(maxsize=None)(_TAGS.resolve)
        self.descend_resolver = operator.is_  # (parent, index) -> a bool, ignored
        self.ascend_resolver = tuple  # () -> (), ignored

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (& and *) are not allowed; write values out",
                node.start_mark,
            )
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = key_node.value
            if key == "<<":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed", key_node.start_mark
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a name such as id or probability, not a "
                    f"{'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}",
                    key_node.start_mark,
                )
            if key_node.tag != "tag:yaml.org,2002:str":
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a name such as id or probability, not {key!r} "
                    "(quote it if it is meant as text)", key_node.start_mark,
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"key {key!r} appears twice in one mapping (first on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag == "tag:yaml.org,2002:timestamp":
            continue
        if _tag == "tag:yaml.org,2002:bool":
            _regexp = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
            if _first not in "tTfF":
                continue
        _Loader.yaml_implicit_resolvers.setdefault(_first, []).append((_tag, _regexp))


class _Tags(yaml.resolver.Resolver):
    """The loader's rules for tags, without a parser: what ``_Loader.resolve`` caches."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


_TAGS = _Tags()
assert not _Loader.yaml_path_resolvers and not _Tags.yaml_path_resolvers


class ParsedFile:
    """A forecast file's data plus its node tree, to locate problems by line.

    The tree (three objects a node: 4 million for 100,000 forecasts) is needed only when a line
    is shown, a problem or a dry run's change, so a file read without problems keeps its text
    and composes the tree again from it on the first ask (the same text, the same tree).
    """

    def __init__(self, path: str, data: Any, root: yaml.Node | None, text: str | None = None,
                 index: int = 0) -> None:
        self.path = path
        self.data = data
        self._root = root
        self._text = text  # when root is None: the file's text, of which this is document index
        self._index = index

    @property
    def root(self) -> yaml.Node | None:
        if self._root is None and self._text is not None:
            loader = _Loader(self._text)
            try:
                for _ in range(self._index + 1):
                    loader.check_node()
                    self._root = loader.get_node()
            finally:
                loader.dispose()
            self._text = None
        return self._root

    def line_of(self, loc: tuple) -> int | None:
        """1-based line of the value at ``loc`` (or of the nearest enclosing node)."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        line, node = value_node.start_mark.line, value_node
                        break
                else:
                    return line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line + 1
                node = node.value[part]
                line = node.start_mark.line
            else:
                return line + 1
        return line + 1

    def key_line(self, loc: tuple) -> int | None:
        """1-based line of the key that ends ``loc`` (for unknown keys)."""
        parent = self.root
        for part in loc[:-1]:
            if isinstance(parent, yaml.MappingNode):
                parent = next((v for k, v in parent.value if k.value == part), None)
            elif isinstance(parent, yaml.SequenceNode) and isinstance(part, int):
                parent = parent.value[part] if part < len(parent.value) else None
            if parent is None:
                return None
        if isinstance(parent, yaml.MappingNode):
            for key_node, _ in parent.value:
                if key_node.value == loc[-1]:
                    return key_node.start_mark.line + 1
        return None


def read_yaml(path: str | Path, display: str | None = None
              ) -> tuple[list[ParsedFile], list[Problem]]:
    """Parse ``path`` safely: its documents (``---`` separates several), or the problems found."""
    name = display or str(path)
    try:
        size = Path(path).stat().st_size  # before reading: a huge file is refused unread
        raw = Path(path).read_bytes() if size <= MAX_FILE_BYTES else b""
    except OSError as exc:
        return [], [Problem(name, None, "", f"cannot read the file: {exc.strerror}")]
    if size > MAX_FILE_BYTES or len(raw) > MAX_FILE_BYTES:
        return [], [Problem(name, None, "", (
            f"the file is {max(size, len(raw)) / 1e6:.1f} MB; one YAML file may hold at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB (split it, or import CSV or Parquet)"))]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [], [Problem(name, 1, "", "the file is UTF-16; save it as UTF-8")]
    if raw.startswith(b"\xef\xbb\xbf"):
        return [], [Problem(name, 1, "", (
            "the file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [Problem(name, line, "", (
            f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8"))]
    if "\x00" in text:
        return [], [Problem(name, text[: text.index("\x00")].count("\n") + 1, "",
                              "the file holds a NUL character; is it a binary file?")]
    if not _has_content(text[:4096]) and not _has_content(text):
        return [], [Problem(name, None, "", "the file is empty (write a questions: list)")]
    deep = _too_deep(text)
    if deep is not None:
        return [], [Problem(name, deep, "", (
            f"lists and mappings are nested more than {MAX_DEPTH} levels deep; a forecast "
            "file needs about 5"))]
    loader = _Loader(text)
    docs: list[ParsedFile] = []
    # Pausing the collector while the node tree is built is 3x faster on large files
    # (measured: shared/recipes) and safe: the tree holds no reference cycles to reclaim.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        fast = "*" not in text  # no alias can occur without a "*": see _construct
        while loader.check_node():
            root = loader.get_node()
            data = _construct(loader, root) if fast else _NOT_BUILT
            if data is _NOT_BUILT:
                data = loader.construct_document(root)
            if isinstance(data, dict):  # the tree again only if a line is asked for
                docs.append(ParsedFile(name, data, None, text, len(docs)))
            else:  # refused below, with the document's line
                docs.append(ParsedFile(name, data, root))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "quoted scalar" in (exc.context or "") and exc.context_mark:
            mark = exc.context_mark  # where the unclosed quote starts, not the end of file
        line = mark.line + 1 if mark else None
        return [], [Problem(name, line, "", _yaml_message(exc, text, line))]
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        at = text.find(char)
        return [], [Problem(name, text[:at].count("\n") + 1 if at >= 0 else None, "", (
            f"the character U+{ord(char):04X} is not allowed in YAML (a control character); "
            "remove it, or write it as an escape inside double quotes"))]
    except yaml.YAMLError as exc:
        return [], [Problem(name, None, "", f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
        if was_enabled:
            gc.enable()
    problems = []
    for doc in docs:
        if not isinstance(doc.data, dict):
            kind = "empty" if doc.data is None else (
                f"{_KINDS.get(type(doc.data).__name__, 'a value')}, not a mapping")
            line = doc.root.start_mark.line + 1 if doc.root is not None else 1
            problems.append(Problem(name, line, "", (
                f"the document is {kind}; a forecast file is a mapping with questions: "
                "(and source:)")))
    return ([], problems) if problems else (docs, [])


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# Tags whose constructors return an immutable value depending only on the scalar's text.
_PLAIN_SCALARS = frozenset(("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                            "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"))
_NOT_BUILT = object()


class _Unusual(Exception):
    """Raised inside :func:`_construct` for anything only the full constructor handles."""


def _construct(loader: _Loader, root: yaml.Node) -> Any:
    """The document ``loader.construct_document(root)`` would build, or ``_NOT_BUILT``.

    PyYAML's constructor costs as much as libyaml's parsing (a generator and several calls per
    node). This builds the same plain dicts, lists and scalars in one recursive walk, and hands
    back ``_NOT_BUILT`` for anything it does not handle itself (a repeated or non-text key, a
    merge key, a tag other than text, numbers, booleans and null, any error), which the caller
    then builds with the full constructor, so that every refusal keeps its exact message. The
    caller uses it only on text without a ``*``: an alias makes one node appear twice, which
    the full constructor refuses and this walk would copy.
    """
    scalars: dict[tuple[str, str], Any] = {}
    constructors = loader.yaml_constructors
    scalar_node, sequence_node, mapping_node = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode

    def scalar(node: yaml.ScalarNode) -> Any:
        key = (node.tag, node.value)
        try:
            return scalars[key]
        except KeyError:
            pass
        if node.tag not in _PLAIN_SCALARS:
            raise _Unusual
        value = scalars[key] = constructors[node.tag](loader, node)
        return value

    def build(node: yaml.Node) -> Any:
        kind = type(node)
        if kind is mapping_node:
            if node.tag != _MAP:
                raise _Unusual
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not scalar_node or key_node.tag != _STR:
                    raise _Unusual
                key = key_node.value
                if key in out or key == "<<":
                    raise _Unusual
                if type(value_node) is scalar_node:
                    out[key] = value_node.value if value_node.tag == _STR else scalar(value_node)
                else:
                    out[key] = build(value_node)
            return out
        if kind is sequence_node:
            if node.tag != _SEQ:
                raise _Unusual
            return [(item.value if item.tag == _STR else scalar(item))
                    if type(item) is scalar_node else build(item) for item in node.value]
        if kind is scalar_node:
            return node.value if node.tag == _STR else scalar(node)
        raise _Unusual

    try:
        return build(root)
    except Exception:  # noqa: BLE001 - whatever it was, the full constructor reports it
        return _NOT_BUILT


_FLOW_LEAF = re.compile(r"[\[{][^\[\]{}\n\"'#]*[\]}]")


_KINDS = {"list": "a list", "str": "text", "int": "a number", "float": "a number",
          "bool": "true or false"}


def _has_content(text: str) -> bool:
    """Whether a line holds more than blanks or a comment. True for a prefix of a text means
    true for the text (a cut line keeps its first character), so a 4 kB head usually answers
    without splitting a whole large file into lines."""
    return any(ln.strip() and not ln.lstrip().startswith("#") for ln in text.splitlines())


def _too_deep(text: str) -> int | None:
    """The line where nesting first exceeds MAX_DEPTH, or None.

    A cheap bound first: each flow level needs a ``[`` or ``{`` (plus an implicit pair), and
    block levels need a wider indent-and-indicator prefix every two levels. Only a file whose
    bound is too high (hardly any real file) pays for walking libyaml's events.
    """
    openers = text.count("[") + text.count("{")
    if openers:
        openers -= len(_FLOW_LEAF.findall(text))
    budget = (MAX_DEPTH - 2 * (openers + 1)) // 2 - 1
    # A prefix at the start of the text or after a newline; searched for as "\n" + prefix,
    # which lets the regex engine skip to each newline (5x faster than (?:\A|\n) on 800 kB).
    prefix = rf"(?:[ ]|[-?:](?=[ \r\n]|$)){{{budget}}}"
    if budget > 0 and not (re.match(prefix, text) or re.search("\n" + prefix, text)):
        return None
    events = _Base(text)
    depth = 0
    try:
        while events.check_event():
            event = events.get_event()
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in (getattr(exc, "problem", None) or ""):
            # libyaml 0.2.6 caps flow nesting in its scanner, which reads ahead of the events
            # counted here: the cap is far above MAX_DEPTH, so the file is too deep all the same.
            mark = getattr(exc, "problem_mark", None)
            return mark.line + 1 if mark is not None else 1
        return None  # the parse that follows reports it, with its line
    finally:
        events.dispose()
    return None


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, line: int | None) -> str:
    problem = exc.problem or str(exc)
    context = exc.context or ""
    opened = exc.context_mark.line + 1 if exc.context_mark else None
    if "tab character" in problem or ("cannot start any token" in problem and line is not None
                            and "\t" in _indent_of(text, line)):
        return "a tab is used for indentation; indent with spaces"
    if "could not determine a constructor" in problem or "constructor for the tag" in problem:
        tag = re.search(r"tag '([^']+)'", problem)
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!") if tag else ""
        return (f"the YAML tag {shown} is not allowed; forecast files "
                "hold plain text, numbers, lists and mappings")
    if problem.startswith(("anchors", "merge keys", "key ", "a key ")):
        return problem
    if "quoted scalar" in context and "end of stream" in problem:
        return "a quoted value that starts here is never closed (add the closing quote)"
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[ ]" if "sequence" in context else "{ }"
        return (f"not valid YAML: {problem}; is the {bracket[0]} opened on line {opened} "
                f"missing its {bracket[-1]} or a comma?")
    if "mapping values are not allowed" in problem:
        return (f"not valid YAML: {problem}; put a value holding ': ' in quotes, "
                "or check the indentation")
    return f"not valid YAML: {problem}"


def _indent_of(text: str, line: int) -> str:
    lines = text.split("\n")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    return here[: len(here) - len(here.lstrip(" \t"))]


def suggest_key(unknown: str, allowed: list[str]) -> str:
    match = difflib.get_close_matches(str(unknown), allowed, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else f"; allowed: {', '.join(allowed)}"
