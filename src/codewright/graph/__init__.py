"""The code knowledge graph: files, symbols, imports, references, calls and chunks in SQLite."""
