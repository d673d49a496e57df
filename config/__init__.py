"""Configuration of the Science Gateway portal (settings from the environment, gunicorn)."""
