"""The stages: what the service computes and what it shows, each a function over (session or store, settings)."""
