"""The command line's side: subcommands (each ``*_cmd`` module registers its own parsers),
starting the app (``launch``) and the ``--demo`` world's config and record (``demo``)."""
