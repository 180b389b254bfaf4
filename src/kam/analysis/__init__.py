"""Pure analyses: Ibis expressions and graphs in, tables out (no I/O)."""
