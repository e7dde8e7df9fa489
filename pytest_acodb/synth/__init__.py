"""The constraint solver and row synthesiser: valid rows for any table of any schema."""
