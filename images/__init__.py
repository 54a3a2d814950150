"""Recipes that build test images into a cache folder (never into git)."""
