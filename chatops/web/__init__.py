"""The review page (``chatops.web.app.create_app``): an ASGI app over the ``Compass`` service, mounted at
``/review`` on the health server's host and port by ``compass run`` and ``compass serve``.

``templates/`` holds the Jinja2 pages (autoescaped), ``static/`` the stylesheet and the live-preview script,
``render`` the Markdown-to-HTML step (markdown-it-py, raw HTML and unsafe links off).
"""
