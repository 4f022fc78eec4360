"""Parsers: a line-level preprocessor scanner and tree-sitter front ends."""
