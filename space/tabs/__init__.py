"""One module per tab: `create_tab()` (layout) and thin endpoints; tabs never import each other."""
