"""One module per command: parse the options, call one function of the library, hand the
result to one renderer or writer. :mod:`lrplan.cli.main` registers them in this order."""
