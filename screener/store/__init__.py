"""The only code that speaks Redis: lists, lines, calls, audit."""
