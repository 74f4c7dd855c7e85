"""The core every layer uses: settings, the schema and its store, periods, parsing, the signal lifecycle."""
