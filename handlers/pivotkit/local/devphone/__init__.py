"""The dev console of ``pivotkit serve``: a browser dev phone and a live call inspector.

Served under ``/dev/`` on loopback binds only (``console.DevConsole``). The phone drives the
same virtual Kazoo as ``pivotkit call`` (``pivotkit.local.simulator``), with a script whose
caller is the page (``session``); the inspector reads calls through a small interface
(``calllog.CallLog``) that serve feeds from every exchange it answers. The pages are plain
HTML, CSS and JavaScript shipped in ``static/``: no build step, nothing fetched from anywhere;
each page's ``<main>`` is served inside the one ``layout.html`` they share.
"""
