"""The logic of the operators' commands (management/commands/ only parse and print)."""
