"""Thin faces over the library: the command line and the dashboard's launcher."""
