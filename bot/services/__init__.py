"""Use cases. Each owns its transaction and takes the clock as an argument."""
