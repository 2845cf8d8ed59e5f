"""Drop-in replacements for other packages' APIs, backed by errorscope's core."""
