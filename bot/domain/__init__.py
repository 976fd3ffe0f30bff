"""Pure domain: text in, values out. Imports nothing of Slack's libraries, the services or storage
(tests/test_layers.py)."""
