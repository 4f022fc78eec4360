"""tree-sitter front ends for C, C++ and Rust.

Parsing is the slow step (a few MB/s), so the scanner parses only files in which the
prefilter found something, and asks the tree about those positions alone:
what syntax is there (a call, a type, a macro body), which Rust ``cfg`` attributes
enclose it, and, for C/C++, the preprocessor directives as tree-sitter sees them.
"""

from __future__ import annotations

import re
from functools import cache

import tree_sitter
import tree_sitter_c
import tree_sitter_cpp
import tree_sitter_rust

from analyzer.model import Language
from analyzer.native.preproc import Directive

_GRAMMARS = {
    Language.C: tree_sitter_c.language,
    Language.CPP: tree_sitter_cpp.language,
    Language.RUST: tree_sitter_rust.language,
}


@cache
def _language(language: Language) -> tree_sitter.Language:
    return tree_sitter.Language(_GRAMMARS[language]())


def parse(source: bytes, language: Language) -> tree_sitter.Tree:
    parser = tree_sitter.Parser(_language(language))
    return parser.parse(source)


_TYPE_PARENTS = frozenset(
    {
        "type_identifier",
        "primitive_type",
        "sized_type_specifier",
        "type_descriptor",
        "parameter_declaration",
        "declaration",
        "field_declaration",
        "cast_expression",
        "template_argument_list",
    }
)
_MACRO_BODY = frozenset({"preproc_def", "preproc_function_def", "preproc_arg"})


def syntax_at(tree: tree_sitter.Tree, start: int, end: int) -> str:
    """What the token at ``[start, end)`` is: call, type, field (a member access), macro,
    comment, string or identifier."""
    node = tree.root_node.descendant_for_byte_range(start, end)
    if node is None:
        return "identifier"
    if node.type in ("comment", "line_comment", "block_comment"):
        return "comment"
    if node.type in (
        "string_literal",
        "string_content",
        "raw_string_literal",
        "char_literal",
        "system_lib_string",
        "escape_sequence",
    ):
        return "string"
    if node.type == "type_identifier":
        return "type"
    if node.type == "field_identifier" and node.parent is not None and node.parent.type == "field_expression":
        return "field"  # a member access: ctx.Eip, ctx->Rip
    ancestor = node.parent
    depth = 0
    while ancestor is not None and depth < 64:
        if ancestor.type in _MACRO_BODY:
            return "macro"
        ancestor = ancestor.parent
        depth += 1
    parent = node.parent
    if parent is not None:
        function = parent.child_by_field_name("function")
        if parent.type == "call_expression" and function is not None and function.id == node.id:
            return "call"
        if parent.type in _TYPE_PARENTS and parent.child_by_field_name("type") is not None:
            type_node = parent.child_by_field_name("type")
            if type_node is not None and type_node.id == node.id:
                return "type"
    return "identifier"


# --- C/C++ preprocessor directives as tree-sitter sees them --------------------------
_PREPROC_QUERY = """
[(preproc_if) (preproc_ifdef) (preproc_elif) (preproc_else) (preproc_def)
 (preproc_function_def) (preproc_include) (preproc_call)] @directive
"""
_ELIFDEF_TYPES = frozenset({"preproc_elifdef"})


@cache
def _preproc_query(language: Language) -> tree_sitter.Query:
    return tree_sitter.Query(_language(language), _PREPROC_QUERY)


def directives(
    tree: tree_sitter.Tree, language: Language, masked: bytes, source: bytes
) -> list[Directive] | None:
    """The directives in source order, or None when the tree has errors (use the line scan)."""
    if tree.root_node.has_error:
        return None
    cursor = tree_sitter.QueryCursor(_preproc_query(language))
    found: list[Directive] = []
    for node in cursor.captures(tree.root_node).get("directive", []):
        found.extend(_directive_from(node, masked, source))
    found.sort(key=lambda d: d.line)
    return found


def _text(data: bytes, node: tree_sitter.Node | None) -> str:
    if node is None:
        return ""
    chunk = re.sub(rb"\\\r?\n", b" ", data[node.start_byte : node.end_byte])
    return chunk.decode("utf-8", "replace").strip()


def _directive_from(node: tree_sitter.Node, masked: bytes, source: bytes) -> list[Directive]:
    line = node.start_point[0] + 1
    first = node.children[0] if node.children else None
    keyword = _text(source, first).lstrip("#").strip() if first is not None else ""
    result: list[Directive] = []
    if node.type in ("preproc_if", "preproc_elif"):
        condition = node.child_by_field_name("condition")
        end_line = condition.end_point[0] + 1 if condition is not None else line
        result.append(Directive(line, end_line, keyword, _text(masked, condition), _text(source, condition)))
    elif node.type in ("preproc_ifdef",) or node.type in _ELIFDEF_TYPES:
        name = node.child_by_field_name("name")
        result.append(Directive(line, line, keyword, _text(masked, name), _text(source, name)))
    elif node.type == "preproc_else":
        result.append(Directive(line, line, "else", "", ""))
    elif node.type in ("preproc_def", "preproc_function_def"):
        name = node.child_by_field_name("name")
        params = node.child_by_field_name("parameters")
        value = node.child_by_field_name("value")
        operand = _text(masked, name) + (_text(masked, params) if params is not None else "")
        if value is not None:
            operand += " " + _text(masked, value)
        end_line = node.end_point[0] if node.end_point[1] == 0 else node.end_point[0] + 1
        result.append(Directive(line, max(line, end_line), "define", operand, operand))
    elif node.type == "preproc_include":
        path = node.child_by_field_name("path")
        result.append(Directive(line, line, keyword, _text(masked, path), _text(source, path)))
    elif node.type == "preproc_call":
        directive = node.child_by_field_name("directive")
        argument = node.child_by_field_name("argument")
        kind = _text(source, directive).lstrip("#").strip()
        result.append(Directive(line, line, kind, _text(masked, argument), _text(source, argument)))
    if node.type in ("preproc_if", "preproc_ifdef"):
        last = node.children[-1] if node.children else None
        if last is not None and last.type == "#endif":
            result.append(Directive(last.start_point[0] + 1, last.start_point[0] + 1, "endif", "", ""))
    return result


# --- Rust cfg attributes -------------------------------------------------------------
_CFG_ATTR = re.compile(r"^#!?\[\s*cfg\s*\((.*)\)\s*\]$", re.DOTALL)


def rust_cfg_predicates(tree: tree_sitter.Tree, source: bytes, offset: int) -> list[str]:
    """The ``cfg(...)`` predicates on every item enclosing ``offset`` (innermost first)."""
    node = tree.root_node.descendant_for_byte_range(offset, offset)
    predicates: list[str] = []
    depth = 0
    while node is not None and depth < 256:
        sibling = node.prev_sibling
        while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
            if sibling.type == "attribute_item":
                match = _CFG_ATTR.match(_text(source, sibling))
                if match:
                    predicates.append(match.group(1))
            sibling = sibling.prev_sibling
        for child in node.children:
            if child.type == "inner_attribute_item":
                match = _CFG_ATTR.match(_text(source, child))
                if match:
                    predicates.append(match.group(1))
        node = node.parent
        depth += 1
    return predicates
