"""The Docker-free embedded AWS: moto server plus a local Lambda runner."""
