"""The asset and desktop inventory of each client."""
