"""The stand-in's resources: each module answers one part of Koding's public surface and lists its ROUTES."""
